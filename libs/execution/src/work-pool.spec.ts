import { WorkPool } from './work-pool';

describe('work pool', () => {
  it('runs at most `limit` tasks at once and drains', async () => {
    const pool = new WorkPool(2);
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    for (let i = 0; i < 5; i++) {
      pool.launch(
        async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 10));
          active--;
          done.push(i);
        },
        () => undefined,
      );
    }
    expect(pool.size).toEqual({ running: 2, waiting: 3 });
    expect(await pool.drain(5_000)).toBe(true);
    expect(peak).toBe(2);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(pool.size).toEqual({ running: 0, waiting: 0 });
  });

  it('drain gives up after the timeout; errors go to onError', async () => {
    const pool = new WorkPool(1);
    const errors: unknown[] = [];
    pool.launch(
      () => Promise.reject(new Error('boom')),
      (e) => errors.push(e),
    );
    pool.launch(
      () => new Promise((r) => setTimeout(r, 200)),
      () => undefined,
    );
    expect(await pool.drain(20)).toBe(false);
    expect(errors).toHaveLength(1);
    expect(await pool.drain(5_000)).toBe(true);
  });
});

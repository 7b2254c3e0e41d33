import { IdempotencyStore } from './idempotency';

describe('IdempotencyStore', () => {
  it('applies a key once and replays the first response', async () => {
    const store = new IdempotencyStore();
    let calls = 0;
    const apply = jest.fn(async () => ({ status: 200, body: { n: ++calls } }));
    expect(await store.run('k', 'POST /a', apply)).toEqual({ kind: 'fresh', response: { status: 200, body: { n: 1 } } });
    expect(await store.run('k', 'POST /a', apply)).toEqual({ kind: 'replayed', response: { status: 200, body: { n: 1 } } });
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it('replays to a repeat that arrives while the first is still running', async () => {
    const store = new IdempotencyStore();
    let finish: () => void = () => undefined;
    const apply = jest.fn(
      () => new Promise<{ status: number; body: unknown }>((resolve) => (finish = () => resolve({ status: 202, body: 'ok' }))),
    );
    const first = store.run('k', 'POST /a', apply);
    const second = store.run('k', 'POST /a', apply);
    finish();
    expect((await first).kind).toBe('fresh');
    expect(await second).toEqual({ kind: 'replayed', response: { status: 202, body: 'ok' } });
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it('refuses a key reused for another request', async () => {
    const store = new IdempotencyStore();
    await store.run('k', 'POST /a', async () => ({ status: 200, body: null }));
    expect(await store.run('k', 'PUT /b', async () => ({ status: 200, body: null }))).toMatchObject({ kind: 'conflict' });
  });

  it('forgets a call that failed, so that it can be retried', async () => {
    const store = new IdempotencyStore();
    await store.run('k', 'POST /a', async () => ({ status: 503, body: null }));
    await expect(store.run('j', 'POST /a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await store.run('k', 'POST /a', async () => ({ status: 200, body: null }))).kind).toBe('fresh');
    expect((await store.run('j', 'POST /a', async () => ({ status: 200, body: null }))).kind).toBe('fresh');
  });

  it('keeps the most recently used keys within its capacity', async () => {
    const store = new IdempotencyStore(2);
    const ok = async () => ({ status: 200, body: null });
    await store.run('a', 'POST /x', ok);
    await store.run('b', 'POST /x', ok);
    await store.run('a', 'POST /x', ok);
    await store.run('c', 'POST /x', ok);
    expect((await store.run('a', 'POST /x', ok)).kind).toBe('replayed');
    expect((await store.run('b', 'POST /x', ok)).kind).toBe('fresh');
  });
});

import { BodyPool, POISON_BYTE } from './body-pool';

describe('BodyPool', () => {
  it('hands out the size asked for, from power-of-two classes of at least 64 KiB', () => {
    const pool = new BodyPool({ maxPooledBytes: 8 << 20 });
    expect(pool.acquire(10).bytes.length).toBe(10);
    expect(pool.acquire(10).bytes.buffer.byteLength).toBe(64 * 1024);
    expect(pool.acquire(300_000).bytes.buffer.byteLength).toBe(512 * 1024);
    expect(pool.acquire(512 * 1024).bytes.buffer.byteLength).toBe(512 * 1024);
  });

  it('reuses a released buffer for the next body of its class, and not before it is released', () => {
    const pool = new BodyPool({ maxPooledBytes: 8 << 20 });
    const a = pool.acquire(300_000);
    const b = pool.acquire(300_000);
    expect(b.bytes.buffer).not.toBe(a.bytes.buffer);
    a.release();
    const c = pool.acquire(400_000);
    expect(c.bytes.buffer).toBe(a.bytes.buffer);
    expect(pool.acquire(100_000).bytes.buffer).not.toBe(b.bytes.buffer);
    expect(pool.stats()).toMatchObject({ allocated: 3, reused: 1, pooledBytes: 0 });
  });

  it('counts only the first release (a second one cannot hand the same buffer to two bodies)', () => {
    const pool = new BodyPool({ maxPooledBytes: 8 << 20 });
    const a = pool.acquire(100_000);
    a.release();
    a.release();
    expect(pool.stats().pooledBytes).toBe(128 * 1024);
    const b = pool.acquire(100_000);
    const c = pool.acquire(100_000);
    expect(c.bytes.buffer).not.toBe(b.bytes.buffer);
  });

  it('keeps at most maxPooledBytes of free buffers, and with 0 keeps none', () => {
    const pool = new BodyPool({ maxPooledBytes: 256 * 1024 });
    const held = [pool.acquire(100_000), pool.acquire(100_000), pool.acquire(100_000)];
    for (const h of held) h.release();
    expect(pool.stats().pooledBytes).toBe(256 * 1024);
    const big = pool.acquire(1_000_000);
    big.release();
    expect(pool.stats().pooledBytes).toBe(256 * 1024);

    const none = new BodyPool({ maxPooledBytes: 0 });
    const x = none.acquire(100_000);
    x.release();
    expect(none.acquire(100_000).bytes.buffer).not.toBe(x.bytes.buffer);
    expect(none.stats()).toMatchObject({ allocated: 0, pooledBytes: 0 });
  });

  it('with poison, overwrites a buffer when it is given back', () => {
    const pool = new BodyPool({ maxPooledBytes: 1 << 20, poison: true });
    const a = pool.acquire(1000);
    a.bytes.fill(7);
    const view = a.bytes.subarray(0, 4);
    a.release();
    expect([...view]).toEqual([POISON_BYTE, POISON_BYTE, POISON_BYTE, POISON_BYTE]);
  });

  it('refuses a negative or fractional cap', () => {
    expect(() => new BodyPool({ maxPooledBytes: -1 })).toThrow(RangeError);
    expect(() => new BodyPool({ maxPooledBytes: 1.5 })).toThrow(RangeError);
  });
});

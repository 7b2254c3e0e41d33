import { ConcurrencyLimiter, ShedError } from './concurrency-limiter';

describe('ConcurrencyLimiter', () => {
  it('admits up to the limit, queues up to the queue limit, and sheds the next at once', async () => {
    const limiter = new ConcurrencyLimiter('catalog', 2, 1, 10_000);
    const a = await limiter.acquire();
    await limiter.acquire();
    const queued = limiter.acquire();
    expect([limiter.inUse, limiter.queued]).toEqual([2, 1]);
    await expect(limiter.acquire()).rejects.toMatchObject({ reason: 'queue_full', upstream: 'catalog' });
    a();
    await expect(queued).resolves.toEqual(expect.any(Function));
    expect([limiter.inUse, limiter.queued]).toEqual([2, 0]);
  });

  it('sheds a queued request that waits longer than the queue timeout', async () => {
    const limiter = new ConcurrencyLimiter('catalog', 1, 5, 30);
    await limiter.acquire();
    const started = Date.now();
    await expect(limiter.acquire()).rejects.toBeInstanceOf(ShedError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(limiter.queued).toBe(0);
  });

  it('with a queue limit of 0 sheds as soon as the limit is reached', async () => {
    const limiter = new ConcurrencyLimiter('orders', 1, 0, 1_000);
    await limiter.acquire();
    await expect(limiter.acquire()).rejects.toMatchObject({ reason: 'queue_full' });
  });

  it('a release is counted once, and a raised limit admits the queue at once', async () => {
    const limiter = new ConcurrencyLimiter('catalog', 1, 10, 10_000);
    const release = await limiter.acquire();
    const waiting = [limiter.acquire(), limiter.acquire()];
    limiter.reconfigure(3, 10, 10_000);
    await Promise.all(waiting);
    expect(limiter.inUse).toBe(3);
    release();
    release();
    expect(limiter.inUse).toBe(2);
  });
});

import { Gradient2Limit } from '../adaptive/gradient2';
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

describe('ConcurrencyLimiter with an adaptive limit (Gradient2)', () => {
  /** A Gradient2 that has learnt a 10 ms baseline while saturated at 40. */
  function trained(): Gradient2Limit {
    const g = new Gradient2Limit({ initialLimit: 40, minLimit: 10, maxLimit: 40 });
    for (let i = 0; i < 10; i++) g.onSample(0, 10, 40, false);
    return g;
  }

  it('admits up to the adaptive limit, queues and sheds beyond it, and a slow release lowers the limit', async () => {
    let now = 0;
    const limiter = new ConcurrencyLimiter('catalog', 1_000, 1, 10_000, () => now);
    limiter.setAlgorithm(trained());
    expect(limiter.currentLimit).toBe(40); // the algorithm's, not the fixed 1000
    const releases = await Promise.all(Array.from({ length: 40 }, () => limiter.acquire()));
    const queued = limiter.acquire();
    await expect(limiter.acquire()).rejects.toMatchObject({ reason: 'queue_full' });
    expect([limiter.inUse, limiter.queued]).toEqual([40, 1]);

    // The 40th request took 100 ms against a 10 ms baseline (queueing upstream):
    // gradient 0.5, 40 × 0.5 + 4 = 24, 40 × 0.8 + 24 × 0.2 = 36.8 → 36.
    now = 100;
    releases[39]!('success');
    expect(limiter.currentLimit).toBe(36);
    // 39 in flight ≥ 36: the freed slot is not handed to the queued request, as a fixed 40 would.
    expect([limiter.inUse, limiter.queued]).toEqual([39, 1]);
    // Failures that say nothing about load are not samples: the limit holds.
    for (const release of releases.slice(36, 39)) release('ignore');
    expect(limiter.currentLimit).toBe(36);
    expect([limiter.inUse, limiter.queued]).toEqual([36, 1]);
    releases[35]!('ignore');
    await expect(queued).resolves.toEqual(expect.any(Function));
    expect([limiter.inUse, limiter.queued]).toEqual([36, 0]);
  });

  it('a dropped request is a sample (its RTT counts); samples of an algorithm replaced meanwhile are discarded', async () => {
    let now = 0;
    const limiter = new ConcurrencyLimiter('catalog', 5, 0, 1_000, () => now);
    const g = trained();
    limiter.setAlgorithm(g);
    const releases = await Promise.all(Array.from({ length: 40 }, () => limiter.acquire()));
    now = 250;
    releases[39]!('dropped');
    expect(g.estimatedLimit).toBeLessThan(40);
    expect(g.lastRtt).toBe(250);
    const fresh = trained();
    limiter.setAlgorithm(fresh);
    releases[38]!('success');
    expect(fresh.estimatedLimit).toBe(trained().estimatedLimit);
    limiter.setAlgorithm(null);
    expect(limiter.currentLimit).toBe(5);
  });
});

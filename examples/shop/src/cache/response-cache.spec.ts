import { ResponseCache } from './response-cache';

describe('ResponseCache', () => {
  let now = 0;
  const cache = () => new ResponseCache<string>(2, () => now);
  beforeEach(() => {
    now = 1_000;
  });

  it('misses, then hits within the TTL', async () => {
    const c = cache();
    const load = jest.fn(async () => 'v1');
    expect(await c.get('a', 1_000, load)).toEqual({ value: 'v1', outcome: 'miss' });
    expect(await c.get('a', 1_000, load)).toEqual({ value: 'v1', outcome: 'hit' });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('serves a stale entry at once and refreshes it in the background', async () => {
    const c = cache();
    await c.get('a', 1_000, async () => 'v1');
    now += 2_000;
    let finish: (v: string) => void = () => undefined;
    const refresh = jest.fn(() => new Promise<string>((resolve) => (finish = resolve)));
    expect(await c.get('a', 1_000, refresh)).toEqual({ value: 'v1', outcome: 'stale' });
    expect(await c.get('a', 1_000, refresh)).toEqual({ value: 'v1', outcome: 'stale' });
    expect(refresh).toHaveBeenCalledTimes(1);
    finish('v2');
    await new Promise((r) => setImmediate(r));
    expect(await c.get('a', 1_000, refresh)).toEqual({ value: 'v2', outcome: 'hit' });
  });

  it('makes one call for concurrent misses of a key', async () => {
    const c = cache();
    const load = jest.fn(async () => 'v');
    await Promise.all([c.get('a', 1_000, load), c.get('a', 1_000, load), c.get('a', 1_000, load)]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('keeps serving the stale value when a refresh fails, and does not cache failures', async () => {
    const c = cache();
    await expect(c.get('a', 1_000, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(c.size).toBe(0);
    await c.get('a', 1_000, async () => 'v1');
    now += 5_000;
    expect(await c.get('a', 1_000, () => Promise.reject(new Error('down')))).toEqual({ value: 'v1', outcome: 'stale' });
  });

  it('evicts the least recently used entry beyond its capacity', async () => {
    const c = cache();
    await c.get('a', 1_000, async () => 'a');
    await c.get('b', 1_000, async () => 'b');
    await c.get('a', 1_000, async () => 'a');
    await c.get('c', 1_000, async () => 'c');
    expect((await c.get('a', 1_000, async () => 'a2')).outcome).toBe('hit');
    expect((await c.get('b', 1_000, async () => 'b2')).outcome).toBe('miss');
  });
});

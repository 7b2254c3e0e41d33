import { parseCacheControl, requestBypassReason, ResponseCache, storagePolicy, type CachedResponse } from './response-cache';

const CONFIG = { enabled: true, ttlMs: 30_000, staleWhileRevalidateMs: 10_000, maxEntries: 100 };
const ok = (headers: Record<string, string> = {}, body = 'x'): CachedResponse => ({ status: 200, headers, body: Buffer.from(body) });

describe('Cache-Control', () => {
  it('parses directives with and without arguments, quoted or not, case-insensitively', () => {
    const cc = parseCacheControl('Public, MAX-AGE=60, s-maxage="30", no-transform');
    expect(Object.fromEntries(cc)).toEqual({ public: true, 'max-age': '60', 's-maxage': '30', 'no-transform': true });
    expect(parseCacheControl(undefined).size).toBe(0);
  });

  it('never stores no-store, private, no-cache, Vary: *, Set-Cookie or an uncacheable status', () => {
    for (const cc of ['no-store', 'private, max-age=60', 'no-cache', 'max-age=60, No-Store']) {
      expect(storagePolicy(CONFIG, {}, 200, { 'cache-control': cc })).toBeNull();
    }
    expect(storagePolicy(CONFIG, {}, 200, { vary: 'accept, *' })).toBeNull();
    expect(storagePolicy(CONFIG, {}, 200, { 'set-cookie': 'a=1' })).toBeNull();
    for (const status of [201, 500, 502, 503]) expect(storagePolicy(CONFIG, {}, status, {})).toBeNull();
  });

  it("caps the route's TTL by the origin's s-maxage, else max-age, and never lengthens it", () => {
    expect(storagePolicy(CONFIG, {}, 200, { 'cache-control': 'max-age=5' })).toEqual({ ttlMs: 5_000, staleMs: 10_000 });
    expect(storagePolicy(CONFIG, {}, 200, { 'cache-control': 'max-age=5, s-maxage=7' })).toEqual({ ttlMs: 7_000, staleMs: 10_000 });
    expect(storagePolicy(CONFIG, {}, 200, { 'cache-control': 'max-age=3600' })).toEqual({ ttlMs: 30_000, staleMs: 10_000 });
    expect(storagePolicy(CONFIG, {}, 200, {})).toEqual({ ttlMs: 30_000, staleMs: 10_000 });
    expect(storagePolicy(CONFIG, {}, 200, { 'cache-control': 'max-age=60, must-revalidate' })).toEqual({ ttlMs: 30_000, staleMs: 0 });
  });

  it('stores an answer to an Authorization request only when the origin says public or s-maxage', () => {
    expect(storagePolicy(CONFIG, { authorization: 'Bearer t' }, 200, { 'cache-control': 'max-age=60' })).toBeNull();
    expect(storagePolicy(CONFIG, { authorization: 'Bearer t' }, 200, { 'cache-control': 'public, max-age=60' })).not.toBeNull();
  });

  it('lets only GET requests without no-store / no-cache use the cache', () => {
    expect(requestBypassReason('GET', {})).toBeNull();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']) expect(requestBypassReason(method, {})).toBe('method');
    expect(requestBypassReason('GET', { 'cache-control': 'no-store' })).toBe('request-no-store');
    expect(requestBypassReason('GET', { 'cache-control': 'no-cache' })).toBe('request-no-cache');
    expect(requestBypassReason('GET', { 'cache-control': 'max-age=0' })).toBe('request-no-cache');
    expect(requestBypassReason('GET', { pragma: 'no-cache' })).toBe('request-no-cache');
  });
});

describe('ResponseCache', () => {
  let now = 1_000_000;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  it('serves fresh within the TTL, stale within stale-while-revalidate, then misses', () => {
    const cache = new ResponseCache(CONFIG, clock);
    expect(cache.store('GET /a', {}, ok())).toBe(true);
    expect(cache.lookup('GET /a', {}).result).toBe('fresh');
    now += 29_999;
    expect(cache.lookup('GET /a', {})).toMatchObject({ result: 'fresh', ageS: 29 });
    now += 1;
    expect(cache.lookup('GET /a', {}).result).toBe('stale');
    now += 10_000;
    expect(cache.lookup('GET /a', {}).result).toBe('miss');
  });

  it('does not store what Cache-Control forbids', () => {
    const cache = new ResponseCache(CONFIG, clock);
    expect(cache.store('GET /a', {}, ok({ 'cache-control': 'no-store' }))).toBe(false);
    expect(cache.store('GET /b', {}, ok({ 'cache-control': 'private' }))).toBe(false);
    expect(cache.lookup('GET /a', {}).result).toBe('miss');
    expect(cache.lookup('GET /b', {}).result).toBe('miss');
    expect(cache.size).toBe(0);
  });

  it('keeps one variant per value of the headers named by Vary', () => {
    const cache = new ResponseCache(CONFIG, clock);
    cache.store('GET /a', { 'accept-language': 'de' }, ok({ vary: 'Accept-Language' }, 'de'));
    cache.store('GET /a', { 'accept-language': 'fr' }, ok({ vary: 'Accept-Language' }, 'fr'));
    const de = cache.lookup('GET /a', { 'accept-language': 'de' });
    const fr = cache.lookup('GET /a', { 'accept-language': 'fr' });
    expect(de.result === 'fresh' && de.response.body.toString()).toBe('de');
    expect(fr.result === 'fresh' && fr.response.body.toString()).toBe('fr');
    expect(cache.lookup('GET /a', { 'accept-language': 'en' }).result).toBe('miss');
    expect(cache.lookup('GET /a', {}).result).toBe('miss');
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new ResponseCache({ ...CONFIG, maxEntries: 2 }, clock);
    cache.store('GET /a', {}, ok());
    cache.store('GET /b', {}, ok());
    cache.lookup('GET /a', {});
    cache.store('GET /c', {}, ok());
    expect(cache.lookup('GET /a', {}).result).toBe('fresh');
    expect(cache.lookup('GET /b', {}).result).toBe('miss');
  });
});

import { LRUCache } from 'lru-cache';
import type { CacheConfig } from '../config/gateway-config.schema';

/** A response as the gateway keeps it: status, the headers to replay, the body. */
export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

interface Entry {
  response: CachedResponse;
  storedAt: number;
  freshUntil: number;
  staleUntil: number;
}

/** What a lookup found: `fresh` and `stale` carry a response; a `stale` one must be refreshed in the background. */
export type Lookup = { result: 'fresh' | 'stale'; response: CachedResponse; ageS: number } | { result: 'miss' };

export type RequestHeaders = Record<string, string | string[] | undefined>;

/** Status codes a shared cache may store (RFC 9110 §15.1, heuristically cacheable). */
const CACHEABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

export type CacheControl = Map<string, string | true>;

/** `Cache-Control: public, max-age=60, s-maxage="30"` → {public: true, max-age: '60', s-maxage: '30'}. */
export function parseCacheControl(value: string | string[] | undefined): CacheControl {
  const out: CacheControl = new Map();
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  for (const part of text.split(',')) {
    const [rawName, ...rest] = part.split('=');
    const directive = rawName?.trim().toLowerCase();
    if (!directive) continue;
    const arg = rest
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    out.set(directive, rest.length > 0 ? arg : true);
  }
  return out;
}

function seconds(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function header(headers: RequestHeaders | Record<string, string>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Why a request skips the cache, or null when it may use it. */
export function requestBypassReason(method: string, headers: RequestHeaders): string | null {
  if (method !== 'GET') return 'method';
  const cc = parseCacheControl(headers['cache-control']);
  if (cc.has('no-store')) return 'request-no-store';
  // no-cache and max-age=0 ask for a response validated at the origin: go there (and store what comes back).
  if (cc.has('no-cache') || seconds(cc.get('max-age')) === 0 || header(headers, 'pragma') === 'no-cache') return 'request-no-cache';
  return null;
}

/**
 * How long a shared cache may serve this response fresh and then stale, in ms, or null when it must
 * not store it (RFC 9111 §3): `no-store`, `private`, `no-cache` (would need revalidation on every
 * use), `Vary: *`, a `Set-Cookie`, an `Authorization`ed request without `public`/`s-maxage`, a status
 * that is not cacheable. The route's TTL is an upper bound set from the intent's staleness; the
 * origin's `s-maxage` or `max-age` can only shorten it, never lengthen it.
 */
export function storagePolicy(
  config: CacheConfig,
  requestHeaders: RequestHeaders,
  status: number,
  responseHeaders: Record<string, string>,
): { ttlMs: number; staleMs: number } | null {
  if (!CACHEABLE_STATUS.has(status)) return null;
  const cc = parseCacheControl(responseHeaders['cache-control']);
  if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return null;
  if ((responseHeaders['vary'] ?? '').split(',').some((v) => v.trim() === '*')) return null;
  if (responseHeaders['set-cookie'] !== undefined) return null;
  if (requestHeaders['authorization'] !== undefined && !cc.has('public') && !cc.has('s-maxage')) return null;
  const originS = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  const ttlMs = Math.min(config.ttlMs, originS === undefined ? Infinity : originS * 1_000);
  // must-revalidate / proxy-revalidate forbid serving it stale.
  const staleMs = cc.has('must-revalidate') || cc.has('proxy-revalidate') ? 0 : config.staleWhileRevalidateMs;
  if (ttlMs + staleMs <= 0) return null;
  return { ttlMs, staleMs };
}

const varyNames = (responseHeaders: Record<string, string>): string[] =>
  (responseHeaders['vary'] ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean)
    .sort();

/**
 * The shared response cache of one route, on lru-cache: entries live for TTL + stale window and
 * are evicted least recently used first beyond `maxEntries`. A response with `Vary` is stored per
 * value of the headers it names: the primary key remembers the names, the entry key adds the values.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly variesOn: LRUCache<string, string[]>;

  constructor(
    private readonly config: CacheConfig,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.entries = new LRUCache<string, Entry>({ max: config.maxEntries, ttlAutopurge: false, ttlResolution: 0, perf: { now } });
    this.variesOn = new LRUCache<string, string[]>({ max: config.maxEntries });
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(primaryKey: string, requestHeaders: RequestHeaders): Lookup {
    const names = this.variesOn.get(primaryKey);
    if (names === undefined) return { result: 'miss' };
    const entry = this.entries.get(variantKey(primaryKey, names, requestHeaders));
    if (entry === undefined) return { result: 'miss' };
    const now = this.now();
    const ageS = Math.max(0, Math.floor((now - entry.storedAt) / 1_000));
    if (now < entry.freshUntil) return { result: 'fresh', response: entry.response, ageS };
    if (now < entry.staleUntil) return { result: 'stale', response: entry.response, ageS };
    return { result: 'miss' };
  }

  /** Stores the response when HTTP allows it; returns whether it did. */
  store(primaryKey: string, requestHeaders: RequestHeaders, response: CachedResponse): boolean {
    const policy = storagePolicy(this.config, requestHeaders, response.status, response.headers);
    if (policy === null) return false;
    const names = varyNames(response.headers);
    const now = this.now();
    this.variesOn.set(primaryKey, names);
    this.entries.set(
      variantKey(primaryKey, names, requestHeaders),
      { response, storedAt: now, freshUntil: now + policy.ttlMs, staleUntil: now + policy.ttlMs + policy.staleMs },
      { ttl: policy.ttlMs + policy.staleMs },
    );
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.variesOn.clear();
  }
}

function variantKey(primaryKey: string, names: string[], requestHeaders: RequestHeaders): string {
  if (names.length === 0) return primaryKey;
  // Normalised as RFC 9111 §4.1 allows: whitespace around commas does not make another variant.
  const values = names.map((n) => `${n}=${(header(requestHeaders, n) ?? '').replace(/\s*,\s*/g, ',').trim()}`);
  return `${primaryKey}\n${values.join('\n')}`;
}

/** One time bucket of one route, as the gateway's telemetry gives it. */
export interface RouteBucket {
  /** Epoch ms of the bucket's start. */
  startMs: number;
  requests: number;
  /** Answers 5xx (the gateway's own 502/503/504 included). */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers served from the route's cache (fresh or stale). */
  cacheHits: number;
  /** Upstream attempts that were retries. */
  retries: number;
  /** Requests whose key (path and query) was asked for earlier in the same window: what a cache could have served. */
  repeats: number;
  /**
   * The target's config version that served the bucket's last request, when its spans say
   * (`gateway.config.version`), and how many versions served the bucket: more than one when the
   * config changed within it. What keeps an experiment's baseline to the config it replaces.
   */
  configVersion?: number;
  configVersions?: number;
}

/** A window of a route's buckets, summed up. */
export interface RouteSummary {
  route: string;
  buckets: number;
  requests: number;
  rps: number;
  /** Medians of the per-bucket percentiles: one slow bucket does not move them. */
  p50Ms: number;
  p99Ms: number;
  errorRatio: number;
  cacheHitRatio: number;
  retryRatio: number;
  /** Share of requests a cache could have served: the hit ratio's ceiling. */
  repeatRatio: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const at = (k: number): number => s[k] ?? 0;
  return s.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/** Buckets with fewer requests than `minRequests` say nothing about latency and are left out. */
export function usable(buckets: readonly RouteBucket[], minRequests: number): RouteBucket[] {
  return buckets.filter((b) => b.requests >= minRequests);
}

export function summarize(route: string, buckets: readonly RouteBucket[], bucketMs: number): RouteSummary {
  const requests = buckets.reduce((s, b) => s + b.requests, 0);
  const sum = (f: (b: RouteBucket) => number): number => buckets.reduce((s, b) => s + f(b), 0);
  const ratio = (x: number): number => (requests > 0 ? x / requests : 0);
  return {
    route,
    buckets: buckets.length,
    requests,
    rps: buckets.length > 0 ? requests / ((buckets.length * bucketMs) / 1_000) : 0,
    p50Ms: median(buckets.map((b) => b.p50Ms)),
    p99Ms: median(buckets.map((b) => b.p99Ms)),
    errorRatio: ratio(sum((b) => b.errors)),
    cacheHitRatio: ratio(sum((b) => b.cacheHits)),
    retryRatio: ratio(sum((b) => b.retries)),
    repeatRatio: ratio(sum((b) => b.repeats)),
  };
}

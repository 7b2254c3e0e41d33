import {
  liveKnobsSchema,
  parseDuration,
  type Attributes,
  type LiveKnobs,
  type OptimizeSpec,
  type RouteObservation,
  type SpansBatch,
} from '@homeostat/contracts';
import { regimeSignature } from './regime';
import { median, summarize, usable, type RouteBucket } from './route-stats';

/** The gateway's span attributes the observer reads (examples/gateway semconv: a contract). */
export const GATEWAY_ATTR = {
  route: 'gateway.route',
  cacheResult: 'gateway.cache.result',
  replica: 'gateway.upstream.replica',
  resendCount: 'http.request.resend_count',
  statusCode: 'http.response.status_code',
  urlPath: 'url.path',
  configVersion: 'gateway.config.version',
} as const;

/** The server span's attributes that name the knobs live on its route and upstream (examples/gateway semconv). */
export const GATEWAY_KNOB_ATTR: Record<Exclude<keyof LiveKnobs, 'configVersion'>, string> = {
  drainedReplicas: 'gateway.upstream.drained_replicas',
  cacheEnabled: 'gateway.cache.enabled',
  cacheTtlMs: 'gateway.cache.ttl_ms',
  cacheStaleWhileRevalidateMs: 'gateway.cache.stale_while_revalidate_ms',
  retryMaxAttempts: 'gateway.retry.max_attempts',
  retryBudgetRatio: 'gateway.retry.budget_ratio',
  balancer: 'gateway.upstream.balancer',
  concurrencyLimit: 'gateway.upstream.concurrency_limit',
  queueLimit: 'gateway.upstream.queue_limit',
};

/**
 * The knobs a server span says served its request; undefined when it names none. A value of the
 * wrong type is left out (so a change to that knob counts as one) rather than trusted.
 */
export function liveKnobsOf(attributes: Attributes): LiveKnobs | undefined {
  const knobs: Record<string, unknown> = {};
  for (const [knob, attr] of Object.entries(GATEWAY_KNOB_ATTR)) {
    const v = attributes[attr];
    if (v === undefined) continue;
    if (knob === 'drainedReplicas') {
      if (typeof v === 'string') knobs[knob] = v.split(',').filter((u) => u !== '');
      continue;
    }
    // An OTLP JSON exporter may send an int as a string.
    const value = typeof v === 'string' && knob !== 'balancer' ? (v === 'true' ? true : v === 'false' ? false : Number(v)) : v;
    if (liveKnobsSchema.safeParse({ [knob]: value }).success) knobs[knob] = value;
  }
  if (Object.keys(knobs).length === 0) return undefined;
  const version = Number(attributes[GATEWAY_ATTR.configVersion]);
  return { ...(Number.isInteger(version) && version >= 0 ? { configVersion: version } : {}), ...knobs } as LiveKnobs;
}

interface OpenBucket {
  durationsMs: number[];
  errors: number;
  cacheHits: number;
  retries: number;
  repeats: number;
  replicaMs: Map<string, number[]>;
}

interface RouteState {
  buckets: Map<number, OpenBucket>;
  /** When each key (path) was last asked for: a request for one seen within the window is a repeat. */
  lastSeen: Map<string, number>;
  /** The knobs the newest server span named, and when it ended. */
  live?: { atMs: number; knobs: LiveKnobs };
}

/** A route's state as a snapshot carries it (plain JSON): its open buckets and the keys last seen. */
export interface RouteObserverSnapshot {
  routes: Record<
    string,
    {
      buckets: Array<{
        startMs: number;
        durationsMs: number[];
        errors: number;
        cacheHits: number;
        retries: number;
        repeats: number;
        replicaMs: Record<string, number[]>;
      }>;
      lastSeen: Record<string, number>;
      live?: { atMs: number; knobs: LiveKnobs };
    }
  >;
}

const nsToMs = (ns: string): number => Number(BigInt(ns) / 1_000_000n);

/** A replica's newest attempts that say what it is doing now: few, as Envoy ejects after 5 consecutive errors. */
export const RECENT_ATTEMPTS = 5;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

/**
 * Per-route series of an API gateway, from its spans: per bucket the requests, 5xx, latency p50
 * and p99, cache hits, retries, and repeated keys (what a cache could have served). Spans rather
 * than the duration histogram: the histogram's buckets (25, 50, 75, 100 ms…) are too coarse for
 * the per-bucket percentiles a rank test compares, and spans carry the request's key.
 */
export class RouteObserver {
  private readonly routes = new Map<string, RouteState>();
  readonly bucketMs: number;
  private readonly windowMs: number;

  constructor(private readonly spec: OptimizeSpec) {
    this.bucketMs = parseDuration(spec.bucket);
    this.windowMs = this.bucketMs * spec.baselineBuckets;
  }

  ingest(batch: SpansBatch): void {
    for (const span of batch.spans) {
      const route = span.attributes[GATEWAY_ATTR.route];
      if (typeof route !== 'string' || this.spec.routes[route] === undefined) continue;
      const endMs = nsToMs(span.endTimeUnixNano);
      const durationMs = (Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6) as number;
      const state: RouteState = this.routes.get(route) ?? { buckets: new Map(), lastSeen: new Map() };
      this.routes.set(route, state);
      const start = Math.floor(endMs / this.bucketMs) * this.bucketMs;
      let bucket = state.buckets.get(start);
      if (bucket === undefined) {
        bucket = { durationsMs: [], errors: 0, cacheHits: 0, retries: 0, repeats: 0, replicaMs: new Map() };
        state.buckets.set(start, bucket);
      }
      if (span.kind === 'server') {
        bucket.durationsMs.push(durationMs);
        const knobs = liveKnobsOf(span.attributes);
        if (knobs !== undefined && (state.live === undefined || state.live.atMs <= endMs)) state.live = { atMs: endMs, knobs };
        const status = Number(span.attributes[GATEWAY_ATTR.statusCode] ?? 0);
        if (status >= 500 || span.status.code === 'error') bucket.errors++;
        const cache = span.attributes[GATEWAY_ATTR.cacheResult];
        if (cache === 'hit' || cache === 'stale' || cache === 'HIT' || cache === 'STALE') bucket.cacheHits++;
        const key = span.attributes[GATEWAY_ATTR.urlPath];
        if (typeof key === 'string') {
          const seen = state.lastSeen.get(key);
          if (seen !== undefined && endMs - seen <= this.windowMs) bucket.repeats++;
          state.lastSeen.set(key, endMs);
        }
      } else if (span.kind === 'client') {
        if (Number(span.attributes[GATEWAY_ATTR.resendCount] ?? 0) > 0) bucket.retries++;
        const replica = span.attributes[GATEWAY_ATTR.replica];
        if (typeof replica === 'string') bucket.replicaMs.set(replica, [...(bucket.replicaMs.get(replica) ?? []), durationMs]);
      }
    }
  }

  /** The route's closed buckets in [fromMs, toMs), oldest first; empty buckets (no request) are left out. */
  buckets(route: string, fromMs: number, toMs: number): RouteBucket[] {
    const state = this.routes.get(route);
    if (state === undefined) return [];
    return [...state.buckets.entries()]
      .filter(([start]) => start >= fromMs && start + this.bucketMs <= toMs)
      .sort(([a], [b]) => a - b)
      .flatMap(([startMs, b]) => {
        if (b.durationsMs.length === 0) return [];
        const sorted = [...b.durationsMs].sort((x, y) => x - y);
        return [
          {
            startMs,
            requests: sorted.length,
            errors: b.errors,
            p50Ms: quantile(sorted, 0.5),
            p99Ms: quantile(sorted, 0.99),
            cacheHits: b.cacheHits,
            retries: b.retries,
            repeats: b.repeats,
          },
        ];
      });
  }

  /** What the route's last full window looks like, or undefined while it has too few usable buckets. */
  observe(route: string, now: number): Omit<RouteObservation, 'kind'> | undefined {
    const spec = this.spec.routes[route];
    const state = this.routes.get(route);
    if (spec === undefined || state === undefined) return undefined;
    const end = Math.floor(now / this.bucketMs) * this.bucketMs;
    const from = end - this.windowMs;
    const buckets = usable(this.buckets(route, from, end), this.spec.minRequestsPerBucket);
    if (buckets.length < Math.ceil(this.spec.baselineBuckets * 0.8)) return undefined;
    const s = summarize(route, buckets, this.bucketMs);
    const replicaP50Ms: Record<string, number> = {};
    const perReplica = new Map<string, number[]>();
    // Buckets in time order, so each replica's list ends with its newest attempts.
    const inOrder = [...state.buckets].filter(([start]) => start >= from && start < end).sort(([a], [b]) => a - b);
    for (const [, b] of inOrder) for (const [r, ms] of b.replicaMs) perReplica.set(r, [...(perReplica.get(r) ?? []), ...ms]);
    const replicaRecentMs: Record<string, number> = {};
    for (const [r, ms] of perReplica) {
      replicaP50Ms[r] = median(ms);
      replicaRecentMs[r] = median(ms.slice(-RECENT_ATTEMPTS));
    }
    return {
      route,
      regime: regimeSignature(s, spec),
      windowStart: new Date(from).toISOString(),
      windowEnd: new Date(end).toISOString(),
      buckets: s.buckets,
      rps: s.rps,
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      errorRatio: Math.min(1, s.errorRatio),
      cacheHitRatio: Math.min(1, s.cacheHitRatio),
      retryRatio: s.retryRatio,
      repeatRatio: Math.min(1, s.repeatRatio),
      ...(perReplica.size > 0 ? { replicaP50Ms, replicaRecentMs } : {}),
      ...(state.live === undefined ? {} : { live: state.live.knobs }),
    };
  }

  /** Its buckets and keys, so a restarted or new analyzer needs no new window before it sees the routes again. */
  snapshot(): RouteObserverSnapshot {
    const routes: RouteObserverSnapshot['routes'] = {};
    for (const [route, state] of this.routes)
      routes[route] = {
        buckets: [...state.buckets].map(([startMs, b]) => ({
          startMs,
          durationsMs: b.durationsMs,
          errors: b.errors,
          cacheHits: b.cacheHits,
          retries: b.retries,
          repeats: b.repeats,
          replicaMs: Object.fromEntries(b.replicaMs),
        })),
        lastSeen: Object.fromEntries(state.lastSeen),
        ...(state.live === undefined ? {} : { live: state.live }),
      };
    return { routes };
  }

  /** Replaces its state with a snapshot's; throws, changing nothing, on one that is not a RouteObserverSnapshot. */
  restore(snapshot: unknown): void {
    const routes = new Map<string, RouteState>();
    const top = record(snapshot, 'the observer snapshot');
    for (const [route, raw] of Object.entries(record(top['routes'], 'routes'))) {
      const r = record(raw, `route ${route}`);
      const buckets = new Map<number, OpenBucket>();
      if (!Array.isArray(r['buckets'])) throw new Error(`route ${route}: buckets is not a list`);
      for (const rawBucket of r['buckets'] as unknown[]) {
        const b = record(rawBucket, `a bucket of route ${route}`);
        const replicaMs = new Map(Object.entries(record(b['replicaMs'], 'replicaMs')).map(([k, v]) => [k, numbers(v, `replica ${k}`)]));
        buckets.set(count(b['startMs'], 'startMs'), {
          durationsMs: numbers(b['durationsMs'], 'durationsMs'),
          errors: count(b['errors'], 'errors'),
          cacheHits: count(b['cacheHits'], 'cacheHits'),
          retries: count(b['retries'], 'retries'),
          repeats: count(b['repeats'], 'repeats'),
          replicaMs,
        });
      }
      const lastSeen = new Map(Object.entries(record(r['lastSeen'], 'lastSeen')).map(([k, v]) => [k, count(v, `key ${k}`)]));
      let live: RouteState['live'];
      if (r['live'] !== undefined) {
        const l = record(r['live'], `route ${route}: live`);
        const knobs = liveKnobsSchema.safeParse(l['knobs']);
        if (!knobs.success) throw new Error(`route ${route}: live knobs are not LiveKnobs: ${knobs.error.message}`);
        live = { atMs: count(l['atMs'], 'live atMs'), knobs: knobs.data };
      }
      // Routes the spec no longer has are left behind.
      if (this.spec.routes[route] !== undefined) routes.set(route, { buckets, lastSeen, ...(live === undefined ? {} : { live }) });
    }
    this.routes.clear();
    for (const [route, state] of routes) this.routes.set(route, state);
  }

  routesSeen(): string[] {
    return [...this.routes.keys()];
  }

  /** Forgets buckets and keys older than two windows: the observer's memory stays bounded. */
  prune(now: number): void {
    const horizon = now - 2 * this.windowMs - this.bucketMs;
    for (const state of this.routes.values()) {
      for (const start of state.buckets.keys()) if (start < horizon) state.buckets.delete(start);
      for (const [key, at] of state.lastSeen) if (at < now - this.windowMs) state.lastSeen.delete(key);
    }
  }
}

function record(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error(`${what} is not an object`);
  return x as Record<string, unknown>;
}

function count(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${what} is not a number`);
  return x;
}

function numbers(x: unknown, what: string): number[] {
  if (!Array.isArray(x) || !x.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw new Error(`${what} is not a list of numbers`);
  return x as number[];
}

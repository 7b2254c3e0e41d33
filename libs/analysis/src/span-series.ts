import { LatencyHistogram } from './latency-histogram';
import { DERIVED, type SeriesPoint } from './series';

/** The fields of a span the aggregation needs (a subset of the contract's span). */
export interface SpanLike {
  traceId: string;
  spanId: string;
  parentSpanId?: string | undefined;
  name: string;
  kind: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, unknown>;
  status: { code: string; message?: string | undefined };
}

interface RouteBucket {
  requests: number;
  errors: number;
  latency: LatencyHistogram;
}

/**
 * Turns a service's entry spans (server and consumer spans: the requests it serves) into series
 * per route, bucketed by event time: request rate (per second), error ratio and p95 latency (ms).
 * A bucket is emitted once the clock passes its end plus the allowed lateness; a route that had
 * traffic before and none in a bucket reports a rate of 0, so a service going silent is seen.
 */
export class SpanSeriesAggregator {
  private nextBucket: number | undefined;
  private readonly buckets = new Map<number, Map<string, RouteBucket>>();
  /** Routes seen per service, with the bucket they were last active in (bounded). */
  private readonly knownRoutes = new Map<string, { first: number; last: number }>();

  constructor(
    private readonly bucketMs = 10_000,
    private readonly maxRoutes = 5_000,
  ) {}

  add(service: string, span: SpanLike): void {
    if (span.kind !== 'server' && span.kind !== 'consumer') return;
    const startMs = Number(BigInt(span.startTimeUnixNano) / 1_000_000n);
    const durationMs = Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
    const bucketStart = startMs - (startMs % this.bucketMs);
    const route = routeOf(span);
    const key = `${service}\u0000${route}`;
    let bucket = this.buckets.get(bucketStart);
    if (!bucket) this.buckets.set(bucketStart, (bucket = new Map()));
    let r = bucket.get(key);
    if (!r) bucket.set(key, (r = { requests: 0, errors: 0, latency: new LatencyHistogram() }));
    r.requests++;
    if (span.status.code === 'error' || isServerError(span)) r.errors++;
    r.latency.add(durationMs);
    const seen = this.knownRoutes.get(key);
    this.knownRoutes.delete(key);
    this.knownRoutes.set(key, { first: Math.min(seen?.first ?? Infinity, bucketStart), last: Math.max(seen?.last ?? -Infinity, bucketStart) });
    if (this.knownRoutes.size > this.maxRoutes) this.knownRoutes.delete(this.knownRoutes.keys().next().value as string);
  }

  /** Emits every bucket that ended before `nowMs - latenessMs`, oldest first. */
  /**
   * Bucket starts that are over (end + lateness passed), oldest first, including the empty ones
   * since the last flush: a bucket with no data at all is exactly when silence must be reported.
   */
  private readyBuckets(nowMs: number, latenessMs: number): number[] {
    const lastReady = Math.floor((nowMs - latenessMs) / this.bucketMs) * this.bucketMs - this.bucketMs;
    const pending = [...this.buckets.keys()].filter((b) => b <= lastReady);
    const first = Math.min(this.nextBucket ?? Infinity, ...pending);
    if (!Number.isFinite(first)) return [];
    const out: number[] = [];
    // Late data for a bucket already flushed is counted in its own (re-opened) bucket.
    for (const b of pending) if (b < (this.nextBucket ?? -Infinity)) out.push(b);
    for (let b = Math.max(first, this.nextBucket ?? first); b <= lastReady; b += this.bucketMs) out.push(b);
    if (lastReady >= first) this.nextBucket = Math.max(this.nextBucket ?? -Infinity, lastReady + this.bucketMs);
    return out;
  }

  flush(nowMs: number, latenessMs = 2_000): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    for (const start of this.readyBuckets(nowMs, latenessMs)) {
      const bucket = this.buckets.get(start) ?? new Map();
      this.buckets.delete(start);
      const at = start + this.bucketMs;
      for (const [key, active] of this.knownRoutes) {
        const [service, route] = key.split('\u0000') as [string, string];
        const r = bucket.get(key);
        if (!r) {
          // Silence is a signal, for a while: after 30 quiet buckets the route is forgotten.
          if (start - active.last > 30 * this.bucketMs) this.knownRoutes.delete(key);
          else if (start > active.first) out.push({ service, name: DERIVED.requestRate, labels: { route }, timestampMs: at, value: 0 });
          continue;
        }
        const labels = { route };
        out.push({ service, name: DERIVED.requestRate, labels, timestampMs: at, value: r.requests / (this.bucketMs / 1000) });
        out.push({ service, name: DERIVED.errorRate, labels, timestampMs: at, value: r.errors / r.requests });
        out.push({ service, name: DERIVED.latencyP95, labels, timestampMs: at, value: r.latency.quantile(0.95) });
      }
    }
    return out;
  }
}

/** The route of a request: the low-cardinality name the semantic conventions give it. */
export function routeOf(span: SpanLike): string {
  const a = span.attributes;
  const route = a['http.route'] ?? a['url.template'] ?? a['rpc.method'] ?? a['messaging.destination.name'];
  if (typeof route === 'string' && route.length > 0) {
    const method = a['http.request.method'] ?? a['http.method'];
    return typeof method === 'string' && !route.startsWith(method) ? `${method} ${route}` : route;
  }
  return span.name;
}

function isServerError(span: SpanLike): boolean {
  const status = span.attributes['http.response.status_code'] ?? span.attributes['http.status_code'];
  return typeof status === 'number' && status >= 500;
}

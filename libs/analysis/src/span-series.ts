import { maskLine, WILDCARD } from '@homeostat/logmine';
import { KeyedBuckets } from './keyed-buckets';
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
  events?: readonly { name: string; attributes: Record<string, unknown> }[];
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
  private readonly buckets: KeyedBuckets<RouteBucket>;

  constructor(
    private readonly bucketMs = 10_000,
    maxRoutes = 5_000,
  ) {
    this.buckets = new KeyedBuckets(bucketMs, maxRoutes);
  }

  add(service: string, span: SpanLike): void {
    if (span.kind !== 'server' && span.kind !== 'consumer') return;
    const startMs = Number(BigInt(span.startTimeUnixNano) / 1_000_000n);
    const durationMs = Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
    const r = this.buckets.at(startMs, `${service}\u0000${routeOf(span)}`, () => ({
      requests: 0,
      errors: 0,
      latency: new LatencyHistogram(),
    }));
    r.requests++;
    if (span.status.code === 'error' || isServerError(span)) r.errors++;
    r.latency.add(durationMs);
  }

  /** Emits every bucket that ended before `nowMs - latenessMs`, oldest first. */
  flush(nowMs: number, latenessMs = 2_000): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    this.buckets.flush(nowMs, latenessMs, (at, key, r) => {
      const [service, route] = key.split('\u0000') as [string, string];
      const labels = { route };
      if (!r) {
        // Silence is a signal: a route that had traffic and has none.
        out.push({ service, name: DERIVED.requestRate, labels, timestampMs: at, value: 0 });
        return;
      }
      out.push({ service, name: DERIVED.requestRate, labels, timestampMs: at, value: r.requests / (this.bucketMs / 1000) });
      out.push({ service, name: DERIVED.errorRate, labels, timestampMs: at, value: r.errors / r.requests });
      out.push({ service, name: DERIVED.latencyP95, labels, timestampMs: at, value: r.latency.quantile(0.95) });
    });
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

/** Error shapes longer than this are cut (the first tokens of a message say what it is). */
const MAX_ERROR_SHAPE_LENGTH = 240;

/**
 * What went wrong in a failed span, in a form that is the same each time the same error recurs:
 * the recorded exception's type and message (the semantic conventions' `exception` event), else
 * the status message, with the variable parts masked as log lines are (numbers, ids, paths,
 * durations: @homeostat/logmine). So a pool timeout after 812 ms and one after 1 004 ms are one
 * shape, and a pricing error another. Undefined when the span says nothing but its status code,
 * or only a bare HTTP status ("HTTP 500": where, not what).
 */
export function errorShape(span: SpanLike): string | undefined {
  const exception = span.events?.find((e) => e.name === 'exception')?.attributes;
  const type = exception?.['exception.type'];
  const message = exception?.['exception.message'] ?? span.status.message;
  const text = [type, message].filter((x): x is string => typeof x === 'string' && x.trim().length > 0).join(': ');
  if (text === '') return undefined;
  const masked = maskLine(text.slice(0, 4 * MAX_ERROR_SHAPE_LENGTH)).masked;
  if (masked.every((t) => t === WILDCARD || /^HTTP$/i.test(t))) return undefined;
  const shape = masked.join(' ');
  return shape.length > MAX_ERROR_SHAPE_LENGTH ? `${shape.slice(0, MAX_ERROR_SHAPE_LENGTH)}${WILDCARD}` : shape;
}

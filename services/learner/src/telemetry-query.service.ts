import { BadRequestException, Injectable } from '@nestjs/common';
import { TELEMETRY_TABLES } from '@homeostat/store';
import type { SeriesAnswer } from '@homeostat/contracts';
import { LearnerStore } from './learner-store.service';

export interface SeriesQuery {
  service: string;
  /** A series name as the analyzer names it in an incident's evidence. */
  name: string;
  labels: Record<string, string>;
  fromMs: number;
  toMs: number;
  /** Bucket width. */
  stepMs: number;
}

/** The analyzer's names for the series it derives from entry spans (libs/analysis DERIVED). */
const SPAN_SERIES: Record<string, string> = {
  'span.request.rate': 'count() / ({step:UInt32} / 1000)',
  'span.error.ratio': `countIf(StatusCode = 'Error' OR toUInt16OrZero(SpanAttributes['http.response.status_code']) >= 500) / count()`,
  'span.duration.p95': 'quantile(0.95)(Duration) / 1e6',
};

/** A span's route as the analyzer names it: "<method> <http.route>", else the span name. */
const ROUTE = `if(SpanAttributes['http.route'] = '', SpanName,
  if(SpanAttributes['http.request.method'] = '' OR startsWith(SpanAttributes['http.route'], SpanAttributes['http.request.method']), SpanAttributes['http.route'],
     concat(SpanAttributes['http.request.method'], ' ', SpanAttributes['http.route'])))`;

const MAX_POINTS = 2_000;

/** One bucket of a gateway route (libs/optimize RouteBucket; repeated keys are not derived from storage: 0). */
export interface RouteBucketRow {
  startMs: number;
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  cacheHits: number;
  retries: number;
  repeats: number;
  /** The gateway's config version that served the bucket's last request, and how many served it (absent when its spans do not say). */
  configVersion?: number;
  configVersions?: number;
}

/**
 * The values behind an anomalous series, read back from the telemetry tables for the console's
 * charts: span-derived series are recomputed from otel_traces per bucket, metric series are the
 * recorded gauge and sum points (a `.rate` is differentiated here). Series the analyzer derives
 * in memory only (log template rates, histogram quantiles) have no stored values: `source` null.
 * FINAL: a record stored twice (a redelivery, an exporter's retry) is one row only once its parts
 * have merged (migration 0008), and a rate or a ratio counts rows.
 */
@Injectable()
export class TelemetryQueryService {
  constructor(private readonly store: LearnerStore) {}

  async series(q: SeriesQuery): Promise<SeriesAnswer> {
    if (!(q.toMs > q.fromMs)) throw new BadRequestException('to must be after from');
    if ((q.toMs - q.fromMs) / q.stepMs > MAX_POINTS)
      throw new BadRequestException(`at most ${MAX_POINTS} buckets: widen step or narrow the range`);
    const base = { name: q.name, labels: q.labels };
    const span = SPAN_SERIES[q.name];
    if (span) {
      const rows = await this.rows(
        `SELECT intDiv(toUnixTimestamp64Milli(Timestamp), {step:UInt32}) * {step:UInt32} AS t, ${span} AS value
         FROM ${TELEMETRY_TABLES.traces} FINAL
         WHERE ServiceName = {service:String} AND SpanKind IN ('Server', 'Consumer')
           AND Timestamp >= fromUnixTimestamp64Milli({from:Int64}) AND Timestamp < fromUnixTimestamp64Milli({to:Int64})
           AND ({route:String} = '' OR ${ROUTE} = {route:String})
         GROUP BY t ORDER BY t`,
        { service: q.service, step: q.stepMs, from: q.fromMs, to: q.toMs, route: q.labels['route'] ?? '' },
      );
      return { ...base, source: TELEMETRY_TABLES.traces, points: rows };
    }
    const rate = q.name.endsWith('.rate');
    const metric = rate ? q.name.slice(0, -'.rate'.length) : q.name;
    for (const table of [TELEMETRY_TABLES.metricsGauge, TELEMETRY_TABLES.metricsSum]) {
      const rows = await this.rows(
        `SELECT intDiv(toUnixTimestamp64Milli(TimeUnix), {step:UInt32}) * {step:UInt32} AS t, avg(Value) AS value
         FROM ${table} FINAL
         WHERE ServiceName = {service:String} AND MetricName = {metric:String}
           AND TimeUnix >= fromUnixTimestamp64Milli({from:Int64}) AND TimeUnix < fromUnixTimestamp64Milli({to:Int64})
           AND arrayAll((k, v) -> Attributes[k] = v, {keys:Array(String)}, {values:Array(String)})
         GROUP BY t ORDER BY t`,
        {
          service: q.service,
          metric,
          step: q.stepMs,
          from: q.fromMs,
          to: q.toMs,
          keys: Object.keys(q.labels),
          values: Object.values(q.labels),
        },
      );
      if (rows.length === 0) continue;
      return { ...base, source: table, points: rate ? perSecond(rows) : rows };
    }
    return { ...base, source: null, points: [] };
  }

  /**
   * An API gateway route's buckets as the optimize loop judges experiments on them (libs/optimize
   * RouteBucket): per bucket of span end time, its server spans' count, 5xx, exact p50/p99 and
   * cache hits, its client spans' retries, and the config version(s) its server spans were served
   * by (`gateway.config.version`). Empty buckets are absent.
   */
  async routeBuckets(q: { service: string; route: string; fromMs: number; toMs: number; stepMs: number }): Promise<RouteBucketRow[]> {
    if (!(q.toMs > q.fromMs)) throw new BadRequestException('to must be after from');
    if ((q.toMs - q.fromMs) / q.stepMs > MAX_POINTS)
      throw new BadRequestException(`at most ${MAX_POINTS} buckets: widen step or narrow the range`);
    const result = await this.store.store.client.query({
      query: `SELECT intDiv(toUnixTimestamp64Milli(Timestamp) + intDiv(Duration, 1000000), {step:UInt32}) * {step:UInt32} AS t,
                countIf(SpanKind = 'Server') AS requests,
                countIf(SpanKind = 'Server' AND (StatusCode = 'Error' OR toUInt16OrZero(SpanAttributes['http.response.status_code']) >= 500)) AS errors,
                quantileExactIf(0.5)(Duration, SpanKind = 'Server') / 1e6 AS p50,
                quantileExactIf(0.99)(Duration, SpanKind = 'Server') / 1e6 AS p99,
                countIf(SpanKind = 'Server' AND SpanAttributes['gateway.cache.result'] IN ('hit', 'stale')) AS hits,
                countIf(SpanKind = 'Client' AND toUInt32OrZero(SpanAttributes['http.request.resend_count']) > 0) AS retries,
                argMaxIf(SpanAttributes['gateway.config.version'], toUnixTimestamp64Nano(Timestamp) + Duration,
                  SpanKind = 'Server' AND SpanAttributes['gateway.config.version'] != '') AS version,
                uniqExactIf(SpanAttributes['gateway.config.version'], SpanKind = 'Server' AND SpanAttributes['gateway.config.version'] != '') AS versions
              FROM ${TELEMETRY_TABLES.traces}
              WHERE ServiceName = {service:String} AND SpanKind IN ('Server', 'Client')
                AND SpanAttributes['gateway.route'] = {route:String}
                AND Timestamp >= fromUnixTimestamp64Milli({from:Int64}) - INTERVAL 1 MINUTE AND Timestamp < fromUnixTimestamp64Milli({to:Int64})
              GROUP BY t HAVING t >= {from:Int64} AND t + {step:UInt32} <= {to:Int64} AND requests > 0 ORDER BY t`,
      query_params: { service: q.service, route: q.route, step: q.stepMs, from: q.fromMs, to: q.toMs },
      format: 'JSONEachRow',
    });
    const rows =
      await result.json<
        Record<'t' | 'requests' | 'errors' | 'p50' | 'p99' | 'hits' | 'retries' | 'version' | 'versions', string | number>
      >();
    return rows.map((r) => ({
      startMs: Number(r.t),
      requests: Number(r.requests),
      errors: Number(r.errors),
      p50Ms: Number(r.p50),
      p99Ms: Number(r.p99),
      cacheHits: Number(r.hits),
      retries: Number(r.retries),
      repeats: 0,
      ...(Number(r.versions) > 0 && Number.isInteger(Number(r.version))
        ? { configVersion: Number(r.version), configVersions: Number(r.versions) }
        : {}),
    }));
  }

  private async rows(query: string, params: Record<string, unknown>): Promise<{ t: string; value: number }[]> {
    const result = await this.store.store.client.query({ query, query_params: params, format: 'JSONEachRow' });
    const rows = await result.json<{ t: string | number; value: number | string | null }>();
    return rows.map((r) => ({ t: new Date(Number(r.t)).toISOString(), value: Number(r.value) })).filter((p) => Number.isFinite(p.value));
  }
}

/** A cumulative counter's increase per second between consecutive buckets (resets read as 0). */
function perSecond(points: { t: string; value: number }[]): { t: string; value: number }[] {
  const out: { t: string; value: number }[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (!a || !b) continue;
    const seconds = (Date.parse(b.t) - Date.parse(a.t)) / 1000;
    if (seconds > 0) out.push({ t: b.t, value: Math.max(0, b.value - a.value) / seconds });
  }
  return out;
}

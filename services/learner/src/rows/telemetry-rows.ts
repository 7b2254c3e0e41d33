import { Buffer } from 'node:buffer';
import type {
  AnyEnvelope,
  Attributes,
  BuildReported,
  Envelope,
  LogsBatch,
  Metric,
  MetricsBatch,
  SPAN_KINDS,
  STATUS_CODES,
  SpansBatch,
} from '@homeostat/contracts';
import { TELEMETRY_TABLES, toDateTime64 } from '@homeostat/store';
import { ATTR } from '@homeostat/telemetry';
import { attributesToMap, isoToUnixNanos, nonEmpty, traceContextOf, unixNanoToDateTime64, type TableRows } from './row-values';

/*
 * Rows in the layout the OpenTelemetry Collector ClickHouse exporter writes
 * (deploy/clickhouse/migrations 0001-0003), so Grafana's ClickHouse plugin reads them as it reads
 * the exporter's. Value conventions follow exporter/clickhouseexporter: SpanKind and StatusCode
 * are pdata's String() ('Server', 'Error'), attributes are pcommon AsString() values, Duration
 * is end - start in nanoseconds, a log's Timestamp falls back to its observed time, and
 * AggregationTemporality is the OTLP enum number. Nested columns are written as parallel arrays
 * under their dotted names (flatten_nested), one entry per event, link, exemplar or quantile.
 */

type StringMap = Record<string, string>;

export type OtelTraceRow = {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: StringMap;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: StringMap;
  /** UInt64 nanoseconds, as a decimal string so no digit is lost. */
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': StringMap[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': StringMap[];
};

export type OtelLogRow = {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  TraceFlags: number;
  SeverityText: string;
  SeverityNumber: number;
  ServiceName: string;
  Body: string;
  ResourceSchemaUrl: string;
  ResourceAttributes: StringMap;
  ScopeSchemaUrl: string;
  ScopeName: string;
  ScopeVersion: string;
  ScopeAttributes: StringMap;
  LogAttributes: StringMap;
  EventName: string;
};

type MetricCommon = {
  ResourceAttributes: StringMap;
  ResourceSchemaUrl: string;
  ScopeName: string;
  ScopeVersion: string;
  ScopeAttributes: StringMap;
  ScopeDroppedAttrCount: number;
  ScopeSchemaUrl: string;
  ServiceName: string;
  MetricName: string;
  MetricDescription: string;
  MetricUnit: string;
  Attributes: StringMap;
  StartTimeUnix: string;
  TimeUnix: string;
  Flags: number;
};

type Exemplars = {
  'Exemplars.FilteredAttributes': StringMap[];
  'Exemplars.TimeUnix': string[];
  'Exemplars.Value': number[];
  'Exemplars.SpanId': string[];
  'Exemplars.TraceId': string[];
};

export type OtelGaugeRow = MetricCommon & Exemplars & { Value: number };
export type OtelSumRow = OtelGaugeRow & { AggregationTemporality: number; IsMonotonic: boolean };
export type OtelHistogramRow = MetricCommon &
  Exemplars & {
    Count: number;
    Sum: number;
    BucketCounts: number[];
    ExplicitBounds: number[];
    Min: number;
    Max: number;
    AggregationTemporality: number;
  };
export type OtelExponentialHistogramRow = MetricCommon &
  Exemplars & {
    Count: number;
    Sum: number;
    Scale: number;
    ZeroCount: number;
    PositiveOffset: number;
    PositiveBucketCounts: number[];
    NegativeOffset: number;
    NegativeBucketCounts: number[];
    Min: number;
    Max: number;
    AggregationTemporality: number;
  };
export type OtelSummaryRow = MetricCommon & {
  Count: number;
  Sum: number;
  'ValueAtQuantiles.Quantile': number[];
  'ValueAtQuantiles.Value': number[];
};

/** pdata's ptrace.SpanKind.String(), which the exporter writes. */
const SPAN_KIND: Record<(typeof SPAN_KINDS)[number], string> = {
  unspecified: 'Unspecified',
  internal: 'Internal',
  server: 'Server',
  client: 'Client',
  producer: 'Producer',
  consumer: 'Consumer',
};

/** pdata's ptrace.StatusCode.String(). */
const STATUS_CODE: Record<(typeof STATUS_CODES)[number], string> = {
  unset: 'Unset',
  ok: 'Ok',
  error: 'Error',
};

/** OTLP AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
const AGGREGATION_TEMPORALITY = { delta: 1, cumulative: 2 } as const;

/** A CI log longer than this (UTF-8 bytes) stays in the event only, not in the log row. */
export const BUILD_LOG_INLINE_MAX_BYTES = 16 * 1024;

const EPOCH_NANOS = '0';

/** The exporter-layout rows of a telemetry event; other events have none. */
export function telemetryRows(event: AnyEnvelope): TableRows[] {
  switch (event.type) {
    case 'homeostat.telemetry.spans.v1':
      return nonEmpty([{ table: TELEMETRY_TABLES.traces, rows: spanRows(event.data, event.subject) }]);
    case 'homeostat.telemetry.logs.v1':
      return nonEmpty([{ table: TELEMETRY_TABLES.logs, rows: logRows(event.data, event.subject) }]);
    case 'homeostat.build.reported.v1':
      return [{ table: TELEMETRY_TABLES.logs, rows: [buildLogRow(event)] }];
    case 'homeostat.telemetry.metrics.v1':
      return metricRows(event.data, event.subject);
    default:
      return [];
  }
}

/** The resource's service.name, as the exporter takes it; the envelope subject (the target) otherwise. */
function serviceNameOf(resource: { attributes: Attributes }, subject: string): string {
  const name = resource.attributes['service.name'];
  return typeof name === 'string' && name !== '' ? name : subject;
}

function spanRows(batch: SpansBatch, subject: string): OtelTraceRow[] {
  const serviceName = serviceNameOf(batch.resource, subject);
  const resourceAttributes = attributesToMap(batch.resource.attributes);
  return batch.spans.map((span) => {
    const links = span.links ?? [];
    return {
      Timestamp: unixNanoToDateTime64(span.startTimeUnixNano),
      TraceId: span.traceId,
      SpanId: span.spanId,
      ParentSpanId: span.parentSpanId ?? '',
      TraceState: span.traceState ?? '',
      SpanName: span.name,
      SpanKind: SPAN_KIND[span.kind],
      ServiceName: serviceName,
      ResourceAttributes: resourceAttributes,
      ScopeName: batch.scope.name,
      ScopeVersion: batch.scope.version ?? '',
      SpanAttributes: attributesToMap(span.attributes),
      Duration: (BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)).toString(),
      StatusCode: STATUS_CODE[span.status.code],
      StatusMessage: span.status.message ?? '',
      'Events.Timestamp': span.events.map((e) => unixNanoToDateTime64(e.timeUnixNano)),
      'Events.Name': span.events.map((e) => e.name),
      'Events.Attributes': span.events.map((e) => attributesToMap(e.attributes)),
      'Links.TraceId': links.map((l) => l.traceId),
      'Links.SpanId': links.map((l) => l.spanId),
      'Links.TraceState': links.map((l) => l.traceState ?? ''),
      'Links.Attributes': links.map((l) => attributesToMap(l.attributes)),
    };
  });
}

function logRows(batch: LogsBatch, subject: string): OtelLogRow[] {
  const serviceName = serviceNameOf(batch.resource, subject);
  const resourceAttributes = attributesToMap(batch.resource.attributes);
  const scopeAttributes = attributesToMap(batch.scope.attributes);
  return batch.logRecords.map((record) => ({
    // As the exporter does: a record without its own time is stored at its observed time.
    Timestamp: unixNanoToDateTime64(BigInt(record.timeUnixNano) === 0n ? record.observedTimeUnixNano : record.timeUnixNano),
    TraceId: record.traceId ?? '',
    SpanId: record.spanId ?? '',
    TraceFlags: record.flags ?? 0,
    SeverityText: record.severityText ?? '',
    SeverityNumber: record.severityNumber,
    ServiceName: serviceName,
    Body: record.body,
    ResourceSchemaUrl: batch.resource.schemaUrl ?? '',
    ResourceAttributes: resourceAttributes,
    ScopeSchemaUrl: '',
    ScopeName: batch.scope.name,
    ScopeVersion: batch.scope.version ?? '',
    ScopeAttributes: scopeAttributes,
    LogAttributes: attributesToMap(record.attributes),
    EventName: '',
  }));
}

/** OTel severity of a build's result: failures are errors, cancellations warnings. */
function buildSeverity(status: BuildReported['status']): { text: string; number: number } {
  switch (status) {
    case 'failed':
    case 'errored':
      return { text: 'ERROR', number: 17 };
    case 'cancelled':
      return { text: 'WARN', number: 13 };
    case 'queued':
    case 'running':
    case 'passed':
      return { text: 'INFO', number: 9 };
  }
}

/**
 * A CI result as one log line of the repository's "service", so builds sit next to the
 * application's own logs; the whole event (with the full log) stays on the bus and in replay.
 */
function buildLogRow(event: Envelope<'homeostat.build.reported.v1'>): OtelLogRow {
  const build = event.data;
  const trace = traceContextOf(event.traceparent);
  const severity = buildSeverity(build.status);
  const attributes: StringMap = {
    [ATTR.eventType]: event.type,
    'build.repository': build.repository,
    'build.commit': build.commit,
    'build.pipeline': build.pipeline,
    'build.job': build.job,
    'build.status': build.status,
  };
  if (build.branch !== undefined) attributes['build.branch'] = build.branch;
  if (build.runId !== undefined) attributes['build.run_id'] = build.runId;
  if (build.attempt !== undefined) attributes['build.attempt'] = String(build.attempt);
  if (build.durationMs !== undefined) attributes['build.duration_ms'] = String(build.durationMs);
  if (build.startedAt !== undefined) attributes['build.started_at'] = build.startedAt;
  if (build.finishedAt !== undefined) attributes['build.finished_at'] = build.finishedAt;
  if (build.url !== undefined) attributes['build.url'] = build.url;
  if (build.pullRequest !== undefined) {
    attributes['build.pull_request.number'] = String(build.pullRequest.number);
    if (build.pullRequest.url !== undefined) attributes['build.pull_request.url'] = build.pullRequest.url;
  }
  if (build.log !== undefined) {
    const bytes = Buffer.byteLength(build.log, 'utf8');
    attributes['build.log.bytes'] = String(bytes);
    if (bytes <= BUILD_LOG_INLINE_MAX_BYTES) attributes['build.log'] = build.log;
  }
  return {
    Timestamp: toDateTime64(isoToUnixNanos(build.finishedAt ?? build.startedAt ?? event.time), 9),
    TraceId: trace?.traceId ?? '',
    SpanId: trace?.spanId ?? '',
    TraceFlags: trace?.flags ?? 0,
    SeverityText: severity.text,
    SeverityNumber: severity.number,
    ServiceName: build.repository,
    Body: `build ${build.status}: ${build.pipeline}/${build.job} @ ${build.commit}`,
    ResourceSchemaUrl: '',
    ResourceAttributes: { 'service.name': build.repository },
    ScopeSchemaUrl: '',
    ScopeName: event.source,
    ScopeVersion: '',
    ScopeAttributes: {},
    LogAttributes: attributes,
    EventName: event.type,
  };
}

/** Points on the bus carry no exemplars; the Nested columns still need their (empty) arrays. */
function noExemplars(): Exemplars {
  return {
    'Exemplars.FilteredAttributes': [],
    'Exemplars.TimeUnix': [],
    'Exemplars.Value': [],
    'Exemplars.SpanId': [],
    'Exemplars.TraceId': [],
  };
}

function metricRows(batch: MetricsBatch, subject: string): TableRows[] {
  const gauge: OtelGaugeRow[] = [];
  const sum: OtelSumRow[] = [];
  const histogram: OtelHistogramRow[] = [];
  const exponential: OtelExponentialHistogramRow[] = [];
  const summary: OtelSummaryRow[] = [];

  const resource = {
    ResourceAttributes: attributesToMap(batch.resource.attributes),
    ResourceSchemaUrl: batch.resource.schemaUrl ?? '',
    ScopeName: batch.scope.name,
    ScopeVersion: batch.scope.version ?? '',
    ScopeAttributes: attributesToMap(batch.scope.attributes),
    ScopeDroppedAttrCount: 0,
    ScopeSchemaUrl: '',
    ServiceName: serviceNameOf(batch.resource, subject),
  };
  const common = (
    metric: Metric,
    point: { attributes: Attributes; startTimeUnixNano?: string | undefined; timeUnixNano: string },
  ): MetricCommon => ({
    ...resource,
    MetricName: metric.name,
    MetricDescription: metric.description ?? '',
    MetricUnit: metric.unit ?? '',
    Attributes: attributesToMap(point.attributes),
    // An absent start time is OTLP's 0, which the exporter stores as the epoch.
    StartTimeUnix: unixNanoToDateTime64(point.startTimeUnixNano ?? EPOCH_NANOS),
    TimeUnix: unixNanoToDateTime64(point.timeUnixNano),
    Flags: 0,
  });

  for (const metric of batch.metrics) {
    switch (metric.type) {
      case 'gauge':
        for (const p of metric.points) gauge.push({ ...common(metric, p), ...noExemplars(), Value: p.value });
        break;
      case 'sum':
        for (const p of metric.points) {
          sum.push({
            ...common(metric, p),
            ...noExemplars(),
            Value: p.value,
            AggregationTemporality: AGGREGATION_TEMPORALITY[metric.aggregationTemporality],
            IsMonotonic: metric.isMonotonic,
          });
        }
        break;
      case 'histogram':
        for (const p of metric.points) {
          histogram.push({
            ...common(metric, p),
            ...noExemplars(),
            Count: p.count,
            Sum: p.sum ?? 0,
            BucketCounts: p.bucketCounts,
            ExplicitBounds: p.explicitBounds,
            Min: p.min ?? 0,
            Max: p.max ?? 0,
            AggregationTemporality: AGGREGATION_TEMPORALITY[metric.aggregationTemporality],
          });
        }
        break;
      case 'exponential_histogram':
        for (const p of metric.points) {
          exponential.push({
            ...common(metric, p),
            ...noExemplars(),
            Count: p.count,
            Sum: p.sum ?? 0,
            Scale: p.scale,
            ZeroCount: p.zeroCount,
            PositiveOffset: p.positive.offset,
            PositiveBucketCounts: p.positive.bucketCounts,
            NegativeOffset: p.negative.offset,
            NegativeBucketCounts: p.negative.bucketCounts,
            Min: p.min ?? 0,
            Max: p.max ?? 0,
            AggregationTemporality: AGGREGATION_TEMPORALITY[metric.aggregationTemporality],
          });
        }
        break;
      case 'summary':
        for (const p of metric.points) {
          summary.push({
            ...common(metric, p),
            Count: p.count,
            Sum: p.sum,
            'ValueAtQuantiles.Quantile': p.quantileValues.map((q) => q.quantile),
            'ValueAtQuantiles.Value': p.quantileValues.map((q) => q.value),
          });
        }
        break;
    }
  }

  return nonEmpty([
    { table: TELEMETRY_TABLES.metricsGauge, rows: gauge },
    { table: TELEMETRY_TABLES.metricsSum, rows: sum },
    { table: TELEMETRY_TABLES.metricsHistogram, rows: histogram },
    { table: TELEMETRY_TABLES.metricsExponentialHistogram, rows: exponential },
    { table: TELEMETRY_TABLES.metricsSummary, rows: summary },
  ]);
}

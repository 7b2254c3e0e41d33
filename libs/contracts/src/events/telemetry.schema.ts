import { z } from 'zod';
import {
  attributes,
  instrumentationScope,
  nanoLte,
  nonEmpty,
  nonNegativeInt,
  probability,
  resource,
  spanId,
  timestamp,
  traceId,
  unixNano,
} from './common.schema';

/*
 * Telemetry batches: one event per resource x instrumentation scope, so that each event concerns one
 * target (the envelope subject is its service.name) and maps row for row onto the OTel ClickHouse
 * exporter tables (ResourceAttributes, ScopeName, ScopeVersion, ...).
 */

// ---- spans -------------------------------------------------------------------------------------

export const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export const STATUS_CODES = ['unset', 'ok', 'error'] as const;

export const spanEventSchema = z
  .object({
    timeUnixNano: unixNano,
    name: nonEmpty,
    attributes,
  })
  .strict();

export const spanLinkSchema = z
  .object({
    traceId,
    spanId,
    traceState: z.string().optional(),
    attributes,
  })
  .strict();

export const spanSchema = z
  .object({
    traceId,
    spanId,
    parentSpanId: spanId.optional(),
    traceState: z.string().optional(),
    name: nonEmpty,
    kind: z.enum(SPAN_KINDS),
    startTimeUnixNano: unixNano,
    endTimeUnixNano: unixNano,
    attributes,
    status: z
      .object({
        code: z.enum(STATUS_CODES),
        message: z.string().optional(),
      })
      .strict(),
    events: z.array(spanEventSchema),
    links: z.array(spanLinkSchema).optional(),
  })
  .strict()
  .refine((s) => nanoLte(s.startTimeUnixNano, s.endTimeUnixNano), {
    message: 'must not be before startTimeUnixNano',
    path: ['endTimeUnixNano'],
  });
export type Span = z.infer<typeof spanSchema>;

export const spansBatchSchema = z
  .object({
    resource,
    scope: instrumentationScope,
    spans: z.array(spanSchema).min(1),
  })
  .strict();
export type SpansBatch = z.infer<typeof spansBatchSchema>;

// ---- metrics -----------------------------------------------------------------------------------

export const AGGREGATION_TEMPORALITIES = ['delta', 'cumulative'] as const;
const aggregationTemporality = z.enum(AGGREGATION_TEMPORALITIES);

const pointBase = {
  attributes,
  startTimeUnixNano: unixNano.optional(),
  timeUnixNano: unixNano,
};

export const numberPointSchema = z.object({ ...pointBase, value: z.number() }).strict();

export const histogramPointSchema = z
  .object({
    ...pointBase,
    count: nonNegativeInt,
    sum: z.number().optional(),
    bucketCounts: z.array(nonNegativeInt),
    explicitBounds: z.array(z.number()),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict()
  .refine((p) => p.bucketCounts.length === 0 || p.bucketCounts.length === p.explicitBounds.length + 1, {
    message: 'must have one more entry than explicitBounds',
    path: ['bucketCounts'],
  });

const exponentialBuckets = z.object({ offset: z.number().int(), bucketCounts: z.array(nonNegativeInt) }).strict();

export const exponentialHistogramPointSchema = z
  .object({
    ...pointBase,
    count: nonNegativeInt,
    sum: z.number().optional(),
    scale: z.number().int(),
    zeroCount: nonNegativeInt,
    positive: exponentialBuckets,
    negative: exponentialBuckets,
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict();

export const summaryPointSchema = z
  .object({
    ...pointBase,
    count: nonNegativeInt,
    sum: z.number(),
    quantileValues: z.array(z.object({ quantile: probability, value: z.number() }).strict()),
  })
  .strict();

const metricBase = {
  name: nonEmpty,
  description: z.string().optional(),
  unit: z.string().optional(),
};

export const METRIC_TYPES = ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'] as const;

export const metricSchema = z.discriminatedUnion('type', [
  z.object({ ...metricBase, type: z.literal('gauge'), points: z.array(numberPointSchema).min(1) }).strict(),
  z
    .object({
      ...metricBase,
      type: z.literal('sum'),
      isMonotonic: z.boolean(),
      aggregationTemporality,
      points: z.array(numberPointSchema).min(1),
    })
    .strict(),
  z
    .object({
      ...metricBase,
      type: z.literal('histogram'),
      aggregationTemporality,
      points: z.array(histogramPointSchema).min(1),
    })
    .strict(),
  z
    .object({
      ...metricBase,
      type: z.literal('exponential_histogram'),
      aggregationTemporality,
      points: z.array(exponentialHistogramPointSchema).min(1),
    })
    .strict(),
  z.object({ ...metricBase, type: z.literal('summary'), points: z.array(summaryPointSchema).min(1) }).strict(),
]);
export type Metric = z.infer<typeof metricSchema>;
export type MetricType = Metric['type'];

export const metricsBatchSchema = z
  .object({
    resource,
    scope: instrumentationScope,
    metrics: z.array(metricSchema).min(1),
  })
  .strict();
export type MetricsBatch = z.infer<typeof metricsBatchSchema>;

// ---- logs --------------------------------------------------------------------------------------

export const logRecordSchema = z
  .object({
    timeUnixNano: unixNano,
    observedTimeUnixNano: unixNano,
    /** OTel SeverityNumber: 0 unspecified, 1-4 trace ... 21-24 fatal. */
    severityNumber: z.number().int().min(0).max(24),
    severityText: z.string().optional(),
    body: z.string(),
    attributes,
    traceId: traceId.optional(),
    spanId: spanId.optional(),
    flags: nonNegativeInt.optional(),
  })
  .strict();
export type LogRecord = z.infer<typeof logRecordSchema>;

export const logsBatchSchema = z
  .object({
    resource,
    scope: instrumentationScope,
    logRecords: z.array(logRecordSchema).min(1),
  })
  .strict();
export type LogsBatch = z.infer<typeof logsBatchSchema>;

// ---- OTLP as received ---------------------------------------------------------------------------

/**
 * Telemetry as the collector received it: the protobuf bytes of an Export{Trace,Metrics,Logs}
 * ServiceRequest holding one target's resources only (the envelope subject). The collector does
 * no per-item work on this path; consumers decode and map it (libs/otlp) into the batches above,
 * checking each item there. `items` counts spans, metrics or log records, as the collector saw
 * them. On the bus such an event travels in binary content mode: the payload is the message
 * value, the envelope (and `items`) are headers, so no byte of it is copied into JSON.
 */
export const otlpPayloadSchema = z
  .object({
    items: nonNegativeInt,
    // Not instanceof: a Buffer from another realm (a VM context, a test sandbox) is bytes too.
    payload: z.custom<Uint8Array>((v) => ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Uint8Array]', {
      message: 'must be bytes (an OTLP protobuf request)',
    }),
  })
  .strict();
export type OtlpPayload = z.infer<typeof otlpPayloadSchema>;

// ---- CI builds ---------------------------------------------------------------------------------

export const BUILD_STATUSES = ['queued', 'running', 'passed', 'failed', 'cancelled', 'errored'] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];

/** A CI/CD pipeline job's result, from a webhook; the failing log and JUnit report feed the analyzer. */
export const buildReportedSchema = z
  .object({
    repository: nonEmpty,
    commit: nonEmpty,
    branch: z.string().optional(),
    pipeline: nonEmpty,
    job: nonEmpty,
    runId: z.string().optional(),
    attempt: z.number().int().positive().optional(),
    status: z.enum(BUILD_STATUSES),
    startedAt: timestamp.optional(),
    finishedAt: timestamp.optional(),
    durationMs: z.number().nonnegative().optional(),
    log: z.string().optional(),
    /**
     * Set when the collector cut a log too big for the bus down to what explains the failure:
     * `log` then holds the whole log's lines `kept` (1-based, inclusive), of `lines` in all.
     */
    logExcerpt: z
      .object({
        lines: nonNegativeInt,
        chars: nonNegativeInt,
        kept: z.array(z.tuple([nonNegativeInt, nonNegativeInt])).max(4_000),
      })
      .strict()
      .optional(),
    junitXml: z.string().optional(),
    url: z.url().optional(),
    pullRequest: z
      .object({
        number: z.number().int().positive(),
        url: z.url().optional(),
        title: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type BuildReported = z.infer<typeof buildReportedSchema>;

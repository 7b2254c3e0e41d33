import {
  AGGREGATION_TEMPORALITIES,
  exponentialHistogramPointSchema,
  histogramPointSchema,
  numberPointSchema,
  safeParseReporting,
  summaryPointSchema,
  type Metric,
  type MetricsBatch,
} from '@homeostat/contracts';
import type { z } from 'zod';
import {
  DEFAULT_MAX_ITEMS_PER_BATCH,
  Rejections,
  Unmappable,
  chunk,
  nano,
  resourceOf,
  scopeOf,
  type MapOptions,
  type MapResult,
  type TelemetryBatch,
} from './batch';
import { OTLP_LIMITS, OtlpLimitExceeded, checkChars, checkLabels, within } from './limits';
import { asArray, asObject, asString, attributesOf, countValue, doubleValue, enumValue, has, int64Value } from './values';

const TEMPORALITY_NAMES = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'];

function count(v: unknown, field: string): number {
  const n = countValue(v);
  if (n === null) throw new Unmappable(`${field} must be a non-negative integer`);
  return n;
}

function double(v: unknown, field: string): number {
  const n = doubleValue(v);
  if (n === null) throw new Unmappable(`${field} must be a number`);
  return n;
}

function optionalDouble(p: Record<string, unknown>, field: string): { [k: string]: number } {
  return has(p, field) && p[field] !== null ? { [field]: double(p[field], field) } : {};
}

function pointBase(p: Record<string, unknown>): {
  attributes: Record<string, string | number | boolean | string[]>;
  startTimeUnixNano?: string;
  timeUnixNano: string;
} {
  const time = nano(p['timeUnixNano'], 'timeUnixNano');
  // OTLP: data points with a zero time SHOULD be rejected.
  if (time === '0') throw new Unmappable('timeUnixNano is missing');
  const start = nano(p['startTimeUnixNano'], 'startTimeUnixNano');
  const attributes = attributesOf(p['attributes']);
  checkLabels(attributes);
  return { attributes, ...(start !== '0' ? { startTimeUnixNano: start } : {}), timeUnixNano: time };
}

function numberPoint(p: Record<string, unknown>): unknown {
  let value: number;
  if (has(p, 'asDouble')) value = double(p['asDouble'], 'asDouble');
  else if (has(p, 'asInt')) {
    const n = int64Value(p['asInt']);
    if (n === null) throw new Unmappable('asInt must be a 64-bit integer');
    value = Number(n);
  } else throw new Unmappable('has no value (asDouble or asInt)');
  return { ...pointBase(p), value };
}

function histogramPoint(p: Record<string, unknown>): unknown {
  return {
    ...pointBase(p),
    count: count(p['count'], 'count'),
    ...optionalDouble(p, 'sum'),
    bucketCounts: asArray(p['bucketCounts']).map((c, i) => count(c, `bucketCounts[${i}]`)),
    explicitBounds: asArray(p['explicitBounds']).map((b, i) => double(b, `explicitBounds[${i}]`)),
    ...optionalDouble(p, 'min'),
    ...optionalDouble(p, 'max'),
  };
}

function buckets(v: unknown, field: string): { offset: number; bucketCounts: number[] } {
  const b = asObject(v);
  if (!b) return { offset: 0, bucketCounts: [] };
  const offset = int64Value(b['offset'] ?? 0);
  if (typeof offset !== 'number') throw new Unmappable(`${field}.offset must be an integer`);
  return { offset, bucketCounts: asArray(b['bucketCounts']).map((c, i) => count(c, `${field}.bucketCounts[${i}]`)) };
}

function exponentialHistogramPoint(p: Record<string, unknown>): unknown {
  const scale = int64Value(p['scale'] ?? 0);
  if (typeof scale !== 'number') throw new Unmappable('scale must be an integer');
  return {
    ...pointBase(p),
    count: count(p['count'], 'count'),
    ...optionalDouble(p, 'sum'),
    scale,
    zeroCount: count(p['zeroCount'], 'zeroCount'),
    positive: buckets(p['positive'], 'positive'),
    negative: buckets(p['negative'], 'negative'),
    ...optionalDouble(p, 'min'),
    ...optionalDouble(p, 'max'),
  };
}

function summaryPoint(p: Record<string, unknown>): unknown {
  return {
    ...pointBase(p),
    count: count(p['count'], 'count'),
    sum: double(p['sum'], 'sum'),
    quantileValues: asArray(p['quantileValues']).map((q, i) => {
      const o = asObject(q) ?? {};
      return { quantile: double(o['quantile'], `quantileValues[${i}].quantile`), value: double(o['value'], `quantileValues[${i}].value`) };
    }),
  };
}

const KINDS = {
  gauge: { type: 'gauge', toPoint: numberPoint, schema: numberPointSchema, temporality: false },
  sum: { type: 'sum', toPoint: numberPoint, schema: numberPointSchema, temporality: true },
  histogram: { type: 'histogram', toPoint: histogramPoint, schema: histogramPointSchema, temporality: true },
  exponentialHistogram: {
    type: 'exponential_histogram',
    toPoint: exponentialHistogramPoint,
    schema: exponentialHistogramPointSchema,
    temporality: true,
  },
  summary: { type: 'summary', toPoint: summaryPoint, schema: summaryPointSchema, temporality: false },
} as const satisfies Record<
  string,
  { type: Metric['type']; toPoint: (p: Record<string, unknown>) => unknown; schema: z.ZodType; temporality: boolean }
>;

type DataField = keyof typeof KINDS;
const DATA_FIELDS = Object.keys(KINDS) as DataField[];

/** One OTLP Metric → the contract's metric with its valid points (undefined when none is left). */
function toMetric(m: Record<string, unknown>, path: string, rejections: Rejections): Metric | undefined {
  const field = DATA_FIELDS.find((f) => has(m, f) && m[f] !== null);
  if (!field) {
    if (asString(m['name'])) rejections.add(path, 'has no data (gauge, sum, histogram, exponentialHistogram or summary)', 0);
    return undefined;
  }
  const kind = KINDS[field];
  const data = asObject(m[field]) ?? {};
  const rawPoints = asArray(data['dataPoints']);
  const name = asString(m['name']);
  if (!name) {
    if (rawPoints.length > 0) rejections.add(path, 'name must not be empty', rawPoints.length);
    return undefined;
  }
  checkChars(name, `${path}: name`, OTLP_LIMITS.seriesNameChars);
  let temporality: (typeof AGGREGATION_TEMPORALITIES)[number] | undefined;
  if (kind.temporality) {
    const t = enumValue(data['aggregationTemporality'], TEMPORALITY_NAMES);
    temporality = t === 1 ? 'delta' : t === 2 ? 'cumulative' : undefined;
    if (!temporality) {
      if (rawPoints.length > 0)
        rejections.add(`${path}.${field}`, 'aggregationTemporality must be DELTA (1) or CUMULATIVE (2)', rawPoints.length);
      return undefined;
    }
  }
  const points: unknown[] = [];
  rawPoints.forEach((raw, i) => {
    const pointPath = `${path}.${field}.dataPoints[${i}]`;
    try {
      const point = kind.toPoint(asObject(raw) ?? {});
      const checked = safeParseReporting(kind.schema, point);
      if (checked.success) points.push(point);
      else rejections.addViolation(pointPath, checked.error);
    } catch (error) {
      if (error instanceof OtlpLimitExceeded) throw error.at(pointPath);
      if (!(error instanceof Unmappable)) throw error;
      rejections.add(pointPath, error.message);
    }
  });
  if (points.length === 0) return undefined;
  const description = asString(m['description']);
  const unit = asString(m['unit']);
  return {
    name,
    ...(description ? { description } : {}),
    ...(unit ? { unit } : {}),
    type: kind.type,
    ...(field === 'sum' ? { isMonotonic: data['isMonotonic'] === true } : {}),
    ...(temporality ? { aggregationTemporality: temporality } : {}),
    points,
  } as Metric;
}

/**
 * ExportMetricsServiceRequest → one MetricsBatch per resource × scope. Items are data points: a
 * point that fails is rejected alone; a metric whose header is invalid loses all its points.
 */
export function mapMetrics(request: unknown, options: MapOptions = {}): MapResult<MetricsBatch> {
  const max = options.maxItemsPerBatch ?? DEFAULT_MAX_ITEMS_PER_BATCH;
  const rejections = new Rejections();
  const batches: TelemetryBatch<MetricsBatch>[] = [];
  let accepted = 0;
  asArray(asObject(request)?.['resourceMetrics']).forEach((r, ri) => {
    const resourceMetrics = asObject(r) ?? {};
    const { subject, resource } = within(`resourceMetrics[${ri}]`, () => resourceOf(resourceMetrics));
    asArray(resourceMetrics['scopeMetrics']).forEach((sc, si) => {
      const scopeMetrics = asObject(sc) ?? {};
      const scope = within(`resourceMetrics[${ri}].scopeMetrics[${si}]`, () => scopeOf(scopeMetrics));
      const metrics: Metric[] = [];
      asArray(scopeMetrics['metrics']).forEach((raw, i) => {
        const metric = toMetric(asObject(raw) ?? {}, `resourceMetrics[${ri}].scopeMetrics[${si}].metrics[${i}]`, rejections);
        if (metric) {
          metrics.push(metric);
          accepted += metric.points.length;
        }
      });
      for (const slice of chunk(metrics, max, (m) => m.points.length)) batches.push({ subject, data: { resource, scope, metrics: slice } });
    });
  });
  return { batches, accepted, rejected: rejections.count, errorMessage: rejections.message('data points') };
}

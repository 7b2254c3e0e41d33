import type { SeriesPoint } from './series';

/** The fields of a contract metric the conversion needs. */
export type MetricLike =
  | { name: string; type: 'gauge'; points: NumberPointLike[] }
  | { name: string; type: 'sum'; isMonotonic: boolean; aggregationTemporality: 'delta' | 'cumulative'; points: NumberPointLike[] }
  | { name: string; type: 'histogram'; aggregationTemporality: 'delta' | 'cumulative'; points: HistogramPointLike[] }
  | { name: string; type: 'exponential_histogram' | 'summary'; points: { attributes: Record<string, unknown>; timeUnixNano: string }[] };

interface PointBase {
  attributes: Record<string, unknown>;
  timeUnixNano: string;
  startTimeUnixNano?: string | undefined;
}
export interface NumberPointLike extends PointBase {
  value: number;
}
export interface HistogramPointLike extends PointBase {
  count: number;
  sum?: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
}

interface Previous {
  timeMs: number;
  value: number;
  counts?: number[];
  count?: number;
  sum?: number;
}

/**
 * Turns OTLP metric points into series points a detector can judge:
 * - gauges and non-monotonic sums: the value as is;
 * - monotonic sums (counters): the rate per second, from consecutive cumulative values (a drop is a
 *   counter reset) or from delta values over their interval;
 * - histograms: the mean and the p95 of each interval (from bucket count differences).
 * Exponential histograms and summaries are stored by the learner but not scored here.
 * Bounded: it keeps one previous point per series, for at most `maxSeries` series.
 */
export class MetricSeriesConverter {
  private readonly previous = new Map<string, Previous>();

  constructor(private readonly maxSeries = 50_000) {}

  convert(service: string, metric: MetricLike): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    for (const p of metric.points) {
      const labels = stringLabels(p.attributes);
      const timestampMs = Number(BigInt(p.timeUnixNano) / 1_000_000n);
      const key = `${service}\u0000${metric.name}\u0000${JSON.stringify(labels)}`;
      switch (metric.type) {
        case 'gauge':
          out.push({ service, name: metric.name, labels, timestampMs, value: (p as NumberPointLike).value });
          break;
        case 'sum': {
          const value = (p as NumberPointLike).value;
          if (!metric.isMonotonic) {
            out.push({ service, name: metric.name, labels, timestampMs, value });
          } else if (metric.aggregationTemporality === 'delta') {
            const start = (p as PointBase).startTimeUnixNano;
            const startMs = start ? Number(BigInt(start) / 1_000_000n) : undefined;
            const seconds = startMs !== undefined && timestampMs > startMs ? (timestampMs - startMs) / 1000 : undefined;
            if (seconds) out.push({ service, name: `${metric.name}.rate`, labels, timestampMs, value: value / seconds });
          } else {
            const prev = this.remember(key, { timeMs: timestampMs, value });
            if (prev && timestampMs > prev.timeMs && value >= prev.value) {
              out.push({
                service,
                name: `${metric.name}.rate`,
                labels,
                timestampMs,
                value: (value - prev.value) / ((timestampMs - prev.timeMs) / 1000),
              });
            }
          }
          break;
        }
        case 'histogram': {
          const h = p as HistogramPointLike;
          let counts = h.bucketCounts;
          let count = h.count;
          let sum = h.sum ?? Number.NaN;
          if (metric.aggregationTemporality === 'cumulative') {
            const prev = this.remember(key, {
              timeMs: timestampMs,
              value: 0,
              counts: h.bucketCounts,
              count: h.count,
              sum: h.sum ?? Number.NaN,
            });
            if (!prev || !prev.counts || prev.count === undefined || h.count < prev.count || prev.counts.length !== counts.length) break;
            counts = counts.map((c, i) => c - (prev.counts?.[i] ?? 0));
            count = h.count - prev.count;
            sum = sum - (prev.sum ?? Number.NaN);
          }
          if (count <= 0) break;
          if (Number.isFinite(sum)) out.push({ service, name: `${metric.name}.mean`, labels, timestampMs, value: sum / count });
          const p95 = histogramQuantile(counts, h.explicitBounds, 0.95);
          if (Number.isFinite(p95)) out.push({ service, name: `${metric.name}.p95`, labels, timestampMs, value: p95 });
          break;
        }
        case 'exponential_histogram':
        case 'summary':
          break;
      }
    }
    return out;
  }

  private remember(key: string, next: Previous): Previous | undefined {
    const prev = this.previous.get(key);
    this.previous.delete(key);
    this.previous.set(key, next);
    if (this.previous.size > this.maxSeries) this.previous.delete(this.previous.keys().next().value as string);
    return prev;
  }
}

/** Quantile of an explicit-bounds histogram, interpolating linearly inside the bucket (as Prometheus does). */
export function histogramQuantile(counts: number[], bounds: number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (seen + c >= rank && c > 0) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = i < bounds.length ? (bounds[i] ?? lower) : lower;
      return lower + (upper - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return bounds[bounds.length - 1] ?? Number.NaN;
}

function stringLabels(attributes: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

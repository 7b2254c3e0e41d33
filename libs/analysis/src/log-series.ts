import { KeyedBuckets } from './keyed-buckets';
import { DERIVED, type SeriesPoint } from './series';

/**
 * Per service and log template: lines per second, bucketed by event time, so a template's rate
 * is a series like any other. A template seen recently that falls silent reports 0 for a while.
 */
export class LogSeriesAggregator {
  private readonly buckets: KeyedBuckets<{ lines: number }>;

  constructor(
    private readonly bucketMs = 10_000,
    maxKeys = 20_000,
  ) {
    this.buckets = new KeyedBuckets(bucketMs, maxKeys);
  }

  add(service: string, templateId: string, timestampMs: number): void {
    this.buckets.at(timestampMs, `${service}\u0000${templateId}`, () => ({ lines: 0 })).lines++;
  }

  flush(nowMs: number, latenessMs = 2_000): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    this.buckets.flush(nowMs, latenessMs, (at, key, count) => {
      const [service, template] = key.split('\u0000') as [string, string];
      out.push({
        service,
        name: DERIVED.logTemplateRate,
        labels: { template },
        timestampMs: at,
        value: (count?.lines ?? 0) / (this.bucketMs / 1000),
      });
    });
    return out;
  }
}

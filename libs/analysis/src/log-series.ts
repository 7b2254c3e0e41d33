import { DERIVED, type SeriesPoint } from './series';

/**
 * Per service and log template: lines per second, bucketed by event time, so a template's rate
 * is a series like any other. A template seen recently that falls silent reports 0 for a while.
 */
export class LogSeriesAggregator {
  private nextBucket: number | undefined;
  private readonly buckets = new Map<number, Map<string, number>>();
  private readonly known = new Map<string, { first: number; last: number }>();

  constructor(
    private readonly bucketMs = 10_000,
    private readonly maxKeys = 20_000,
  ) {}

  add(service: string, templateId: string, timestampMs: number): void {
    const start = timestampMs - (timestampMs % this.bucketMs);
    const key = `${service}\u0000${templateId}`;
    let bucket = this.buckets.get(start);
    if (!bucket) this.buckets.set(start, (bucket = new Map()));
    bucket.set(key, (bucket.get(key) ?? 0) + 1);
    const seen = this.known.get(key);
    this.known.delete(key);
    this.known.set(key, { first: Math.min(seen?.first ?? Infinity, start), last: Math.max(seen?.last ?? -Infinity, start) });
    if (this.known.size > this.maxKeys) this.known.delete(this.known.keys().next().value as string);
  }

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
      for (const [key, active] of this.known) {
        const [service, template] = key.split('\u0000') as [string, string];
        const count = bucket.get(key);
        if (count === undefined) {
          if (start - active.last > 30 * this.bucketMs) {
            this.known.delete(key);
            continue;
          }
          if (start <= active.first) continue;
        }
        out.push({ service, name: DERIVED.logTemplateRate, labels: { template }, timestampMs: start + this.bucketMs, value: (count ?? 0) / (this.bucketMs / 1000) });
      }
    }
    return out;
  }
}

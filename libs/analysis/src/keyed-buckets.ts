/**
 * Event-time buckets of per-key accumulators, closed by a clock with allowed lateness. Keys seen
 * recently are reported for every closed bucket, with `undefined` when they were silent in it, so
 * a route or template that stops is seen stopping; a key silent for `forgetAfter` buckets is
 * forgotten. Bounded: at most `maxKeys` keys are remembered (least recently active go first).
 */
export class KeyedBuckets<V> {
  private readonly buckets = new Map<number, Map<string, V>>();
  private readonly known = new Map<string, { first: number; last: number }>();
  private nextBucket: number | undefined;

  constructor(
    private readonly bucketMs: number,
    private readonly maxKeys: number,
    private readonly forgetAfter = 30,
  ) {}

  /** The accumulator of `key` in the bucket holding `timestampMs`, created when missing. */
  at(timestampMs: number, key: string, create: () => V): V {
    const start = timestampMs - (timestampMs % this.bucketMs);
    let bucket = this.buckets.get(start);
    if (!bucket) this.buckets.set(start, (bucket = new Map()));
    let value = bucket.get(key);
    if (value === undefined) bucket.set(key, (value = create()));
    const seen = this.known.get(key);
    this.known.delete(key);
    this.known.set(key, { first: Math.min(seen?.first ?? Infinity, start), last: Math.max(seen?.last ?? -Infinity, start) });
    if (this.known.size > this.maxKeys) this.known.delete(this.known.keys().next().value as string);
    return value;
  }

  /**
   * Closes every bucket that ended before `nowMs - latenessMs`, oldest first (empty ones too: a
   * bucket with no data at all is exactly when silence must be reported), calling `emit` with the
   * bucket's end for each key active in it, or silent in it after having been seen before.
   */
  flush(nowMs: number, latenessMs: number, emit: (bucketEndMs: number, key: string, value: V | undefined) => void): void {
    for (const start of this.readyBuckets(nowMs, latenessMs)) {
      const bucket = this.buckets.get(start) ?? new Map<string, V>();
      this.buckets.delete(start);
      for (const [key, active] of this.known) {
        const value = bucket.get(key);
        if (value === undefined) {
          if (start - active.last > this.forgetAfter * this.bucketMs) {
            this.known.delete(key);
            continue;
          }
          if (start <= active.first) continue;
        }
        emit(start + this.bucketMs, key, value);
      }
    }
  }

  private readyBuckets(nowMs: number, latenessMs: number): number[] {
    const lastReady = Math.floor((nowMs - latenessMs) / this.bucketMs) * this.bucketMs - this.bucketMs;
    const pending = [...this.buckets.keys()].filter((b) => b <= lastReady);
    const first = Math.min(this.nextBucket ?? Infinity, ...pending);
    if (!Number.isFinite(first)) return [];
    const out: number[] = [];
    // Late data for a bucket already flushed is counted in its own (re-opened) bucket.
    for (const b of pending.sort((a, b) => a - b)) if (b < (this.nextBucket ?? -Infinity)) out.push(b);
    for (let b = Math.max(first, this.nextBucket ?? first); b <= lastReady; b += this.bucketMs) out.push(b);
    if (lastReady >= first) this.nextBucket = Math.max(this.nextBucket ?? -Infinity, lastReady + this.bucketMs);
    return out;
  }
}

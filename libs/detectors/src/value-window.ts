/**
 * The last `capacity` values of a series, kept both in arrival order (a ring, to know what to
 * evict) and sorted (to answer "how far is x from the nearest value seen" and the window's range
 * by binary search). Memory is fixed at 2 × capacity doubles; each push is two binary searches plus
 * one native memmove of at most `capacity` elements, independent of the series length.
 */
export class ValueWindow {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Smallest value in the window (undefined behaviour when empty: check `size`). */
  get min(): number {
    return this.sorted[0] as number;
  }

  get max(): number {
    return this.sorted[this.count - 1] as number;
  }

  /** Distance from x to the nearest value in the window; Infinity when empty. */
  nearestDistance(x: number): number {
    const i = this.lowerBound(x);
    let best = Infinity;
    if (i < this.count) best = (this.sorted[i] as number) - x;
    if (i > 0) {
      const below = x - (this.sorted[i - 1] as number);
      if (below < best) best = below;
    }
    return best;
  }

  /**
   * How spread out the window's values are around x: the span (max - min) of the `k` values that
   * follow one another in sorted order around x's nearest value (fewer when the window holds
   * fewer). Small where x's neighbourhood is densely visited, large where it is sparse (a tail,
   * or a cluster of fewer than k values). 0 when empty.
   */
  spread(x: number, k: number): number {
    const n = this.count;
    if (n === 0) return 0;
    const s = this.sorted;
    const i = this.lowerBound(x);
    // The nearest value's index: i, or i - 1 when that one is closer.
    const j = i === n || (i > 0 && x - (s[i - 1] as number) < (s[i] as number) - x) ? i - 1 : i;
    const width = Math.min(k, n);
    const lo = Math.max(0, Math.min(j - (width >> 1), n - width));
    return (s[lo + width - 1] as number) - (s[lo] as number);
  }

  push(x: number): void {
    const sorted = this.sorted;
    if (this.count === this.capacity) {
      // Full: the new value replaces the oldest, so only the values between the two positions move
      // (one memmove of |rank(old) - rank(x)| values, a third of the window on average, instead
      // of a removal and an insertion each moving half of it).
      const from = this.lowerBound(this.ring[this.head] as number);
      const to = this.lowerBound(x);
      if (to > from) {
        sorted.copyWithin(from, from + 1, to);
        sorted[to - 1] = x;
      } else {
        sorted.copyWithin(to + 1, to, from);
        sorted[to] = x;
      }
      this.ring[this.head] = x;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      return;
    }
    this.ring[this.head] = x;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    const at = this.lowerBound(x);
    sorted.copyWithin(at + 1, at, this.count);
    sorted[at] = x;
    this.count++;
  }

  /** The values, oldest first. */
  toArray(): number[] {
    const out = new Array<number>(this.count);
    const start = this.count === this.capacity ? this.head : 0;
    for (let k = 0; k < this.count; k++) out[k] = this.ring[(start + k) % this.capacity] as number;
    return out;
  }

  static fromArray(capacity: number, values: readonly number[]): ValueWindow {
    const w = new ValueWindow(capacity);
    for (const v of values.slice(-capacity)) w.push(v);
    return w;
  }

  /** First index whose value is >= x. */
  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.count;
    const s = this.sorted;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((s[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

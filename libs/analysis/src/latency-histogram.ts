/**
 * A fixed-size log-scale histogram for latency quantiles: 8 buckets per power of two from 1 µs
 * to ~70 min, so any quantile is within ~9 % of the true value, in constant memory and O(1) per
 * observation. (The same idea as HDR/exponential histograms, at a coarse, fixed resolution.)
 */
const PER_OCTAVE = 8;
const MIN_MS = 0.001;
const BUCKETS = PER_OCTAVE * 32;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(ms / MIN_MS) * PER_OCTAVE));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total++;
  }

  get count(): number {
    return this.total;
  }

  /** The q-quantile (0..1), at the geometric middle of its bucket; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return MIN_MS * 2 ** ((i + 0.5) / PER_OCTAVE);
    }
    return MIN_MS * 2 ** (BUCKETS / PER_OCTAVE);
  }
}

/**
 * What "normal" is for one series: an exponentially weighted mean and variance, learned only from
 * normal points — not anomalous, and once the baseline scores (10 points), within its band. A
 * point past the band that scores under the sensitivity is not normal either: learning it widens
 * the band, and a fault that grows or flaps (a pool leak that keeps leaking) moved the baseline
 * step by step until the fault read as normal and its incident resolved while it went on.
 *
 * A change becomes the new normal by one rule: `adaptAfter` points in a row past the band (or
 * anomalous) while the target is healthy (see `observe`); then the baseline follows it. A target
 * that is failing holds its baselines where they were, however long it fails.
 */
export class Baseline {
  private mean = Number.NaN;
  private variance = 0;
  private n = 0;
  /** Points in a row not learned as normal while the target was healthy (see observe). */
  private anomalousRun = 0;

  constructor(
    private readonly alpha = 0.05,
    private readonly adaptAfter = 30,
  ) {}

  /**
   * `mayAdapt`: whether the target is healthy, so a point that is not normal counts towards a new
   * normal. While it is not (its requests fail), the run is held: a failure is never learned as
   * normal however long it lasts, and a healthy level shift still adapts once it has lasted
   * `adaptAfter` healthy points.
   */
  observe(value: number, anomalous: boolean, mayAdapt = true): void {
    if (!Number.isFinite(value)) return;
    if (this.n === 0) {
      this.mean = value;
      this.n = 1;
      return;
    }
    // Before the baseline scores (deviationScore's 10 points) its band is not yet a measure.
    const normal = this.n < 5 || (!anomalous && (this.n < 10 || this.contains(value)));
    if (normal) {
      this.anomalousRun = 0;
    } else {
      if (mayAdapt) this.anomalousRun++;
      if (this.anomalousRun < this.adaptAfter) return;
    }
    const a = Math.max(this.alpha, 1 / (this.n + 1));
    const diff = value - this.mean;
    this.mean += a * diff;
    this.variance = (1 - a) * (this.variance + a * diff * diff);
    this.n++;
  }

  get value(): number {
    return this.mean;
  }

  get samples(): number {
    return this.n;
  }

  /** Up or down relative to the baseline (`up` when there is no baseline yet: something appeared). */
  direction(value: number): 'up' | 'down' {
    return !Number.isFinite(this.mean) || value >= this.mean ? 'up' : 'down';
  }

  /** The deviation unit: the standard deviation, but at least 10 % of the level (noise floor). */
  private unit(): number {
    return Math.max(Math.sqrt(this.variance), 0.1 * Math.abs(this.mean), 1e-9);
  }

  /** Within three deviation units of the baseline. */
  contains(value: number): boolean {
    if (!Number.isFinite(this.mean)) return true;
    return Math.abs(value - this.mean) <= 3 * this.unit();
  }

  /**
   * How far from normal, in [0, 1]: 0 up to 3 deviation units, then 1 - exp(-(z-3)²/8), so
   * z = 6 → 0.68, z = 7.3 → 0.9, z = 8 → 0.96. Unlike a novelty detector, it flags a value that
   * is far from today's normal even if the series was there before (a recurring failure). Needs
   * `minSamples` normal points first; 0 before that.
   */
  deviationScore(value: number, minSamples = 10): number {
    if (!Number.isFinite(value) || !Number.isFinite(this.mean) || this.n < minSamples) return 0;
    return deviationScoreOfZ(Math.abs(value - this.mean) / this.unit());
  }

  toJSON(): { mean: number | null; variance: number; n: number; anomalousRun: number; adaptAfter: number } {
    // JSON has no NaN: an empty baseline's mean travels as null.
    return {
      mean: Number.isFinite(this.mean) ? this.mean : null,
      variance: this.variance,
      n: this.n,
      anomalousRun: this.anomalousRun,
      adaptAfter: this.adaptAfter,
    };
  }

  static from(state: { mean: number | null; variance: number; n: number; anomalousRun?: number; adaptAfter?: number }): Baseline {
    const b = new Baseline(0.05, state.adaptAfter ?? 30);
    b.mean = state.mean ?? Number.NaN;
    b.variance = state.variance;
    b.n = state.n;
    b.anomalousRun = state.anomalousRun ?? 0;
    return b;
  }
}

/** Up to this many deviation units from normal a value is noise (its score below is 0). */
export const NOISE_DEVIATIONS = 3;

/**
 * A distance from normal in deviation units, as a score in [0, 1]: 0 up to three units (noise),
 * then 1 - exp(-(z-3)²/8), so z = 6 → 0.68, z = 8 → 0.96. The one rule for how far is anomalous,
 * shared by the live baseline and the root-cause ranking over recorded metrics.
 */
export function deviationScoreOfZ(z: number): number {
  return !(z > NOISE_DEVIATIONS) ? 0 : 1 - Math.exp(-((z - NOISE_DEVIATIONS) ** 2) / 8);
}

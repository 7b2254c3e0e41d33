/**
 * What "normal" is for one series: an exponentially weighted mean and variance, updated only
 * with points that were not anomalous, so an incident does not drag the baseline with it —
 * unless the anomaly lasts: after `adaptAfter` anomalous points in a row the change is the new
 * normal and the baseline follows it. Used to say which way a signal moved, to score how far it
 * is from normal, and to tell when it is back.
 */
export class Baseline {
  private mean = Number.NaN;
  private variance = 0;
  private n = 0;
  private anomalousRun = 0;

  constructor(
    private readonly alpha = 0.05,
    private readonly adaptAfter = 30,
  ) {}

  observe(value: number, anomalous: boolean): void {
    if (!Number.isFinite(value)) return;
    if (this.n === 0) {
      this.mean = value;
      this.n = 1;
      return;
    }
    this.anomalousRun = anomalous ? this.anomalousRun + 1 : 0;
    if (anomalous && this.n >= 5 && this.anomalousRun < this.adaptAfter) return;
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

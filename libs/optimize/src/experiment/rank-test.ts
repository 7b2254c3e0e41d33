/**
 * Whether a change lowered a per-bucket latency by more than noise: the one-sided Mann-Whitney U
 * test on the baseline's and the trial's per-bucket values, and the Hodges-Lehmann estimate of
 * the shift with its distribution-free confidence interval.
 *
 * Why a rank test: an experiment has ten or so buckets a side; per-bucket percentiles are skewed
 * and heavy-tailed (one GC pause or one cold cache bucket is an outlier), so a t-test's normality
 * does not hold, and a bootstrap on ten values resamples too few distinct points for its interval
 * to mean much. Ranks ignore the outlier's size and need no distribution; the U statistic's exact
 * null distribution is approximated by the normal with the tie correction, which is within a few
 * per mille of exact from about eight values a side.
 */
export interface RankTest {
  /** Baseline and trial sizes. */
  n1: number;
  n2: number;
  /** U of the baseline: how often a baseline value exceeds a trial value (ties count ½). */
  u: number;
  /** One-sided p-value of "the trial is no lower than the baseline". */
  pValue: number;
  /** Hodges-Lehmann estimate of baseline − trial (positive: the trial is lower). */
  shift: number;
  /** Its confidence interval at 1 − 2·alpha (two-sided), from the order statistics of the pairwise differences. */
  shiftLow: number;
  shiftHigh: number;
}

/** Standard normal upper tail, by the Abramowitz-Stegun 7.1.26 erfc approximation (error < 1.5e-7). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** The z with upper tail `p`, by bisection on normalUpperTail (p in (0, 0.5]). */
export function normalQuantileUpper(p: number): number {
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normalUpperTail(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Tests whether `trial` is lower than `baseline`; alpha sets the interval's level. Throws on an empty side. */
export function lowerThan(baseline: readonly number[], trial: readonly number[], alpha = 0.05): RankTest {
  const n1 = baseline.length;
  const n2 = trial.length;
  if (n1 === 0 || n2 === 0) throw new Error('a rank test needs values on both sides');
  const all = [...baseline.map((v) => ({ v, side: 0 })), ...trial.map((v) => ({ v, side: 1 }))].sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  const valueAt = (k: number): number => all[k]?.v ?? Number.NaN;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && valueAt(j + 1) === valueAt(i)) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const r1 = all.reduce((sum, e, i) => sum + (e.side === 0 ? (ranks[i] ?? 0) : 0), 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  // Continuity correction towards the null.
  const z = variance > 0 ? (u - mean - 0.5) / Math.sqrt(variance) : 0;
  const pValue = variance > 0 ? normalUpperTail(z) : 0.5;

  const diffs: number[] = [];
  for (const b of baseline) for (const t of trial) diffs.push(b - t);
  diffs.sort((a, b) => a - b);
  const m = diffs.length;
  const at = (k: number): number => diffs[k] ?? Number.NaN;
  const median = m % 2 === 1 ? at((m - 1) / 2) : (at(m / 2 - 1) + at(m / 2)) / 2;
  const c = Math.floor(mean - normalQuantileUpper(alpha) * Math.sqrt((n1 * n2 * (n + 1)) / 12));
  const lowIndex = Math.min(m - 1, Math.max(0, c));
  const highIndex = Math.max(0, Math.min(m - 1, m - 1 - c));
  return { n1, n2, u, pValue, shift: median, shiftLow: at(lowIndex), shiftHigh: at(highIndex) };
}

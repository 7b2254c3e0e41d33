/**
 * The Numenta Anomaly Benchmark scoring method (NAB v1.1), reimplemented from the reference code
 * (numenta/NAB: nab/sweeper.py, nab/runner.py `optimize` and `normalize`, config/profiles.json) so
 * that scores here are comparable with the published table. Pure: no I/O.
 *
 * How it works, in the reference's own terms:
 * - Each row gets a "sweep score": inside a window, the scaled sigmoid of its relative position
 *   (earlier is worth more) times tpWeight / maxTP; outside, a penalty of fpWeight times the scaled
 *   sigmoid of the distance past the preceding window (-fpWeight when no window precedes it).
 * - The first rows of each file (min(floor(0.15 n), 0.15 * 5000)) are probationary and not scored.
 * - A threshold t turns every row with score >= t into a detection. Each window contributes the
 *   best (= earliest) sweep score among its detections, or -fnWeight when none; every detection
 *   outside a window adds its (negative) sweep score.
 * - One threshold per profile is chosen for the whole corpus by sweeping every distinct score.
 * - Normalisation: 100 * (raw - null) / (perfect - null), where null is the optimised score of the
 *   null detector (a constant score) and perfect is the number of windows times tpWeight.
 */

export interface CostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/** The three application profiles of NAB v1.1 (config/profiles.json). */
export const NAB_PROFILES = {
  standard: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0 },
  reward_low_FP_rate: { tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0 },
  reward_low_FN_rate: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0 },
} as const satisfies Record<string, CostMatrix>;

export type NabProfileName = keyof typeof NAB_PROFILES;

export const NAB_PROBATION_PERCENT = 0.15;

/** One scored file: row timestamps (any monotone number, e.g. epoch ms), detector scores, windows. */
export interface ScoredSeries {
  readonly name: string;
  readonly timestamps: ArrayLike<number>;
  readonly scores: ArrayLike<number>;
  /** Inclusive [start, end] timestamps of the labelled anomaly windows, in order. */
  readonly windows: ReadonlyArray<readonly [number, number]>;
}

/** Sentinel window ids of a row: outside any window, or in the probationary period. */
export const NO_WINDOW = -1;
export const PROBATIONARY = -2;

/** The rows of a corpus prepared for sweeping (struct of arrays, one entry per row). */
export interface SweepRows {
  readonly anomalyScore: Float64Array;
  readonly sweepScore: Float64Array;
  /** A corpus-wide window id, NO_WINDOW, or PROBATIONARY. */
  readonly windowId: Int32Array;
  readonly windowCount: number;
}

export interface ThresholdScore {
  readonly threshold: number;
  readonly score: number;
  readonly tp: number;
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** 2*sigmoid(-5x) - 1, and -1 beyond 3 (a false positive far behind a window). */
export function scaledSigmoid(relativePosition: number): number {
  return relativePosition > 3.0 ? -1.0 : 2 * sigmoid(-5 * relativePosition) - 1.0;
}

export function probationaryLength(rows: number, probationPercent = NAB_PROBATION_PERCENT): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/**
 * Window limits as row indices. The reference requires each limit to be exactly a row's timestamp;
 * when it is not, the window is the rows with start <= t <= end (the older nab/scorer.py rule).
 */
export function windowIndices(timestamps: ArrayLike<number>, windows: ScoredSeries['windows']): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [start, end] of windows) {
    let first = -1;
    let last = -1;
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i] as number;
      if (t >= start && t <= end) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) out.push([first, last]);
  }
  return out;
}

/** nab/sweeper.py `calcSweepScore` for a whole corpus; window ids are unique across files. */
export function prepareSweepRows(corpus: readonly ScoredSeries[], cost: CostMatrix, probationPercent = NAB_PROBATION_PERCENT): SweepRows {
  let total = 0;
  for (const s of corpus) {
    if (s.timestamps.length !== s.scores.length)
      throw new Error(`${s.name}: ${s.timestamps.length} timestamps but ${s.scores.length} scores`);
    total += s.timestamps.length;
  }
  const anomalyScore = new Float64Array(total);
  const sweepScore = new Float64Array(total);
  const windowId = new Int32Array(total);
  const maxTP = scaledSigmoid(-1.0);
  let row = 0;
  let nextWindowId = 0;
  for (const s of corpus) {
    const n = s.timestamps.length;
    const probation = probationaryLength(n, probationPercent);
    const windows = windowIndices(s.timestamps, s.windows);
    let w = 0;
    let curId = NO_WINDOW;
    let curRight = -1;
    let curWidth = 0;
    let prevRight = -1;
    let prevWidth = 0;
    for (let i = 0; i < n; i++, row++) {
      const next = windows[w];
      if (curId === NO_WINDOW && next !== undefined && i === next[0]) {
        curId = nextWindowId++;
        curRight = next[1];
        curWidth = next[1] - next[0] + 1;
        w++;
      }
      let weighted: number;
      if (curId !== NO_WINDOW) {
        const position = -(curRight - i + 1) / curWidth;
        weighted = (scaledSigmoid(position) * cost.tpWeight) / maxTP;
      } else if (prevRight < 0) {
        weighted = -1.0 * cost.fpWeight;
      } else {
        // A one-row window would divide by zero in the reference; treat it as "far behind".
        const position = prevWidth > 1 ? Math.abs(prevRight - i) / (prevWidth - 1) : Infinity;
        weighted = scaledSigmoid(position) * cost.fpWeight;
      }
      anomalyScore[row] = s.scores[i] as number;
      sweepScore[row] = weighted;
      windowId[row] = i >= probation ? curId : PROBATIONARY;
      if (curId !== NO_WINDOW && i === curRight) {
        prevRight = curRight;
        prevWidth = curWidth;
        curId = NO_WINDOW;
      }
    }
  }
  return { anomalyScore, sweepScore, windowId, windowCount: nextWindowId };
}

/**
 * nab/sweeper.py `calcScoreByThreshold`: the corpus score at every distinct threshold, from the
 * highest (1.1: nothing detected) down. Entry k scores the detections `anomalyScore >= threshold`.
 */
export function scoresByThreshold(rows: SweepRows, cost: CostMatrix): ThresholdScore[] {
  const order: number[] = [];
  for (let i = 0; i < rows.windowId.length; i++) if (rows.windowId[i] !== PROBATIONARY) order.push(i);
  const a = rows.anomalyScore;
  order.sort((x, y) => (a[y] as number) - (a[x] as number));

  // Windows with at least one scorable row start as misses (-fnWeight); the best detection replaces that.
  const windowPart = new Float64Array(rows.windowCount).fill(NaN);
  let tn = 0;
  let fn = 0;
  let windowSum = 0;
  for (const i of order) {
    const id = rows.windowId[i] as number;
    if (id === NO_WINDOW) tn++;
    else {
      fn++;
      if (Number.isNaN(windowPart[id])) {
        windowPart[id] = -cost.fnWeight;
        windowSum -= cost.fnWeight;
      }
    }
  }
  let tp = 0;
  let fp = 0;
  let fpSum = 0;
  let threshold = 1.1;
  const out: ThresholdScore[] = [];
  for (const i of order) {
    const score = a[i] as number;
    if (score !== threshold) {
      out.push({ threshold, score: fpSum + windowSum, tp, tn, fp, fn });
      threshold = score;
    }
    const id = rows.windowId[i] as number;
    const sweep = rows.sweepScore[i] as number;
    if (id === NO_WINDOW) {
      fp++;
      tn--;
      fpSum += sweep;
    } else {
      tp++;
      fn--;
      const prev = windowPart[id] as number;
      if (sweep > prev) {
        windowPart[id] = sweep;
        windowSum += sweep - prev;
      }
    }
  }
  out.push({ threshold, score: fpSum + windowSum, tp, tn, fp, fn });
  return out;
}

/** The best threshold for the corpus (ties: the highest threshold, as the reference's stable sort). */
export function optimizeThreshold(rows: SweepRows, cost: CostMatrix): ThresholdScore {
  const all = scoresByThreshold(rows, cost);
  let best = all[0] as ThresholdScore;
  for (const s of all) if (s.score > best.score) best = s;
  return best;
}

export interface ProfileResult {
  readonly profile: NabProfileName;
  readonly threshold: number;
  readonly rawScore: number;
  readonly nullScore: number;
  readonly perfectScore: number;
  /** 100 * (raw - null) / (perfect - null). */
  readonly normalizedScore: number;
  readonly counts: Pick<ThresholdScore, 'tp' | 'tn' | 'fp' | 'fn'>;
}

/** NAB's null detector emits a constant 0.5 for every row. */
function nullCorpus(corpus: readonly ScoredSeries[]): ScoredSeries[] {
  return corpus.map((s) => ({ ...s, scores: new Float64Array(s.scores.length).fill(0.5) }));
}

/** Optimise, score and normalise one detector's corpus for each profile. */
export function scoreCorpus(
  corpus: readonly ScoredSeries[],
  profiles: readonly NabProfileName[] = Object.keys(NAB_PROFILES) as NabProfileName[],
  probationPercent = NAB_PROBATION_PERCENT,
): ProfileResult[] {
  const nulls = nullCorpus(corpus);
  return profiles.map((profile) => {
    const cost = NAB_PROFILES[profile];
    const best = optimizeThreshold(prepareSweepRows(corpus, cost, probationPercent), cost);
    const nullScore = optimizeThreshold(prepareSweepRows(nulls, cost, probationPercent), cost).score;
    // runner.normalize counts every labelled window, as in the labels file.
    const perfectScore = corpus.reduce((n, s) => n + s.windows.length, 0) * cost.tpWeight;
    const normalizedScore = perfectScore === nullScore ? 0 : (100 * (best.score - nullScore)) / (perfectScore - nullScore);
    const { tp, tn, fp, fn } = best;
    return {
      profile,
      threshold: best.threshold,
      rawScore: best.score,
      nullScore,
      perfectScore,
      normalizedScore,
      counts: { tp, tn, fp, fn },
    };
  });
}

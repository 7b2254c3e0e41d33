import {
  NAB_PROFILES,
  optimizeThreshold,
  prepareSweepRows,
  probationaryLength,
  scaledSigmoid,
  scoreCorpus,
  scoresByThreshold,
  type ScoredSeries,
} from './nab-scorer';

/**
 * Hand-computed cases. One file of 20 rows at t = 0..19, probation floor(0.15 * 20) = 3 rows,
 * one window [10, 14] (5 rows). maxTP = scaledSigmoid(-1) = 0.9866143.
 * A detection at row i inside the window is worth scaledSigmoid(-(14 - i + 1) / 5) / maxTP:
 *   i = 10 -> 1, i = 11 -> 0.9771068, i = 12 -> 0.9174287, i = 13 -> 0.7719269.
 * A detection at row j after it costs fpWeight * scaledSigmoid((j - 14) / 4);
 * before any window it costs fpWeight.
 */
const ts = Array.from({ length: 20 }, (_, i) => i);
function file(scores: Record<number, number>, windows: Array<[number, number]> = [[10, 14]]): ScoredSeries {
  return { name: 'f.csv', timestamps: ts, scores: ts.map((i) => scores[i] ?? 0), windows };
}
const standard = NAB_PROFILES.standard;

describe('NAB scoring primitives', () => {
  it('uses the v1.1 profiles', () => {
    expect(NAB_PROFILES).toEqual({
      standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
      reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
      reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
    });
  });

  it('scaled sigmoid: window start, end and far behind', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });

  it('probation: 15% of the rows, at most 750', () => {
    expect(probationaryLength(20)).toBe(3);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(10_000)).toBe(750);
  });
});

describe('NAB threshold sweep', () => {
  it('credits a detection by its position in the window', () => {
    const best = optimizeThreshold(prepareSweepRows([file({ 12: 0.9 })], standard), standard);
    expect(best.threshold).toBe(0.9);
    expect(best.score).toBeCloseTo(0.9174287, 6);
    expect(best).toMatchObject({ tp: 1, fp: 0, fn: 4 });
  });

  it('counts only the earliest detection inside a window', () => {
    const all = scoresByThreshold(prepareSweepRows([file({ 11: 0.6, 13: 0.8 })], standard), standard);
    const at = (t: number): number => all.find((s) => s.threshold === t)?.score ?? NaN;
    expect(at(1.1)).toBe(-1); // nothing detected: one missed window
    expect(at(0.8)).toBeCloseTo(0.7719269, 6); // row 13 only
    expect(at(0.6)).toBeCloseTo(0.9771068, 6); // row 11 is earlier; row 13 adds nothing
  });

  it('charges false positives by distance past the window, and fully before any window', () => {
    const rows = prepareSweepRows([file({ 12: 0.9, 17: 0.7, 5: 0.5 })], standard);
    const all = scoresByThreshold(rows, standard);
    const at = (t: number): number => all.find((s) => s.threshold === t)?.score ?? NaN;
    expect(at(0.7)).toBeCloseTo(0.9174287 - 0.104945, 5); // 0.11 * scaledSigmoid(3 / 4)
    expect(at(0.5)).toBeCloseTo(0.9174287 - 0.104945 - 0.11, 5);
  });

  it('ignores the probationary rows', () => {
    const all = scoresByThreshold(prepareSweepRows([file({ 1: 1, 2: 1 })], standard), standard);
    // Rows 1 and 2 score 1 but are probationary: at threshold 1 nothing counts yet.
    expect(all.map((s) => s.threshold)).toEqual([1.1, 0]);
    expect(all[0]?.score).toBe(-1);
  });

  it('weighs a missed window by fnWeight', () => {
    const lowFn = NAB_PROFILES.reward_low_FN_rate;
    expect(scoresByThreshold(prepareSweepRows([file({})], lowFn), lowFn)[0]).toMatchObject({ threshold: 1.1, score: -2, fn: 5, tn: 12 });
  });

  it('tunes one threshold across files', () => {
    // File a wants >= 0.9, file b has a false positive at 0.8 and its window at 0.7.
    const a = { ...file({ 12: 0.9 }), name: 'a.csv' };
    const b = { ...file({ 5: 0.8, 10: 0.7 }), name: 'b.csv' };
    const all = scoresByThreshold(prepareSweepRows([a, b], standard), standard);
    const at = (t: number): number => all.find((s) => s.threshold === t)?.score ?? NaN;
    expect(at(0.9)).toBeCloseTo(0.9174287 - 1, 6);
    expect(at(0.8)).toBeCloseTo(0.9174287 - 1 - 0.11, 6);
    expect(at(0.7)).toBeCloseTo(0.9174287 + 1 - 0.11, 6);
    expect(optimizeThreshold(prepareSweepRows([a, b], standard), standard).threshold).toBe(0.7);
  });
});

describe('NAB normalisation', () => {
  it('scales so that the null detector is 0 and a perfect detector 100', () => {
    // Null detector (constant 0.5), standard profile: detecting everything earns 1 for the window,
    // 7 rows before it cost 0.77 and rows 15..19 after it cost 0.11 * 4.3396895: total -0.2473658,
    // which beats detecting nothing (-1).
    const [perfect] = scoreCorpus([file({ 10: 1 })], ['standard']);
    expect(perfect?.nullScore).toBeCloseTo(-0.2473658, 6);
    expect(perfect?.perfectScore).toBe(1);
    expect(perfect?.normalizedScore).toBeCloseTo(100, 6);
    const [one] = scoreCorpus([file({ 12: 0.9 })], ['standard']);
    expect(one?.normalizedScore).toBeCloseTo(93.38034, 4);
    // A detector whose scores never separate anything is no better than the null detector.
    const [flat] = scoreCorpus([file({})], ['standard']);
    expect(flat?.normalizedScore).toBeCloseTo(0, 9);
  });
});

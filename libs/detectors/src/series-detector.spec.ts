import { createDetector, DEFAULT_DETECTOR_OPTIONS, InvalidDetectorConfigError, restoreDetector, type DetectorSnapshot } from './series-detector';

/** Deterministic pseudo-random numbers (LCG) and standard normals (Box-Muller). */
function rng(seed: number): { uniform: () => number; normal: () => number } {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

const MINUTE = 60_000;
function run(values: readonly number[], timestamps?: readonly number[]): number[] {
  const d = createDetector();
  return values.map((v, i) => d.update(timestamps?.[i] ?? i * MINUTE, v));
}
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const max = (xs: readonly number[]): number => xs.reduce((m, x) => (x > m ? x : m), -Infinity);
const warm = DEFAULT_DETECTOR_OPTIONS.warmupPoints;

describe('createDetector: scores', () => {
  it('scores a spike on a flat series high, and the flat points low', () => {
    const r = rng(1);
    const values = Array.from({ length: 600 }, (_, i) => (i === 400 ? 20 : 10 + 0.1 * r.uniform()));
    const scores = run(values);
    expect(scores[400]).toBeGreaterThan(0.9);
    // Below the alert level (0.5) everywhere else, including the few points after the spike
    // while the smoothed view decays back through values it has not visited.
    const others = scores.filter((_, i) => i !== 400 && i >= warm);
    expect(max(others)).toBeLessThan(0.5);
    expect(mean(others)).toBeLessThan(0.05);
  });

  it('scores a level shift high at the shift, then adapts back to low', () => {
    const r = rng(2);
    const values = Array.from({ length: 1200 }, (_, i) => (i < 600 ? 10 : 20) + r.normal() * 0.5);
    const scores = run(values);
    expect(max(scores.slice(600, 603))).toBeGreaterThan(0.9);
    // Steady state before the shift (the first few hundred points, with a young history, alert more often).
    const before = scores.slice(300, 600);
    const after = scores.slice(650);
    for (const part of [before, after]) {
      expect(mean(part)).toBeLessThan(0.05);
      expect(part.filter((s) => s >= 0.5).length / part.length).toBeLessThan(0.01);
    }
    expect(mean(scores.slice(600, 605))).toBeGreaterThan(4 * mean(after) + 0.3);
  });

  it('does not score the regular peaks of a periodic series after a few periods', () => {
    const r = rng(3);
    const period = 96;
    const values = Array.from({ length: period * 10 }, (_, i) => 50 + 30 * Math.sin((2 * Math.PI * i) / period) + r.normal());
    const scores = run(values);
    const peaks = [];
    for (let k = 3; k < 10; k++) peaks.push(scores[k * period + period / 4] as number);
    expect(max(peaks)).toBeLessThan(0.3);
    expect(max(scores.slice(3 * period))).toBeLessThan(0.5);
  });

  it('keeps false positives rare on pure noise', () => {
    const r = rng(4);
    const scores = run(Array.from({ length: 20_000 }, () => 100 + 5 * r.normal())).slice(warm);
    const alerts = scores.filter((s) => s >= 0.5).length;
    expect(alerts / scores.length).toBeLessThan(0.002);
  });

  it('keeps every score in [0, 1], also for extreme magnitudes', () => {
    const r = rng(5);
    const values = Array.from({ length: 3000 }, (_, i) => (i % 500 === 499 ? 1e300 : i % 333 === 0 ? -1e300 : r.normal() * 10 ** ((i % 40) - 20)));
    for (const s of run(values)) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    for (const s of run([Number.MAX_VALUE, -Number.MAX_VALUE, ...Array.from({ length: 200 }, (_, i) => (i % 2 ? Number.MAX_VALUE : -Number.MAX_VALUE))])) {
      expect(s >= 0 && s <= 1).toBe(true);
    }
  });

  it('does not look ahead: a score is unchanged when later points change', () => {
    const r = rng(6);
    const a = Array.from({ length: 1500 }, () => r.normal());
    const b = a.map((v, i) => (i >= 900 ? v * 7 + 100 : v));
    expect(run(b).slice(0, 900)).toEqual(run(a).slice(0, 900));
  });

  it('scores non-finite values 0 without touching the state', () => {
    const r = rng(7);
    const clean = Array.from({ length: 800 }, () => r.normal());
    const dirty: number[] = [];
    const keep: number[] = [];
    clean.forEach((v, i) => {
      if (i % 97 === 5) dirty.push(NaN, Infinity, -Infinity);
      dirty.push(v);
      keep.push(dirty.length - 1);
    });
    const dirtyScores = run(dirty);
    expect(dirtyScores.filter((_, i) => !Number.isFinite(dirty[i] as number)).every((s) => s === 0)).toBe(true);
    expect(keep.map((i) => dirtyScores[i])).toEqual(run(clean));
  });

  it('is order-based: irregular, repeated or missing timestamps do not change or break it', () => {
    const r = rng(8);
    const values = Array.from({ length: 1000 }, () => r.normal());
    const irregular = values.map((_, i) => (i % 50 === 0 ? NaN : i * MINUTE + Math.floor(r.uniform() * 10) * 3_600_000));
    expect(run(values, irregular)).toEqual(run(values));
  });
});

describe('snapshot and restore', () => {
  it('continues exactly where the snapshot left off, through JSON', () => {
    const r = rng(9);
    const values = Array.from({ length: 3000 }, (_, i) => (i > 2000 ? 5 : 0) + r.normal());
    const whole = createDetector();
    const expected = values.map((v, i) => whole.update(i * MINUTE, v));

    const first = createDetector();
    for (let i = 0; i < 1700; i++) first.update(i * MINUTE, values[i] as number);
    const snap = JSON.parse(JSON.stringify(first.snapshot())) as DetectorSnapshot;
    const restored = restoreDetector(snap);
    const rest = values.slice(1700).map((v, k) => restored.update((1700 + k) * MINUTE, v));
    expect(rest).toEqual(expected.slice(1700));
    expect(restored.snapshot()).toEqual(whole.snapshot());
  });

  it('restores a detector that has not seen any point yet', () => {
    const restored = restoreDetector(JSON.parse(JSON.stringify(createDetector().snapshot())) as DetectorSnapshot);
    expect(restored.update(0, 1)).toBe(0);
  });

  it('keeps its size constant once the history is full', () => {
    const d = createDetector();
    const r = rng(10);
    const sizes: number[] = [];
    for (let i = 1; i <= 20_000; i++) {
      d.update(i * MINUTE, Math.round(r.normal() * 1e6) / 1e3);
      if (i % 5000 === 0) sizes.push(JSON.stringify(d.snapshot()).length);
    }
    const snap = d.snapshot();
    expect(snap.values).toHaveLength(DEFAULT_DETECTOR_OPTIONS.historySize);
    expect(snap.smoothedValues).toHaveLength(DEFAULT_DETECTOR_OPTIONS.historySize);
    expect(max(sizes) / Math.min(...sizes)).toBeLessThan(1.05);
  });

  it('rejects malformed snapshots with a coded error', () => {
    const snap = createDetector().snapshot();
    expect(() => restoreDetector({ ...snap, version: 2 } as unknown as DetectorSnapshot)).toThrow(InvalidDetectorConfigError);
    expect(() => restoreDetector({ ...snap, values: [1], smoothedValues: [] })).toThrow(/equal length/);
    expect(() => restoreDetector({ ...snap, values: [NaN], smoothedValues: [1], smoothed: 1 })).toThrow(InvalidDetectorConfigError);
    expect(() => restoreDetector(null as unknown as DetectorSnapshot)).toThrow(InvalidDetectorConfigError);
  });
});

describe('options', () => {
  it('uses one documented default configuration', () => {
    expect(createDetector().snapshot().options).toEqual(DEFAULT_DETECTOR_OPTIONS);
  });

  it('rejects invalid options naming the option', () => {
    expect(() => createDetector({ historySize: 3 })).toThrow(/historySize/);
    expect(() => createDetector({ smoothingAlpha: 0 })).toThrow(/smoothingAlpha/);
    expect(() => createDetector({ noveltyScale: -1 })).toThrow(/noveltyScale/);
    expect(() => createDetector({ warmupPoints: 5000 })).toThrow(/warmupPoints/);
  });
});

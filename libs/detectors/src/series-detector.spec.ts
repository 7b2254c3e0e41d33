import {
  createDetector,
  DEFAULT_DETECTOR_OPTIONS,
  InvalidDetectorConfigError,
  restoreDetector,
  type DetectorSnapshot,
  type DetectorOptions,
  type DetectorSnapshotV1,
  type DetectorSnapshotV2,
} from './series-detector';

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
function runWith(options: Partial<DetectorOptions>, values: readonly number[]): number[] {
  const d = createDetector(options);
  return values.map((v, i) => d.update(i * MINUTE, v));
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

  it('reports one disturbance once: a point no more novel than a recent one scores half, a more novel one in full', () => {
    const r = rng(11);
    const { refractoryPoints } = DEFAULT_DETECTOR_OPTIONS;
    // On a series filling 10..11, spikes of 12, 11.8 and 30, the second and third within the
    // refractory period of the first, then 12.5 once the period of the 30 has passed.
    const late = 500 + refractoryPoints + 50;
    const spikes = new Map([
      [400, 12],
      [450, 11.8],
      [500, 30],
      [late, 12.5],
    ]);
    const values = Array.from({ length: 1200 }, (_, i) => spikes.get(i) ?? 10 + r.uniform());
    const scores = run(values);
    const raw = (() => {
      const d = createDetector({ refractoryPoints: 0 });
      return values.map((v, i) => d.update(i * MINUTE, v));
    })();
    expect(scores[400]).toBe(raw[400]);
    expect(scores[400]).toBeGreaterThan(0.9);
    // 11.8 after 12: novel (nothing between 11 and 12 before), but less than the 12 was.
    expect(raw[450]).toBeGreaterThan(0.5);
    expect(raw[450]).toBeLessThan(raw[400] as number);
    expect(scores[450]).toBeCloseTo((raw[450] as number) / 2, 12);
    // 30 is more novel than anything of the last refractoryPoints points: in full.
    expect(raw[500]).toBeGreaterThan(raw[400] as number);
    expect(scores[500]).toBe(raw[500]);
    expect(raw[late]).toBeGreaterThan(0);
    expect(scores[late]).toBe(raw[late]);
    // Off, every score is the undamped one.
    expect(createDetector({ refractoryPoints: 0 }).snapshot().recentPeaks).toEqual([]);
  });

  it('judges a value in a sparsely visited region against the spread of that region', () => {
    // An idle series (about 0.1) with a one-point burst every 150 points, each between 1.2 and
    // 1.7: a new height lies a few hundredths from the nearest earlier burst, some 4 % of the
    // range, but the burst values are few and far apart, so that is their usual spacing.
    const r = rng(12);
    const values = Array.from({ length: 4000 }, (_, i) => (i % 150 === 0 ? 1.2 + 0.5 * r.uniform() : 0.1 + 0.02 * r.uniform()));
    // A 1024-point history, so the range-only detector forgets bursts and meets new heights.
    const bursts = (scores: number[]): number[] => scores.filter((_, i) => i % 150 === 0 && i >= 1000);
    const withSpread = bursts(runWith({ historySize: 1024, neighbourhoodSize: 64 }, values));
    const rangeOnly = bursts(runWith({ historySize: 1024, neighbourhoodSize: 1, refractoryPoints: 0 }, values));
    expect(rangeOnly.filter((s) => s >= 0.5).length).toBeGreaterThan(0);
    expect(withSpread.filter((s) => s >= 0.5)).toEqual([]);
    // A burst twice as high is still an anomaly.
    const tall = values.map((v, i) => (i === 3000 ? 3.4 : v));
    expect(run(tall)[3000]).toBeGreaterThan(0.9);
  });

  it('keeps false positives rare on pure noise', () => {
    const r = rng(4);
    const scores = run(Array.from({ length: 20_000 }, () => 100 + 5 * r.normal())).slice(warm);
    const alerts = scores.filter((s) => s >= 0.5).length;
    expect(alerts / scores.length).toBeLessThan(0.002);
  });

  it('alarms on a stationary heavy-tailed series less often than with a short history', () => {
    // i.i.d. log-normal values: a new extreme of the last N points comes about once every N points,
    // and each one is a false alarm; the 4096-point history cuts them to about a third of 1024's.
    const r = rng(16);
    const values = Array.from({ length: 30_000 }, () => Math.exp(r.normal()));
    const alarms = (scores: number[]): number => scores.slice(1000).filter((s) => s >= 0.5).length;
    const long = alarms(run(values));
    const short = alarms(runWith({ historySize: 1024, neighbourhoodSize: 64, slowSmoothingAlpha: 0 }, values));
    expect(long).toBeLessThan(short / 2);
    expect(long / 29_000).toBeLessThan(0.001);
  });

  it('keeps every score in [0, 1], also for extreme magnitudes', () => {
    const r = rng(5);
    const values = Array.from({ length: 3000 }, (_, i) =>
      i % 500 === 499 ? 1e300 : i % 333 === 0 ? -1e300 : r.normal() * 10 ** ((i % 40) - 20),
    );
    for (const s of run(values)) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    for (const s of run([
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      ...Array.from({ length: 200 }, (_, i) => (i % 2 ? Number.MAX_VALUE : -Number.MAX_VALUE)),
    ])) {
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
    expect(snap.slowSmoothedValues).toHaveLength(DEFAULT_DETECTOR_OPTIONS.historySize);
    expect(max(sizes) / Math.min(...sizes)).toBeLessThan(1.05);
  });

  it('restores a version 1 snapshot (written before the local spread and the refractory bar) as the detector it was', () => {
    const d = createDetector();
    const r = rng(13);
    for (let i = 0; i < 500; i++) d.update(i * MINUTE, r.normal());
    const { recentPeaks: _peaks, options, slowSmoothed: _z, slowSmoothedValues: _zs, ...rest } = d.snapshot();
    const { neighbourhoodSize: _n, refractoryPoints: _r, slowSmoothingAlpha: _a, ...v1options } = options;
    const v1: DetectorSnapshotV1 = { ...rest, version: 1, options: v1options };
    const restored = restoreDetector(JSON.parse(JSON.stringify(v1)) as DetectorSnapshotV1);
    expect(restored.snapshot().options).toEqual({
      ...DEFAULT_DETECTOR_OPTIONS,
      neighbourhoodSize: 1,
      refractoryPoints: 0,
      slowSmoothingAlpha: 0,
    });
    expect(restored.snapshot().recentPeaks).toEqual([]);
    expect(restored.snapshot().slowSmoothedValues).toEqual([]);
    expect(restored.update(500 * MINUTE, 50)).toBeGreaterThan(0.9);
  });

  it('restores a version 2 snapshot (written before the slow view) as the detector it was, with its history size', () => {
    const options = { historySize: 1024, neighbourhoodSize: 1, refractoryPoints: 0, slowSmoothingAlpha: 0 };
    const whole = createDetector(options);
    const r = rng(14);
    const values = Array.from({ length: 1500 }, (_, i) => (i > 1200 ? 4 : 0) + r.normal());
    const expected = values.map((v, i) => whole.update(i * MINUTE, v));
    const first = createDetector(options);
    for (let i = 0; i < 1000; i++) first.update(i * MINUTE, values[i] as number);
    const { slowSmoothed: _z, slowSmoothedValues: _zs, options: o, ...rest } = first.snapshot();
    const { slowSmoothingAlpha: _a, ...v2options } = o;
    const v2: DetectorSnapshotV2 = { ...rest, version: 2, options: v2options };
    const restored = restoreDetector(JSON.parse(JSON.stringify(v2)) as DetectorSnapshotV2);
    expect(restored.snapshot().options).toEqual({ ...DEFAULT_DETECTOR_OPTIONS, ...options });
    expect(values.slice(1000).map((v, k) => restored.update((1000 + k) * MINUTE, v))).toEqual(expected.slice(1000));
  });

  it('rejects malformed snapshots with a coded error', () => {
    const snap = createDetector().snapshot();
    expect(() => restoreDetector({ ...snap, version: 4 } as unknown as DetectorSnapshot)).toThrow(InvalidDetectorConfigError);
    expect(() =>
      restoreDetector({
        ...snap,
        recentPeaks: [
          { age: 1, score: 0.2 },
          { age: 2, score: 0.1 },
        ],
      }),
    ).toThrow(/recentPeaks/);
    expect(() => restoreDetector({ ...snap, recentPeaks: [{ age: 999, score: 0.2 }] })).toThrow(/recentPeaks/);
    expect(() => restoreDetector({ ...snap, recentPeaks: 'x' } as unknown as DetectorSnapshot)).toThrow(/recentPeaks/);
    expect(() => restoreDetector({ ...snap, values: [1], smoothedValues: [] })).toThrow(/equal length/);
    expect(() => restoreDetector({ ...snap, values: [NaN], smoothedValues: [1], smoothed: 1 })).toThrow(InvalidDetectorConfigError);
    expect(() => restoreDetector({ ...snap, values: [1], smoothedValues: [1], smoothed: 1 })).toThrow(/slowSmoothedValues/);
    expect(() => restoreDetector({ ...snap, values: [1], smoothedValues: [1], smoothed: 1, slowSmoothedValues: [1] })).toThrow(
      /slowSmoothed must/,
    );
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
    expect(() => createDetector({ slowSmoothingAlpha: -0.1 })).toThrow(/slowSmoothingAlpha/);
    expect(() => createDetector({ slowSmoothingAlpha: NaN })).toThrow(/slowSmoothingAlpha/);
    expect(() => createDetector({ noveltyScale: -1 })).toThrow(/noveltyScale/);
    expect(() => createDetector({ warmupPoints: 5000 })).toThrow(/warmupPoints/);
    expect(() => createDetector({ neighbourhoodSize: 0 })).toThrow(/neighbourhoodSize/);
    expect(() => createDetector({ refractoryPoints: 1.5 })).toThrow(/refractoryPoints/);
  });
});

import { SlidingMax } from './sliding-max';
import { ValueWindow } from './value-window';

/**
 * Streaming anomaly detector for one series: multi-timescale nearest-neighbour novelty.
 *
 * The question it answers for each point is "has this series been here recently?", in the spirit
 * of the context/density detectors that do well on the Numenta Anomaly Benchmark (CAD OSE, KNN
 * CAD): an operational metric is anomalous when it reaches a level it has not visited within its
 * recent history, not when it merely deviates from a forecast. Two views of the series are kept:
 *
 * - the raw value x_t, which catches spikes and abrupt jumps on the first point;
 * - an exponentially smoothed value y_t = y_{t-1} + α (x_t - y_{t-1}), which catches sustained
 *   level shifts and drifts that stay inside the noise band of the raw values (the smoothed series
 *   of noisy data is narrow, so a small persistent shift leaves it);
 * - a slowly smoothed value (the same with a smaller α), which catches what only shows over tens of
 *   points: a slow drift, a change in how often bursts come, a shift smaller than the fast view's
 *   noise band.
 *
 * For each view the novelty is the distance to the nearest value of that view among the last
 * `historySize` points, divided by a scale: the range (max - min) of the raw values in the same
 * window plus the current point, or, where larger, twice the local spread of that view's values
 * around the nearest one (the span of the `neighbourhoodSize` values next to it in sorted order).
 * The range makes the novelty scale-free and comparable across series, so that one threshold means
 * the same on CPU percentages and on bytes per second. The local spread matters only where the
 * nearest value sits in a sparsely visited region — the tail of a heavy-tailed metric, the few
 * values of a periodic burst — where values lie far apart by nature and a new one a little beyond
 * its neighbours says little. The point's novelty is the largest of the views', and the score
 * is a monotone map of it onto [0, 1].
 *
 * One disturbance is reported once: a point that is not more novel than the most novel point of
 * the last `refractoryPoints` scores half its novelty. The unsettled points that follow a jump
 * (the window still holds mostly the old regime) do not read as new anomalies, while anything
 * more extreme than what was already reported still scores in full.
 *
 * Why this handles what it must, with no per-series tuning:
 * - level shifts: the first points at a new level are far from everything in the window (high
 *   score); once the window holds the new level, its points are no longer novel (adapts back);
 * - seasonality: a periodic series revisits the same values every period, so once the window holds
 *   a few periods its regular peaks are not novel. No period has to be configured or detected;
 * - noise: values inside the band the series has been filling are never far from a neighbour;
 * - scale changes and old outliers are forgotten after `historySize` points (bounded memory).
 *
 * Cost per point: a few binary searches and three native memmoves over fixed-size arrays
 * (2 × historySize doubles per view) plus an amortised O(1) sliding maximum, independent of how
 * long the series runs. State is a few numbers plus the windows; a snapshot restores it exactly.
 *
 * Timestamps: the detector is order-based (each point is one step), so irregular spacing and gaps
 * do not distort it; a timestamp is only recorded. Non-finite values score 0 and change nothing.
 */
export interface DetectorOptions {
  /**
   * Points of history searched for neighbours (default 4096: two weeks of 5-minute data, two
   * weekly cycles). The history sets how often a series that is merely noisy looks new: a
   * stationary series sets a new extreme of its last N points about once every N points, and each
   * is a false alarm, so a longer memory alarms proportionally less often on heavy-tailed, bursty
   * series (counts, bytes, request volumes). It also forgets an old regime more slowly: a return
   * to a level visited within the history is not new. Memory: 2 × 8 bytes × historySize per view.
   */
  historySize: number;
  /**
   * Weight of the newest point in the smoothed view (default 0.2: centre of mass 4 points). Fast
   * enough that a shift is visible within a handful of points, slow enough to average out
   * point-to-point noise (the smoothed band of white noise is ~1/3 of the raw band).
   */
  smoothingAlpha: number;
  /**
   * Weight of the newest point in the slow view (default 0.05: centre of mass 20 points, a
   * quarter of the fast view's weight); 0 turns the slow view off.
   */
  slowSmoothingAlpha: number;
  /**
   * The novelty, as a fraction of the window's range, that maps to score 0.5 (default 0.05: a
   * value 5% of the recent range away from anything seen recently is an even-odds anomaly). Only
   * shapes the [0, 1] scale; the ranking of points does not depend on it.
   */
  noveltyScale: number;
  /** Points learned before scores are emitted (default 64); earlier points score 0. */
  warmupPoints: number;
  /**
   * Values around the nearest neighbour whose span is the local spread (default 256, 1/16 of the
   * default history): fewer than this many values near a point make its region sparse.
   */
  neighbourhoodSize: number;
  /**
   * Points after a novel point during which a point no more novel than it scores half
   * (default 192, 3/16 of the default history); 0 turns this off.
   */
  refractoryPoints: number;
}

export const DEFAULT_DETECTOR_OPTIONS: Readonly<DetectorOptions> = Object.freeze({
  historySize: 4096,
  smoothingAlpha: 0.2,
  slowSmoothingAlpha: 0.05,
  noveltyScale: 0.05,
  warmupPoints: 64,
  neighbourhoodSize: 256,
  refractoryPoints: 192,
});

/** The local spread counts twice: a value must lie beyond twice its region's spread to be novel there. */
const SPREAD_FACTOR = 2;

export const DETECTOR_SNAPSHOT_VERSION = 3;

/** JSON-serialisable state of one series' detector; at most 3 × historySize values in size. */
export interface DetectorSnapshot {
  readonly version: typeof DETECTOR_SNAPSHOT_VERSION;
  readonly options: DetectorOptions;
  /** Finite points seen so far. */
  readonly points: number;
  /** Timestamp of the last finite point (ms), or null before the first. */
  readonly lastTimestampMs: number | null;
  /** The smoothed value after the last point, or null before the first. */
  readonly smoothed: number | null;
  /** Raw values in the window, oldest first. */
  readonly values: number[];
  /** Smoothed values in the window, oldest first. */
  readonly smoothedValues: number[];
  /** The slowly smoothed value after the last point, or null before the first or with the slow view off. */
  readonly slowSmoothed: number | null;
  /** Slowly smoothed values in the window, oldest first (empty with the slow view off). */
  readonly slowSmoothedValues: number[];
  /**
   * The scores that can still set the refractory bar: how many points ago each was scored and
   * its score, oldest first (ages and scores decreasing). Absent in version 1 snapshots.
   */
  readonly recentPeaks: Array<{ age: number; score: number }>;
}

/** A snapshot written before version 3: no slow view. */
export type DetectorSnapshotV2 = Omit<DetectorSnapshot, 'version' | 'options' | 'slowSmoothed' | 'slowSmoothedValues'> & {
  readonly version: 2;
  readonly options: Omit<DetectorOptions, 'slowSmoothingAlpha'>;
};

/** A snapshot written before version 2: no recent peaks, options without the newer ones. */
export type DetectorSnapshotV1 = Omit<DetectorSnapshotV2, 'version' | 'recentPeaks' | 'options'> & {
  readonly version: 1;
  readonly options: Omit<DetectorOptions, 'neighbourhoodSize' | 'refractoryPoints' | 'slowSmoothingAlpha'>;
};

export interface SeriesDetector {
  /** Score in [0, 1] of this point, from this point and earlier ones only (no look-ahead). */
  update(timestampMs: number, value: number): number;
  /** The full state, JSON-serialisable; `restoreDetector` continues exactly from it. */
  snapshot(): DetectorSnapshot;
}

export class InvalidDetectorConfigError extends Error {
  readonly code = 'DETECTOR_INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDetectorConfigError';
  }
}

function validateOptions(o: DetectorOptions): DetectorOptions {
  const fail = (name: keyof DetectorOptions, rule: string): never => {
    throw new InvalidDetectorConfigError(`detector option ${name}=${String(o[name])}: ${rule}`);
  };
  if (!Number.isInteger(o.historySize) || o.historySize < 8 || o.historySize > 1 << 16)
    fail('historySize', 'must be an integer in [8, 65536]');
  if (!(o.smoothingAlpha > 0 && o.smoothingAlpha <= 1)) fail('smoothingAlpha', 'must be in (0, 1]');
  if (!(o.slowSmoothingAlpha >= 0 && o.slowSmoothingAlpha <= 1)) fail('slowSmoothingAlpha', 'must be in [0, 1] (0: no slow view)');
  if (!(o.noveltyScale > 0 && Number.isFinite(o.noveltyScale))) fail('noveltyScale', 'must be a positive number');
  if (!Number.isInteger(o.warmupPoints) || o.warmupPoints < 0 || o.warmupPoints > o.historySize)
    fail('warmupPoints', 'must be an integer in [0, historySize]');
  if (!Number.isInteger(o.neighbourhoodSize) || o.neighbourhoodSize < 1 || o.neighbourhoodSize > o.historySize)
    fail('neighbourhoodSize', 'must be an integer in [1, historySize]');
  if (!Number.isInteger(o.refractoryPoints) || o.refractoryPoints < 0 || o.refractoryPoints > 1 << 16)
    fail('refractoryPoints', 'must be an integer in [0, 65536]');
  return {
    historySize: o.historySize,
    smoothingAlpha: o.smoothingAlpha,
    slowSmoothingAlpha: o.slowSmoothingAlpha,
    noveltyScale: o.noveltyScale,
    warmupPoints: o.warmupPoints,
    neighbourhoodSize: o.neighbourhoodSize,
    refractoryPoints: o.refractoryPoints,
  };
}

class NoveltyDetector implements SeriesDetector {
  constructor(
    private readonly options: DetectorOptions,
    private readonly raw: ValueWindow,
    private readonly smooth: ValueWindow,
    private points: number,
    private lastTimestampMs: number | null,
    private smoothed: number | null,
    /** Recent scores before damping, for the refractory bar; null when refractoryPoints is 0. */
    private readonly peaks: SlidingMax | null,
    /** The slow view's window; null when slowSmoothingAlpha is 0. */
    private readonly slow: ValueWindow | null,
    private slowSmoothed: number | null,
  ) {}

  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value)) return 0;
    if (Number.isFinite(timestampMs)) this.lastTimestampMs = timestampMs;
    const o = this.options;
    const y = this.smoothed === null ? value : this.smoothed + o.smoothingAlpha * (value - this.smoothed);
    const z = this.slowSmoothed === null ? value : this.slowSmoothed + o.slowSmoothingAlpha * (value - this.slowSmoothed);

    let score = 0;
    if (this.raw.size >= o.warmupPoints && this.raw.size > 0) {
      const range = Math.max(this.raw.max, value) - Math.min(this.raw.min, value);
      let novelty = Math.max(this.novelty(this.raw, value, range), this.novelty(this.smooth, y, range));
      if (this.slow) novelty = Math.max(novelty, this.novelty(this.slow, z, range));
      score = this.toScore(novelty);
      if (this.peaks) {
        const bar = this.peaks.max;
        this.peaks.push(score);
        if (score <= bar) score /= 2;
      }
    }

    this.raw.push(value);
    this.smooth.push(y);
    this.smoothed = y;
    if (this.slow) {
      this.slow.push(z);
      this.slowSmoothed = z;
    }
    this.points++;
    return score;
  }

  snapshot(): DetectorSnapshot {
    return {
      version: DETECTOR_SNAPSHOT_VERSION,
      options: { ...this.options },
      points: this.points,
      lastTimestampMs: this.lastTimestampMs,
      smoothed: this.smoothed,
      values: this.raw.toArray(),
      smoothedValues: this.smooth.toArray(),
      slowSmoothed: this.slowSmoothed,
      slowSmoothedValues: this.slow ? this.slow.toArray() : [],
      recentPeaks: this.peaks ? this.peaks.entries().map(({ age, value }) => ({ age, score: value })) : [],
    };
  }

  /** Distance from x to the nearest value of the view, over the larger of the range and twice the local spread. */
  private novelty(view: ValueWindow, x: number, range: number): number {
    const distance = view.nearestDistance(x);
    if (!(distance > 0)) return 0;
    const d = distance / Math.max(range, SPREAD_FACTOR * view.spread(x, this.options.neighbourhoodSize));
    // Only reachable with values near ±1.8e308, where the range overflows: treat as maximally novel.
    return Number.isFinite(d) ? d : 1;
  }

  /** novelty d in [0, 1] mapped by d (1 + c) / (d + c): 0 -> 0, c -> ~0.5, 1 -> 1. */
  private toScore(d: number): number {
    if (!(d > 0)) return 0;
    const c = this.options.noveltyScale;
    const s = (Math.min(d, 1) * (1 + c)) / (Math.min(d, 1) + c);
    return s > 1 ? 1 : s;
  }
}

export function createDetector(options?: Partial<DetectorOptions>): SeriesDetector {
  const o = validateOptions({ ...DEFAULT_DETECTOR_OPTIONS, ...options });
  return new NoveltyDetector(
    o,
    new ValueWindow(o.historySize),
    new ValueWindow(o.historySize),
    0,
    null,
    null,
    o.refractoryPoints > 0 ? new SlidingMax(o.refractoryPoints) : null,
    o.slowSmoothingAlpha > 0 ? new ValueWindow(o.historySize) : null,
    null,
  );
}

function isFiniteArray(a: unknown, max: number): a is number[] {
  return Array.isArray(a) && a.length <= max && a.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/**
 * Rebuilds a detector from `snapshot()`; throws InvalidDetectorConfigError on a malformed snapshot.
 * An older snapshot restores as the detector it was: version 2 (before the slow view) without the
 * slow view, version 1 (before the local spread and the refractory bar) without any of the three.
 * Their options name their history size, so they keep it.
 */
export function restoreDetector(snapshot: DetectorSnapshot | DetectorSnapshotV2 | DetectorSnapshotV1): SeriesDetector {
  const s = snapshot as (Omit<Partial<DetectorSnapshot>, 'version'> & { version?: unknown }) | null;
  if (s === null || typeof s !== 'object') throw new InvalidDetectorConfigError('detector snapshot: not an object');
  if (s.version !== DETECTOR_SNAPSHOT_VERSION && s.version !== 2 && s.version !== 1)
    throw new InvalidDetectorConfigError(`detector snapshot: unsupported version ${String(s.version)}`);
  if (s.options === null || typeof s.options !== 'object') throw new InvalidDetectorConfigError('detector snapshot: options missing');
  const o = validateOptions({
    ...DEFAULT_DETECTOR_OPTIONS,
    ...(s.version === 1 ? { neighbourhoodSize: 1, refractoryPoints: 0 } : {}),
    ...(s.version !== DETECTOR_SNAPSHOT_VERSION ? { slowSmoothingAlpha: 0 } : {}),
    ...s.options,
  });
  const { points, lastTimestampMs, smoothed, values, smoothedValues } = s;
  if (typeof points !== 'number' || !Number.isInteger(points) || points < 0)
    throw new InvalidDetectorConfigError('detector snapshot: points must be a non-negative integer');
  if (lastTimestampMs !== null && !(typeof lastTimestampMs === 'number' && Number.isFinite(lastTimestampMs)))
    throw new InvalidDetectorConfigError('detector snapshot: lastTimestampMs must be a number or null');
  if (smoothed !== null && !(typeof smoothed === 'number' && Number.isFinite(smoothed)))
    throw new InvalidDetectorConfigError('detector snapshot: smoothed must be a finite number or null');
  if (!isFiniteArray(values, o.historySize) || !isFiniteArray(smoothedValues, o.historySize) || values.length !== smoothedValues.length) {
    throw new InvalidDetectorConfigError(
      `detector snapshot: values and smoothedValues must be finite arrays of equal length <= ${o.historySize}`,
    );
  }
  if ((smoothed === null) !== (values.length === 0))
    throw new InvalidDetectorConfigError('detector snapshot: smoothed must be set exactly when values are');
  let slow: ValueWindow | null = null;
  let slowSmoothed: number | null = null;
  if (o.slowSmoothingAlpha > 0) {
    const { slowSmoothed: z, slowSmoothedValues: zs } = s;
    if (!isFiniteArray(zs, o.historySize) || zs.length !== values.length)
      throw new InvalidDetectorConfigError('detector snapshot: slowSmoothedValues must be a finite array as long as values');
    if (z === undefined || (z !== null && !(typeof z === 'number' && Number.isFinite(z))) || (z === null) !== (values.length === 0))
      throw new InvalidDetectorConfigError('detector snapshot: slowSmoothed must be a finite number exactly when values are set');
    slow = ValueWindow.fromArray(o.historySize, zs);
    slowSmoothed = z;
  }
  let peaks: SlidingMax | null = null;
  if (o.refractoryPoints > 0) {
    const recent = s.recentPeaks;
    if (
      !Array.isArray(recent) ||
      !recent.every(
        (p: unknown) =>
          p !== null &&
          typeof p === 'object' &&
          typeof (p as { age?: unknown }).age === 'number' &&
          typeof (p as { score?: unknown }).score === 'number',
      )
    ) {
      throw new InvalidDetectorConfigError('detector snapshot: recentPeaks must be an array of { age, score }');
    }
    try {
      peaks = SlidingMax.fromEntries(
        o.refractoryPoints,
        recent.map(({ age, score }) => ({ age, value: score })),
      );
    } catch (error) {
      throw new InvalidDetectorConfigError(`detector snapshot: recentPeaks: ${(error as Error).message}`);
    }
  }
  return new NoveltyDetector(
    o,
    ValueWindow.fromArray(o.historySize, values),
    ValueWindow.fromArray(o.historySize, smoothedValues),
    points,
    lastTimestampMs ?? null,
    smoothed ?? null,
    peaks,
    slow,
    slowSmoothed,
  );
}

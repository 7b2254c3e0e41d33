/**
 * Netflix concurrency-limits' Gradient2Limit and WindowedLimit, written from the published Java
 * source (github.com/Netflix/concurrency-limits, concurrency-limits-core, `limit/Gradient2Limit.java`,
 * `limit/WindowedLimit.java`, `limit/window/ImmutableAverageSampleWindow.java`,
 * `limit/measurement/ExpAvgMeasurement.java`, `limit/functions/SquareRootFunction.java`) with its
 * defaults, so the bench's "adaptive" contender is the algorithm people deploy and not a variant of
 * our own. No npm port exists. Pure: no clock, no timers; the caller passes times in milliseconds.
 *
 * Per sample (rtt, inflight):
 *   longRtt  = exponential average of rtt (plain mean over the first 10 samples, then factor 2/(longWindow+1))
 *   shortRtt = rtt (of one request, or a window's mean under WindowedLimit)
 *   if longRtt / shortRtt > 2: longRtt *= 0.95          (latency recovered: let the baseline come down fast)
 *   if inflight < limit / 2: keep the limit               (app-limited: no evidence either way)
 *   gradient = max(0.5, min(1, rttTolerance * longRtt / shortRtt))
 *   newLimit = limit * gradient + queueSize
 *   limit    = clamp(minLimit, maxLimit, limit * (1 - smoothing) + newLimit * smoothing)
 */

export interface Gradient2Options {
  initialLimit: number;
  minLimit: number;
  /** `maxConcurrency` in the Java builder. */
  maxLimit: number;
  /** Weight of the new estimate per update, 0–1. */
  smoothing: number;
  /** How much the short RTT may exceed the long one before the limit shrinks (≥ 1). */
  rttTolerance: number;
  /** Samples (updates) the long-term RTT average spans. */
  longWindow: number;
  /** Growth allowed per update while latency holds: a constant, or `sqrt` = max(4, ⌊√limit⌋) (SquareRootFunction.create(4)). */
  queueSize: number | 'sqrt';
}

/** Gradient2Limit.Builder's defaults. */
export const GRADIENT2_DEFAULTS: Readonly<Gradient2Options> = {
  initialLimit: 20,
  minLimit: 20,
  maxLimit: 200,
  smoothing: 0.2,
  rttTolerance: 1.5,
  longWindow: 600,
  queueSize: 4,
};

/** ExpAvgMeasurement's warm-up: the first samples are averaged plainly. */
const LONG_RTT_WARMUP = 10;

/** A limit algorithm fed one sample per completed request (AbstractLimit.onSample). */
export interface LimitAlgorithm {
  /** The limit to enforce, an integer (the Java code truncates its estimate). */
  readonly limit: number;
  /**
   * A finished request: its start, its round-trip time, the requests in flight when it started
   * (itself included) and whether it was dropped (timed out, rejected by the upstream).
   */
  onSample(startMs: number, rttMs: number, inflight: number, didDrop: boolean): void;
}

export function validateGradient2Options(o: Gradient2Options): string[] {
  const errors: string[] = [];
  const posInt = (name: keyof Gradient2Options, v: number): void => {
    if (!Number.isInteger(v) || v < 1) errors.push(`${name}: must be an integer ≥ 1, got ${v}`);
  };
  posInt('initialLimit', o.initialLimit);
  posInt('minLimit', o.minLimit);
  posInt('maxLimit', o.maxLimit);
  posInt('longWindow', o.longWindow);
  if (o.minLimit > o.maxLimit) errors.push(`minLimit: ${o.minLimit} exceeds maxLimit ${o.maxLimit}`);
  if (!(o.smoothing > 0 && o.smoothing <= 1)) errors.push(`smoothing: must be in (0, 1], got ${o.smoothing}`);
  if (!(o.rttTolerance >= 1)) errors.push(`rttTolerance: must be ≥ 1, got ${o.rttTolerance}`);
  if (o.queueSize !== 'sqrt' && !(Number.isFinite(o.queueSize) && o.queueSize >= 0))
    errors.push(`queueSize: must be ≥ 0 or "sqrt", got ${o.queueSize}`);
  return errors;
}

export class Gradient2Limit implements LimitAlgorithm {
  private readonly options: Gradient2Options;
  private estimated: number;
  private longRttMs = 0;
  private longRttSum = 0;
  private longRttCount = 0;
  private lastRttMs = 0;

  constructor(options: Partial<Gradient2Options> = {}) {
    this.options = { ...GRADIENT2_DEFAULTS, ...options };
    const errors = validateGradient2Options(this.options);
    if (errors.length > 0) throw new RangeError(`Gradient2Limit: ${errors.join('; ')}`);
    this.estimated = this.options.initialLimit;
  }

  get limit(): number {
    return Math.trunc(this.estimated);
  }
  /** The estimate before truncation, for tests and telemetry. */
  get estimatedLimit(): number {
    return this.estimated;
  }
  get longRtt(): number {
    return this.longRttMs;
  }
  get lastRtt(): number {
    return this.lastRttMs;
  }

  /**
   * The Java `_update`: `didDrop` is accepted and, as there, not used — a drop weighs through its
   * (long) RTT only. Requests the caller classifies as "ignore" are never passed here at all.
   */
  onSample(_startMs: number, rttMs: number, inflight: number, _didDrop: boolean): void {
    if (!(Number.isFinite(rttMs) && rttMs > 0)) return;
    const { minLimit, maxLimit, smoothing, rttTolerance } = this.options;
    const queueSize = this.queueSize(Math.trunc(this.estimated));
    this.lastRttMs = rttMs;
    const shortRtt = rttMs;
    const longRtt = this.addLongRtt(rttMs);

    // After a long overload the baseline lags far above the current RTT; bring it down faster than
    // the exponential average would, so the limit can grow again.
    if (longRtt / shortRtt > 2) this.longRttMs *= 0.95;

    // App-limited: too few requests in flight to say anything about the upstream's capacity.
    if (inflight < this.estimated / 2) return;

    // Note: uses longRtt as read before the 0.95 decay, as the Java code does.
    const gradient = Math.max(0.5, Math.min(1, (rttTolerance * longRtt) / shortRtt));
    let next = this.estimated * gradient + queueSize;
    next = this.estimated * (1 - smoothing) + next * smoothing;
    this.estimated = Math.max(minLimit, Math.min(maxLimit, next));
  }

  private queueSize(limit: number): number {
    const q = this.options.queueSize;
    if (q !== 'sqrt') return q;
    return Math.max(4, Math.max(1, Math.floor(Math.sqrt(limit))));
  }

  private addLongRtt(sample: number): number {
    if (this.longRttCount < LONG_RTT_WARMUP) {
      this.longRttCount++;
      this.longRttSum += sample;
      this.longRttMs = this.longRttSum / this.longRttCount;
    } else {
      const factor = 2 / (this.options.longWindow + 1);
      this.longRttMs = this.longRttMs * (1 - factor) + sample * factor;
    }
    return this.longRttMs;
  }
}

export interface WindowOptions {
  /** Shortest and longest sampling window (the Java defaults: 1 s both). */
  minWindowMs: number;
  maxWindowMs: number;
  /** Samples a window needs before it updates the limit (default 10). */
  windowSize: number;
  /** RTTs below this are not samples (default 100 µs): answered without real work. */
  minRttThresholdMs: number;
}

export const WINDOW_DEFAULTS: Readonly<WindowOptions> = { minWindowMs: 1_000, maxWindowMs: 1_000, windowSize: 10, minRttThresholdMs: 0.1 };

/**
 * WindowedLimit over the average sample window: collects samples and, once a window has passed,
 * hands the delegate one sample — the window's mean RTT, its largest in-flight count and whether
 * any request was dropped — provided it holds at least `windowSize` samples. This is how the
 * library's README wires Gradient2 (`WindowedLimit.newBuilder().build(Gradient2Limit.newBuilder().build())`).
 */
export class WindowedLimit implements LimitAlgorithm {
  private readonly options: WindowOptions;
  private nextUpdateMs = 0;
  private minRtt = Infinity;
  private sum = 0;
  private count = 0;
  private maxInFlight = 0;
  private dropped = false;

  constructor(
    readonly delegate: LimitAlgorithm,
    options: Partial<WindowOptions> = {},
  ) {
    this.options = { ...WINDOW_DEFAULTS, ...options };
    if (!(this.options.minWindowMs > 0 && this.options.maxWindowMs >= this.options.minWindowMs))
      throw new RangeError(
        `WindowedLimit: need 0 < minWindowMs ≤ maxWindowMs, got ${this.options.minWindowMs}, ${this.options.maxWindowMs}`,
      );
    if (!(Number.isInteger(this.options.windowSize) && this.options.windowSize >= 1))
      throw new RangeError(`WindowedLimit: windowSize must be an integer ≥ 1, got ${this.options.windowSize}`);
  }

  get limit(): number {
    return this.delegate.limit;
  }

  onSample(startMs: number, rttMs: number, inflight: number, didDrop: boolean): void {
    if (!(Number.isFinite(rttMs) && rttMs >= this.options.minRttThresholdMs)) return;
    const endMs = startMs + rttMs;
    this.minRtt = Math.min(this.minRtt, rttMs);
    this.sum += rttMs;
    this.count++;
    this.maxInFlight = Math.max(this.maxInFlight, inflight);
    this.dropped ||= didDrop;
    if (endMs <= this.nextUpdateMs) return;
    const { minRtt, sum, count, maxInFlight, dropped } = this;
    this.minRtt = Infinity;
    this.sum = 0;
    this.count = 0;
    this.maxInFlight = 0;
    this.dropped = false;
    this.nextUpdateMs = endMs + Math.min(Math.max(minRtt * 2, this.options.minWindowMs), this.options.maxWindowMs);
    if (count >= this.options.windowSize) this.delegate.onSample(startMs, sum / count, maxInFlight, dropped);
  }
}

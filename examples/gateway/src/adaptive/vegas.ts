import type { LimitAlgorithm } from './gradient2';

/**
 * Netflix concurrency-limits' VegasLimit, written from the published Java source
 * (`limit/VegasLimit.java`, `limit/functions/Log10RootFunction.java`) with its defaults. TCP Vegas
 * applied to requests: the queue at the bottleneck is estimated as
 *   queue = ⌈limit × (1 − rttNoLoad / rtt)⌉
 * where rttNoLoad is the smallest RTT seen (re-probed every ~probeMultiplier × limit samples, with
 * jitter, so it can follow a slower upstream); then, with log = log10-ish of the limit,
 *   dropped            → limit − log
 *   in flight × 2 < limit → unchanged (app-limited)
 *   queue ≤ log        → limit + 6·log   (no queueing: grow fast)
 *   queue < 3·log      → limit + log
 *   queue > 6·log      → limit − log     (queueing: shrink)
 *   otherwise          → unchanged
 * clamped to [1, maxLimit] and smoothed: limit × (1 − smoothing) + new × smoothing. Unlike
 * Gradient2 it uses the dropped flag.
 */
export interface VegasOptions {
  initialLimit: number;
  /** `maxConcurrency`. */
  maxLimit: number;
  smoothing: number;
  probeMultiplier: number;
}

export const VEGAS_DEFAULTS: Readonly<VegasOptions> = { initialLimit: 20, maxLimit: 1_000, smoothing: 1, probeMultiplier: 30 };

/**
 * Log10RootFunction.create(0): max(1, ⌊log10 n⌋) below 1000 — and, as published, ⌊√n⌋ from 1000 on
 * (the library's lookup table ends there and falls back to a square root; kept, since the peer is
 * the published code).
 */
export function log10Root(n: number): number {
  return n < 1_000 ? Math.max(1, Math.floor(Math.log10(n))) : Math.floor(Math.sqrt(n));
}

export class VegasLimit implements LimitAlgorithm {
  private readonly options: VegasOptions;
  private estimated: number;
  private rttNoLoadMs = 0;
  private probeCount = 0;
  private probeJitter = 0;

  constructor(
    options: Partial<VegasOptions> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...VEGAS_DEFAULTS, ...options };
    const { initialLimit, maxLimit, smoothing, probeMultiplier } = this.options;
    const errors: string[] = [];
    if (!(Number.isInteger(initialLimit) && initialLimit >= 1)) errors.push(`initialLimit: must be an integer ≥ 1, got ${initialLimit}`);
    if (!(Number.isInteger(maxLimit) && maxLimit >= 1)) errors.push(`maxLimit: must be an integer ≥ 1, got ${maxLimit}`);
    if (!(smoothing > 0 && smoothing <= 1)) errors.push(`smoothing: must be in (0, 1], got ${smoothing}`);
    if (!(Number.isInteger(probeMultiplier) && probeMultiplier >= 1))
      errors.push(`probeMultiplier: must be an integer ≥ 1, got ${probeMultiplier}`);
    if (errors.length > 0) throw new RangeError(`VegasLimit: ${errors.join('; ')}`);
    this.estimated = initialLimit;
    this.resetProbeJitter();
  }

  get limit(): number {
    return Math.trunc(this.estimated);
  }
  get estimatedLimit(): number {
    return this.estimated;
  }
  get rttNoLoad(): number {
    return this.rttNoLoadMs;
  }

  onSample(_startMs: number, rttMs: number, inflight: number, didDrop: boolean): void {
    // The Java code throws on rtt ≤ 0; a limiter in a gateway skips the sample instead.
    if (!(Number.isFinite(rttMs) && rttMs > 0)) return;
    this.probeCount++;
    if (this.probeJitter * this.options.probeMultiplier * this.estimated <= this.probeCount) {
      // Re-probe the no-load RTT now and then, so a permanently slower upstream is not read as queueing forever.
      this.resetProbeJitter();
      this.probeCount = 0;
      this.rttNoLoadMs = rttMs;
      return;
    }
    if (this.rttNoLoadMs === 0 || rttMs < this.rttNoLoadMs) {
      this.rttNoLoadMs = rttMs;
      return;
    }
    this.update(rttMs, inflight, didDrop);
  }

  private update(rttMs: number, inflight: number, didDrop: boolean): void {
    const est = this.estimated;
    const log = log10Root(Math.trunc(est));
    const queueSize = Math.ceil(est * (1 - this.rttNoLoadMs / rttMs));
    let next: number;
    if (didDrop) next = est - log;
    else if (inflight * 2 < est) return;
    else if (queueSize <= log) next = est + 6 * log;
    else if (queueSize < 3 * log) next = est + log;
    else if (queueSize > 6 * log) next = est - log;
    else return;
    next = Math.max(1, Math.min(this.options.maxLimit, next));
    this.estimated = (1 - this.options.smoothing) * est + this.options.smoothing * next;
  }

  /** ThreadLocalRandom.nextDouble(0.5, 1). */
  private resetProbeJitter(): void {
    this.probeJitter = 0.5 + 0.5 * this.random();
  }
}

import type { RetryPolicy } from '../config/shop-config.schema';

const MAX_BACKOFF_MS = 5_000;

/**
 * Exponential backoff with jitter: base × 2^(retry-1), plus up to half of that again, so a retry
 * never comes sooner than the policy says (a blip shorter than the backoff is stepped over).
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  if (policy.backoffMs === 0) return 0;
  const full = Math.min(MAX_BACKOFF_MS, policy.backoffMs * 2 ** Math.max(0, retry - 1));
  return Math.round(full * (1 + random() * 0.5));
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * A retry budget over a sliding window: retries may be at most `ratio` of the calls made in the
 * window (the Finagle/Envoy idea), so retries can never multiply the load on a struggling
 * dependency by more than 1 + ratio. A null ratio is no budget at all.
 */
export class RetryBudget {
  private readonly calls: number[];
  private readonly retries: number[];
  private bucketStart = 0;
  private head = 0;

  constructor(
    private readonly windowSeconds = 10,
    private readonly now: () => number = Date.now,
  ) {
    this.calls = new Array<number>(windowSeconds).fill(0);
    this.retries = new Array<number>(windowSeconds).fill(0);
  }

  recordCall(): void {
    this.advance();
    this.calls[this.head] = (this.calls[this.head] ?? 0) + 1;
  }

  /** Takes one retry from the budget if there is room for it. */
  tryRetry(ratio: number | null): boolean {
    this.advance();
    if (ratio !== null) {
      const calls = this.calls.reduce((a, b) => a + b, 0);
      const retries = this.retries.reduce((a, b) => a + b, 0);
      if (retries + 1 > ratio * calls) return false;
    }
    this.retries[this.head] = (this.retries[this.head] ?? 0) + 1;
    return true;
  }

  private advance(): void {
    const second = Math.floor(this.now() / 1_000);
    if (this.bucketStart === 0) this.bucketStart = second;
    const steps = Math.min(this.windowSeconds, second - this.bucketStart);
    for (let i = 0; i < steps; i++) {
      this.head = (this.head + 1) % this.windowSeconds;
      this.calls[this.head] = 0;
      this.retries[this.head] = 0;
    }
    if (steps > 0) this.bucketStart = second;
  }
}

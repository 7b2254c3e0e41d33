import type { RetryConfig } from '../config/gateway-config.schema';

const WINDOW_MS = 10_000;
const BUCKET_MS = 1_000;

/**
 * A retry budget in the style of Finagle's and Envoy's: over a sliding 10 s window, retries may be at
 * most `budgetRatio` of the requests plus `minRetriesPerS` per second. Under an error burst every
 * request would otherwise retry `maxAttempts - 1` times, multiplying the load on the very upstream
 * that is failing (a retry storm); with a budget of 0.2 the load grows by at most 20 %.
 */
export class RetryBudget {
  private readonly requests = new Map<number, number>();
  private readonly retries = new Map<number, number>();

  constructor(
    private config: Pick<RetryConfig, 'budgetRatio' | 'minRetriesPerS'>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  reconfigure(config: Pick<RetryConfig, 'budgetRatio' | 'minRetriesPerS'>): void {
    this.config = config;
  }

  recordRequest(): void {
    this.add(this.requests);
  }

  /** Takes one retry from the budget; false when it is spent (the caller gives up). */
  tryWithdraw(): boolean {
    if (this.config.budgetRatio === null) {
      this.add(this.retries);
      return true;
    }
    const allowed = this.config.budgetRatio * this.sum(this.requests) + (this.config.minRetriesPerS * WINDOW_MS) / 1_000;
    if (this.sum(this.retries) + 1 > allowed) return false;
    this.add(this.retries);
    return true;
  }

  private add(series: Map<number, number>): void {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    series.set(bucket, (series.get(bucket) ?? 0) + 1);
  }

  private sum(series: Map<number, number>): number {
    const oldest = Math.floor((this.now() - WINDOW_MS) / BUCKET_MS) + 1;
    let total = 0;
    for (const [bucket, count] of series) {
      if (bucket < oldest) series.delete(bucket);
      else total += count;
    }
    return total;
  }
}

/** Exponential backoff with full jitter (AWS architecture blog, 2015): uniform in [0, min(cap, base·2^(retry-1))]. */
export function backoffMs(
  config: Pick<RetryConfig, 'backoffMs' | 'maxBackoffMs'>,
  retry: number,
  random: () => number = Math.random,
): number {
  if (config.backoffMs === 0) return 0;
  const ceiling = Math.min(config.maxBackoffMs, config.backoffMs * 2 ** (retry - 1));
  return Math.round(random() * ceiling);
}

/** The outcome of one attempt, as far as retrying is concerned. */
export type AttemptOutcome = { kind: 'response'; status: number } | { kind: 'error'; code: string };

/**
 * Whether an attempt failed in a way another attempt may fix: the upstream could not be reached,
 * timed out, or answered 502/503/504. A 500 is an answer (the request itself may be what fails);
 * a 4xx always is.
 */
export function isRetryable(outcome: AttemptOutcome): boolean {
  if (outcome.kind === 'error') return true;
  return outcome.status === 502 || outcome.status === 503 || outcome.status === 504;
}

export type RetryDecision =
  { retry: true; delayMs: number } | { retry: false; reason: 'not-idempotent' | 'not-retryable' | 'attempts' | 'budget' };

/**
 * Whether to try again after attempt number `attempt` (1-based). Only a route whose intent says it
 * is idempotent is ever retried, whatever its retry config says: the schema refuses such a config,
 * and this check holds even if one got through.
 */
export function decideRetry(
  route: { idempotent: boolean; retry: RetryConfig },
  attempt: number,
  outcome: AttemptOutcome,
  budget: RetryBudget,
  random: () => number = Math.random,
): RetryDecision {
  if (!isRetryable(outcome)) return { retry: false, reason: 'not-retryable' };
  if (!route.idempotent) return { retry: false, reason: 'not-idempotent' };
  if (attempt >= route.retry.maxAttempts) return { retry: false, reason: 'attempts' };
  if (!budget.tryWithdraw()) return { retry: false, reason: 'budget' };
  return { retry: true, delayMs: backoffMs(route.retry, attempt, random) };
}

import { BusError, type BusErrorCode } from './errors';

/** Errors that say the bus cannot take messages at all (as against one message refused, or back-pressure). */
const UNAVAILABLE: readonly BusErrorCode[] = ['PUBLISH_FAILED', 'NOT_STARTED', 'BUS_CLOSED'];

export interface PublishHealthStatus {
  ok: boolean;
  detail: {
    reason?: string;
    /** The first failure of the current run of failures. */
    failingSince?: string;
    lastFailureAt?: string;
    failures?: number;
    lastSuccessAt?: string;
  };
}

/**
 * Whether the bus takes what a publisher sends, as the publisher's own attempts show it: failing
 * from the first publish refused for unavailability until one succeeds. It never probes the
 * broker; it only reads the outcomes of the publishes that happen anyway.
 *
 * Not ready while failing, but only for `holdMs` after the last failure: readiness that stays
 * 503 until a publish succeeds would never see one once a load balancer has taken the instance
 * out of rotation. After `holdMs` without a new failure it reads ready again (half-open, like a
 * circuit breaker), still naming the failure; the next publish either clears it or renews it.
 * Back-pressure (429) and a message too large are not unavailability: they are about one request.
 */
export class PublishHealth {
  private failingSinceMs: number | undefined;
  private lastFailureMs: number | undefined;
  private lastSuccessMs: number | undefined;
  private reason: string | undefined;
  private failures = 0;

  constructor(private readonly options: { holdMs: number; now?: () => number }) {}

  succeeded(): void {
    this.lastSuccessMs = this.now();
    this.failingSinceMs = undefined;
    this.lastFailureMs = undefined;
    this.reason = undefined;
    this.failures = 0;
  }

  /** Counts `error` when it says the bus is unavailable; other errors say nothing about the bus. */
  failed(error: unknown): void {
    if (!(error instanceof BusError) || !UNAVAILABLE.includes(error.code)) return;
    const now = this.now();
    this.failingSinceMs ??= now;
    this.lastFailureMs = now;
    this.reason = `${error.code}: ${error.message}`;
    this.failures++;
  }

  status(): PublishHealthStatus {
    const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
    const lastSuccessAt = iso(this.lastSuccessMs);
    if (this.lastFailureMs === undefined) return { ok: true, detail: lastSuccessAt ? { lastSuccessAt } : {} };
    const held = this.now() - this.lastFailureMs < this.options.holdMs;
    return {
      ok: !held,
      detail: {
        reason: held
          ? `publishing fails: ${this.reason}`
          : `publishing failed ${this.options.holdMs} ms ago or more (${this.reason}); ready again until the next publish says otherwise`,
        failingSince: iso(this.failingSinceMs),
        lastFailureAt: iso(this.lastFailureMs),
        failures: this.failures,
        ...(lastSuccessAt ? { lastSuccessAt } : {}),
      },
    };
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/** Why a request was shed instead of sent upstream. */
export type ShedReason = 'queue_full' | 'queue_timeout';

export class ShedError extends Error {
  readonly code = 'SHED';
  constructor(
    readonly upstream: string,
    readonly reason: ShedReason,
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
}

/**
 * A concurrency limit with a bounded FIFO queue in front of one upstream: at most `limit` requests
 * in flight; the next `queueLimit` wait for a slot (each at most `queueTimeoutMs`); one more is shed
 * at once. Shedding early keeps an overloaded upstream's queue (and every caller's latency) short
 * instead of letting it grow until everything times out.
 */
export class ConcurrencyLimiter {
  private inFlight = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly upstream: string,
    private limit: number,
    private queueLimit: number,
    private queueTimeoutMs: number,
  ) {}

  get inUse(): number {
    return this.inFlight;
  }
  get queued(): number {
    return this.queue.length;
  }
  get currentLimit(): number {
    return this.limit;
  }

  /** Resolves with a release function once a slot is held; rejects with ShedError. */
  acquire(): Promise<() => void> {
    if (this.inFlight < this.limit && this.queue.length === 0) {
      this.inFlight++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.queueLimit) {
      return Promise.reject(
        new ShedError(
          this.upstream,
          'queue_full',
          `upstream ${this.upstream}: ${this.inFlight} in flight (limit ${this.limit}) and ${this.queue.length} queued (queue limit ${this.queueLimit})`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(this.releaser());
        },
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(
            new ShedError(
              this.upstream,
              'queue_timeout',
              `upstream ${this.upstream}: no slot within ${this.queueTimeoutMs} ms (limit ${this.limit})`,
            ),
          );
        }, this.queueTimeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  /** A new config: a raised limit admits waiting requests at once; a lowered one takes effect as requests finish. */
  reconfigure(limit: number, queueLimit: number, queueTimeoutMs: number): void {
    this.limit = limit;
    this.queueLimit = queueLimit;
    this.queueTimeoutMs = queueTimeoutMs;
    this.drain();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.inFlight < this.limit && this.queue.length > 0) {
      const next = this.queue.shift();
      if (!next) break;
      this.inFlight++;
      next.grant();
    }
  }
}

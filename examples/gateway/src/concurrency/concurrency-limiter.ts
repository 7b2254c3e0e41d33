import type { LimitAlgorithm } from '../adaptive/gradient2';

/**
 * How a request held under the limit ended, for an adaptive limit (the listener contract of Netflix
 * concurrency-limits): `success` and `dropped` (timed out, refused by an overloaded upstream) feed
 * the algorithm a latency sample; `ignore` (a failure that says nothing about load, e.g. a refused
 * connection or a 500) feeds none.
 */
export type SampleOutcome = 'success' | 'dropped' | 'ignore';
export type Release = (outcome?: SampleOutcome) => void;

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
 *
 * The limit is fixed, or set by an adaptive algorithm (`setAlgorithm`): each released request then
 * reports its time in flight (from the slot being granted, so time spent queued here is not counted,
 * as in the Java library's listener), and the limit follows the algorithm's.
 */
export class ConcurrencyLimiter {
  private inFlight = 0;
  private readonly queue: Waiter[] = [];
  private fixedLimit: number;
  private algorithm: LimitAlgorithm | null = null;

  constructor(
    readonly upstream: string,
    limit: number,
    private queueLimit: number,
    private queueTimeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.fixedLimit = limit;
  }

  private get limit(): number {
    return this.algorithm ? this.algorithm.limit : this.fixedLimit;
  }

  get inUse(): number {
    return this.inFlight;
  }
  get queued(): number {
    return this.queue.length;
  }
  get currentLimit(): number {
    return this.limit;
  }

  /** The adaptive algorithm in use, if any. */
  get adaptive(): LimitAlgorithm | null {
    return this.algorithm;
  }

  /** Resolves with a release function once a slot is held; rejects with ShedError. */
  acquire(): Promise<Release> {
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

  /**
   * A new config: a raised limit admits waiting requests at once; a lowered one takes effect as
   * requests finish. `limit` is used while no adaptive algorithm is set.
   */
  reconfigure(limit: number, queueLimit: number, queueTimeoutMs: number): void {
    this.fixedLimit = limit;
    this.queueLimit = queueLimit;
    this.queueTimeoutMs = queueTimeoutMs;
    this.drain();
  }

  /** An adaptive algorithm sets the limit from now on; null: back to the fixed limit. */
  setAlgorithm(algorithm: LimitAlgorithm | null): void {
    this.algorithm = algorithm;
    this.drain();
  }

  /** Called right after `inFlight++`: the sample's in-flight count includes the request itself. */
  private releaser(): Release {
    let released = false;
    const startMs = this.now();
    const inflightAtStart = this.inFlight;
    const algorithm = this.algorithm;
    return (outcome: SampleOutcome = 'success') => {
      if (released) return;
      released = true;
      this.inFlight--;
      // A sample goes to the algorithm that admitted the request; after a reconfigure it is stale.
      if (algorithm && algorithm === this.algorithm && outcome !== 'ignore') {
        algorithm.onSample(startMs, this.now() - startMs, inflightAtStart, outcome === 'dropped');
      }
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

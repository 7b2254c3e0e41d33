import { MemoryIdempotencyStore, type Bus, type Subscription } from '@homeostat/bus';
import type { AnyEnvelope, EventData } from '@homeostat/contracts';

type Opened = EventData<'homeostat.incident.opened.v1'>;
type Resolved = EventData<'homeostat.incident.resolved.v1'>;
type Started = EventData<'homeostat.action.started.v1'>;
type Outcome = EventData<'homeostat.outcome.recorded.v1'>;
type Decision = EventData<'homeostat.decision.made.v1'>;

export interface Seen<T> {
  /** The envelope's time (when the stage published it), ms since the epoch. */
  at: number;
  data: T;
}

/**
 * Follows the loop the way a person would: every incident, decision, action and outcome as the
 * stages publish them, on a consumer group of its own (the stages are not affected).
 */
export class LoopObserver {
  readonly opened: Seen<Opened>[] = [];
  readonly resolved: Seen<Resolved>[] = [];
  readonly decisions: Seen<Decision>[] = [];
  readonly started: Seen<Started>[] = [];
  readonly outcomes: Seen<Outcome>[] = [];
  private subscription: Subscription | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly loop: string) {}

  async start(bus: Bus): Promise<void> {
    this.subscription = await bus.subscribe({
      decode: 'event',
      group: `demo-observer-${process.pid}`,
      topics: ['loop.incidents', 'loop.decisions', 'loop.outcomes'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      fromBeginning: false,
      handler: (event) => {
        this.record(event);
        return Promise.resolve();
      },
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
  }

  /** Incidents of the loop opened and not yet resolved. */
  openIncidents(): Opened[] {
    const done = new Set(this.resolved.map((r) => r.data.incidentId));
    return this.opened.filter((o) => !done.has(o.data.incidentId)).map((o) => o.data);
  }

  /** Resolves with the predicate's first non-undefined value, re-checked after every event; undefined after the timeout. */
  until<T>(predicate: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = predicate();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = (): void => {
        const value = predicate();
        if (value === undefined) return;
        finish(value);
      };
      const finish = (value: T | undefined): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.waiters.add(check);
    });
  }

  private record(event: AnyEnvelope): void {
    const at = Date.parse(event.time);
    const data = event.data as { loop?: string };
    if (data.loop !== undefined && data.loop !== this.loop) return;
    switch (event.type) {
      case 'homeostat.incident.opened.v1':
        this.opened.push({ at, data: event.data as Opened });
        break;
      case 'homeostat.incident.resolved.v1':
        this.resolved.push({ at, data: event.data as Resolved });
        break;
      case 'homeostat.decision.made.v1':
        this.decisions.push({ at, data: event.data as Decision });
        break;
      case 'homeostat.action.started.v1':
        this.started.push({ at, data: event.data as Started });
        break;
      case 'homeostat.outcome.recorded.v1':
        this.outcomes.push({ at, data: event.data as Outcome });
        break;
      default:
        return;
    }
    for (const check of [...this.waiters]) check();
  }
}

import type { AnyEnvelope } from '@homeostat/contracts';
import type { ComponentLogger } from '@homeostat/telemetry';
import { rmSync } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { BINARY_HEADERS, deliveredEvent, encodeCheckedEvent, itemsOf } from '../codec';
import { BusError } from '../errors';
import { MessageProcessor, consumerStatsOf } from '../processor';
import type {
  Bus,
  CheckedEvent,
  BusHealth,
  ConsumerStats,
  PublishBatchOptions,
  PublishOptions,
  RawMessage,
  SubscribeOptions,
  Subscription,
} from '../types';

export interface InProcessBusOptions {
  /** Messages waiting per subscription before publish() refuses with BACKPRESSURE. */
  queueLimit: number;
  /**
   * Items (spans, metric data points, log records; 1 for any other event) waiting or in a
   * handler per subscription before publish() refuses with BACKPRESSURE: what bounds memory,
   * since one message may carry one span or thousands. Unbounded when absent.
   */
  itemLimit?: number;
  /**
   * Where a subscription that closes with messages still waiting writes them (one file per
   * consumer group), and where a subscription of that group finds them again at start, to be
   * handled before anything new: what was acknowledged to a publisher is not lost by a stop.
   * Without it, close() handles everything that waits, however long that takes.
   */
  spoolDir?: string;
  /** With a spool: how long close() goes on handling what waits before it spools the rest. Default 5000. */
  drainMs?: number;
  logger: ComponentLogger;
  /** Dead letters kept in memory for inspection when no subscription reads the DLQ topic. */
  deadLetterRetention?: number;
}

/**
 * The embedded mode's bus: the same contracts, handler pipeline, retries, dead-lettering and
 * idempotency as on Kafka, without a broker. Each subscription has its own FIFO queue and one
 * worker, so a group sees messages in publish order (save its `unordered` topics, see
 * SubscribeOptions). Like a topic with no consumer group, a message published where nobody
 * subscribes is not kept (dead letters excepted, for inspection).
 */
export class InProcessBus implements Bus {
  readonly transport = 'in-process' as const;
  private readonly subscriptions = new Set<InProcessSubscription>();
  private started = false;
  private closed = false;
  private offsets = new Map<string, number>();
  readonly deadLetters: RawMessage[] = [];
  undelivered = 0;

  constructor(private readonly options: InProcessBusOptions) {}

  start(): Promise<void> {
    this.started = true;
    return Promise.resolve();
  }

  async publish(topic: string, event: AnyEnvelope, options?: PublishOptions): Promise<void> {
    const encoded = encodeCheckedEvent(topic, event, options);
    const items = itemsOf(encoded.event);
    this.assertCanAccept(topic, 1, items);
    this.deliver(encoded.message, items, encoded.event);
    return Promise.resolve();
  }

  async publishBatch(topic: string, events: readonly AnyEnvelope[], options: PublishBatchOptions = {}): Promise<void> {
    const { release, ...publish } = options;
    // Held by this call until every event is handed over, then by each subscription that got
    // the published bytes themselves until it has processed its message.
    const lease = release ? new Lease(release) : undefined;
    try {
      const encoded = events.map((e) => encodeCheckedEvent(topic, e, publish));
      const items = encoded.map((e) => itemsOf(e.event));
      this.assertCanAccept(
        topic,
        encoded.length,
        items.reduce((a, b) => a + b, 0),
      );
      encoded.forEach((e, i) => this.deliver(e.message, items[i] ?? 1, e.event, lease));
    } finally {
      lease?.done();
    }
    return Promise.resolve();
  }

  publishRaw(message: Omit<RawMessage, 'partition' | 'offset'>): Promise<void> {
    try {
      this.assertCanAccept(message.topic, 1, 1);
    } catch (e) {
      return Promise.reject(e);
    }
    this.deliver(message, 1);
    return Promise.resolve();
  }

  private assertCanAccept(topic: string, count: number, items: number): void {
    if (!this.started) throw new BusError('NOT_STARTED', 'the in-process bus is not started', true);
    if (this.closed) throw new BusError('BUS_CLOSED', 'the in-process bus is closed', true);
    const itemLimit = this.options.itemLimit ?? Infinity;
    for (const s of this.subscriptions) {
      if (!s.wants(topic)) continue;
      if (s.queued + count > this.options.queueLimit) {
        throw new BusError(
          'BACKPRESSURE',
          `consumer group ${s.group} has ${s.queued} messages waiting on ${topic} (limit ${this.options.queueLimit})`,
          true,
        );
      }
      // An empty queue takes any one publish, so a request larger than the limit is not refused for ever.
      if (s.items > 0 && s.items + items > itemLimit) {
        throw new BusError(
          'BACKPRESSURE',
          `consumer group ${s.group} has ${s.items} items waiting or in hand (limit ${itemLimit}); ${items} more on ${topic} refused`,
          true,
        );
      }
    }
  }

  /**
   * `checked`: the event as encodeCheckedEvent checked it. An event subscription gets it (with
   * its own bytes) instead of decoding and checking the message again; see deliveredEvent.
   */
  private deliver(message: Omit<RawMessage, 'partition' | 'offset'>, items: number, checked?: AnyEnvelope, lease?: Lease): void {
    // Published bytes belong to the bus, as a record handed to a Kafka producer does (the JSON
    // of an event is made for it; an OTLP payload is the request body, which the collector no
    // longer touches). So one consumer gets them as they are, and each further one a copy of
    // its own: no consumer can see another one's mutations, and the one-consumer case (a
    // 370 KiB OTLP request, say) costs no copy at all. When the bytes are leased (reused by
    // the publisher once released), the consumer that got them holds the lease until it is done.
    const offset = this.offsets.get(message.topic) ?? 0;
    this.offsets.set(message.topic, offset + 1);
    let owned = true;
    const delivered = (): RawMessage => {
      const value = owned ? message.value : Buffer.from(message.value);
      owned = false;
      return { topic: message.topic, key: message.key, value, headers: { ...message.headers }, partition: 0, offset: String(offset) };
    };
    let taken = false;
    for (const s of this.subscriptions) {
      if (s.wants(message.topic)) {
        const held = owned ? lease : undefined;
        const m = delivered();
        held?.hold();
        s.enqueue({ message: m, items, event: checked && deliveredEvent(checked, m.value), lease: held });
        taken = true;
      }
    }
    if (!taken && message.topic.endsWith('.dlq')) {
      // Kept for inspection with no end in sight: never leased bytes, which will be reused.
      if (lease) owned = false;
      this.deadLetters.push(delivered());
      if (this.deadLetters.length > (this.options.deadLetterRetention ?? 1000)) this.deadLetters.shift();
    } else if (!taken) {
      this.undelivered++;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'the in-process bus is closed', false);
    const processor = new MessageProcessor(options, {
      publishRaw: (m) => this.publishRaw(m),
      logger: this.options.logger,
      transport: 'in-process',
    });
    const spool = this.options.spoolDir ? new Spool(this.options.spoolDir, options.group) : undefined;
    const subscription = new InProcessSubscription(options, processor, this.options.logger, spool, this.options.drainMs ?? 5000, () =>
      this.subscriptions.delete(subscription),
    );
    // What a previous run of this group spooled comes first, before anything published from now on.
    const spooled = spool ? await spool.read() : [];
    if (spooled.length > 0) {
      this.options.logger.info('replaying spooled messages', { group: options.group, messages: spooled.length });
      subscription.replay(spooled);
    }
    this.subscriptions.add(subscription);
    return subscription;
  }

  health(): BusHealth {
    const queues: Record<string, number> = {};
    for (const s of this.subscriptions) queues[s.group] = s.queued;
    return {
      ok: this.started && !this.closed,
      transport: 'in-process',
      detail: { queues, undelivered: this.undelivered, deadLetters: this.deadLetters.length },
    };
  }

  stats(): Promise<ConsumerStats[]> {
    return Promise.resolve([...this.subscriptions].map((s) => s.stats()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Subscriptions drain first: a handler may still publish to another stage while closing.
    for (const s of [...this.subscriptions]) await s.close();
    this.closed = true;
  }
}

/** Calls `release` once every holder of some published bytes has let go of them; the publisher holds it first. */
class Lease {
  private holders = 1;

  constructor(private readonly release: () => void) {}

  hold(): void {
    this.holders++;
  }

  done(): void {
    if (--this.holders === 0) this.release();
  }
}

interface Queued {
  message: RawMessage;
  items: number;
  event: CheckedEvent | undefined;
  /** Let go of once the message is handled (or spooled): published bytes' lease, a replayed spool's count. */
  lease: { done(): void } | undefined;
}

class InProcessSubscription implements Subscription {
  private readonly queue: Queued[] = [];
  private draining: Promise<void> | undefined;
  /** Messages in a handler now, per topic (they count in the lag). */
  private readonly handling = new Map<string, number>();
  /** Messages in a handler now, all topics. */
  private inFlight = 0;
  /** Resolves the worker's wait for a handler to finish when something new is queued. */
  private wake: (() => void) | undefined;
  private closing = false;
  /** Set when close() stops handling what waits, to spool it. */
  private stopped = false;
  /** Items waiting or in a handler (bounded by InProcessBusOptions.itemLimit). */
  items = 0;
  /** Spooled messages replayed at start and not yet handled; the spool file goes once they are. */
  private replaying = 0;
  readonly group: string;
  private readonly topics: Set<string>;
  private readonly unordered: ReadonlySet<string>;
  private readonly maxInFlight: number;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly processor: MessageProcessor,
    private readonly logger: ComponentLogger,
    private readonly spool: Spool | undefined,
    private readonly drainMs: number,
    private readonly onClosed: () => void,
  ) {
    this.group = options.group;
    this.topics = new Set(options.topics);
    this.unordered = new Set(options.unordered?.topics ?? []);
    this.maxInFlight = Math.max(1, options.unordered?.maxInFlight ?? 1);
  }

  wants(topic: string): boolean {
    return !this.closing && this.topics.has(topic);
  }

  get queued(): number {
    return this.queue.length;
  }

  isReady(): boolean {
    return !this.closing;
  }

  /** Counted when Prometheus scrapes: a pass over the queue (at most the queue limit). */
  stats(): ConsumerStats {
    const queued = new Map<string, number>([...this.topics].map((t) => [t, 0]));
    for (const { message } of this.queue) queued.set(message.topic, (queued.get(message.topic) ?? 0) + 1);
    const topics = [...queued].map(([topic, n]) => ({ topic, queued: n, lag: n + (this.handling.get(topic) ?? 0) }));
    return consumerStatsOf(this.group, this.processor, topics);
  }

  enqueue(entry: Queued): void {
    this.queue.push(entry);
    this.items += entry.items;
    this.wake?.();
    this.draining ??= this.drain();
  }

  /** Messages a previous run spooled: queued first, and the spool file removed once all are handled. */
  replay(messages: RawMessage[]): void {
    this.replaying = messages.length;
    for (const message of messages) {
      const done = (): void => {
        if (--this.replaying === 0) this.spool?.remove();
      };
      // A binary-mode record says its items in a header; a structured one counts one.
      const items = Number(message.headers[BINARY_HEADERS.items] ?? 1);
      this.enqueue({ message, items: Number.isSafeInteger(items) && items > 0 ? items : 1, event: undefined, lease: { done } });
    }
  }

  private async drain(): Promise<void> {
    // Yield first, so publish() returns before any handler runs, as with a broker.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      for (;;) {
        const next = this.stopped ? undefined : this.queue[0];
        if (next === undefined || (this.inFlight > 0 && !this.canJoin(next))) {
          if (this.inFlight === 0) break;
          // Until a handler finishes or something new is queued (one waiter, woken by either).
          await new Promise<void>((resolve) => {
            this.wake = () => {
              this.wake = undefined;
              resolve();
            };
          });
          continue;
        }
        this.queue.shift();
        this.inFlight++;
        void this.handle(next).finally(() => {
          this.inFlight--;
          this.wake?.();
        });
      }
    } finally {
      this.draining = undefined;
    }
  }

  /** Whether `next` may start while others are in a handler: an unordered topic's, with room in the window. */
  private canJoin(next: Queued): boolean {
    return this.inFlight < this.maxInFlight && this.unordered.has(next.message.topic) && this.allInFlightUnordered();
  }

  private allInFlightUnordered(): boolean {
    for (const [topic, n] of this.handling) if (n > 0 && !this.unordered.has(topic)) return false;
    return true;
  }

  private async handle({ message, items, event, lease }: Queued): Promise<void> {
    const topic = message.topic;
    this.handling.set(topic, (this.handling.get(topic) ?? 0) + 1);
    for (;;) {
      try {
        const outcome = await this.processor.process(message, event);
        await this.options.hooks?.beforeCommit?.(message, outcome);
        break;
      } catch (error) {
        // The bus itself failed (dead-letter publish or idempotency store): keep the
        // message, wait, and deliver it again, as Kafka would from the last commit.
        this.logger.error('delivery failed, redelivering', { group: this.group, topic, error: String(error) });
        await new Promise<void>((resolve) => setTimeout(resolve, 500));
      }
    }
    this.handling.set(topic, (this.handling.get(topic) ?? 1) - 1);
    this.items -= items;
    lease?.done();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.spool) {
      // Handle what waits for a while; then let the handlers in flight finish and spool the
      // rest, which the group's next subscription replays first (its ids already handled are
      // skipped by the idempotency store, as after a Kafka restart).
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.drainMs).unref());
      while (this.draining && !this.stopped) await Promise.race([this.draining, deadline.then(() => void (this.stopped = true))]);
      while (this.draining) await this.draining;
      const rest = this.queue.splice(0);
      if (rest.length > 0) {
        await this.spool.write(rest.map((q) => q.message));
        this.logger.info('spooled the messages still waiting', { group: this.group, messages: rest.length });
        for (const q of rest) {
          this.items -= q.items;
          q.lease?.done();
        }
      }
    } else {
      while (this.draining) await this.draining;
    }
    this.onClosed();
  }
}

/**
 * A consumer group's messages left waiting at close, on disk until the group subscribes again:
 * one JSON line per message (topic, key, headers, the bytes in base64), written to a temporary
 * file, synced and renamed over the group's file, so a stop leaves the old file or the new one.
 */
class Spool {
  private readonly path: string;

  constructor(
    private readonly dir: string,
    group: string,
  ) {
    this.path = join(dir, `${group.replace(/[^A-Za-z0-9_.-]/g, '_')}.spool`);
  }

  async read(): Promise<RawMessage[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        const m = JSON.parse(line) as { topic: string; key: string | null; headers: Record<string, string>; value: string };
        return { topic: m.topic, key: m.key, headers: m.headers, value: Buffer.from(m.value, 'base64') };
      });
  }

  async write(messages: readonly RawMessage[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      for (const m of messages) {
        await out.write(JSON.stringify({ topic: m.topic, key: m.key, headers: m.headers, value: m.value.toString('base64') }) + '\n');
      }
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.path);
  }

  /** Synchronous, so a close() that spools next cannot race it. */
  remove(): void {
    rmSync(this.path, { force: true });
  }
}

import type { AnyEnvelope } from '@homeostat/contracts';
import type { ComponentLogger } from '@homeostat/telemetry';
import { deliveredBinaryEvent, encodeCheckedEvent } from '../codec';
import { BusError } from '../errors';
import { MessageProcessor, consumerStatsOf } from '../processor';
import type {
  Bus,
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
  logger: ComponentLogger;
  /** Dead letters kept in memory for inspection when no subscription reads the DLQ topic. */
  deadLetterRetention?: number;
}

/**
 * The embedded mode's bus: the same contracts, handler pipeline, retries, dead-lettering and
 * idempotency as on Kafka, without a broker. Each subscription has its own FIFO queue and one
 * worker, so a group sees messages in publish order. Like a topic with no consumer group, a
 * message published where nobody subscribes is not kept (dead letters excepted, for inspection).
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
    this.assertCanAccept(topic, 1);
    this.deliver(encoded.message, encoded.event);
    return Promise.resolve();
  }

  async publishBatch(topic: string, events: readonly AnyEnvelope[], options: PublishBatchOptions = {}): Promise<void> {
    const { release, ...publish } = options;
    // Held by this call until every event is handed over, then by each subscription that got
    // the published bytes themselves until it has processed its message.
    const lease = release ? new Lease(release) : undefined;
    try {
      const encoded = events.map((e) => encodeCheckedEvent(topic, e, publish));
      this.assertCanAccept(topic, encoded.length);
      for (const e of encoded) this.deliver(e.message, e.event, lease);
    } finally {
      lease?.done();
    }
    return Promise.resolve();
  }

  publishRaw(message: Omit<RawMessage, 'partition' | 'offset'>): Promise<void> {
    try {
      this.assertCanAccept(message.topic, 1);
    } catch (e) {
      return Promise.reject(e);
    }
    this.deliver(message);
    return Promise.resolve();
  }

  private assertCanAccept(topic: string, count: number): void {
    if (!this.started) throw new BusError('NOT_STARTED', 'the in-process bus is not started', true);
    if (this.closed) throw new BusError('BUS_CLOSED', 'the in-process bus is closed', true);
    for (const s of this.subscriptions) {
      if (s.wants(topic) && s.queued + count > this.options.queueLimit) {
        throw new BusError(
          'BACKPRESSURE',
          `consumer group ${s.group} has ${s.queued} messages waiting on ${topic} (limit ${this.options.queueLimit})`,
          true,
        );
      }
    }
  }

  /**
   * `checked`: the event as encodeCheckedEvent checked it. An event subscription gets it (with
   * its own bytes) instead of decoding and checking the message again; see deliveredBinaryEvent.
   */
  private deliver(message: Omit<RawMessage, 'partition' | 'offset'>, checked?: AnyEnvelope, lease?: Lease): void {
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
        s.enqueue(m, checked && deliveredBinaryEvent(checked, m.value), held);
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

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) return Promise.reject(new BusError('BUS_CLOSED', 'the in-process bus is closed', false));
    const processor = new MessageProcessor(options, {
      publishRaw: (m) => this.publishRaw(m),
      logger: this.options.logger,
      transport: 'in-process',
    });
    const subscription = new InProcessSubscription(options, processor, this.options.logger, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    return Promise.resolve(subscription);
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

class InProcessSubscription implements Subscription {
  private readonly queue: { message: RawMessage; event: AnyEnvelope | undefined; lease: Lease | undefined }[] = [];
  private draining: Promise<void> | undefined;
  /** The topic of the message in the handler now, if any (it counts in the lag). */
  private handling: string | undefined;
  private closing = false;
  readonly group: string;
  private readonly topics: Set<string>;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly processor: MessageProcessor,
    private readonly logger: ComponentLogger,
    private readonly onClosed: () => void,
  ) {
    this.group = options.group;
    this.topics = new Set(options.topics);
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
    const topics = [...queued].map(([topic, n]) => ({ topic, queued: n, lag: n + (this.handling === topic ? 1 : 0) }));
    return consumerStatsOf(this.group, this.processor, topics);
  }

  enqueue(message: RawMessage, event: AnyEnvelope | undefined, lease: Lease | undefined): void {
    this.queue.push({ message, event, lease });
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    // Yield first, so publish() returns before any handler runs, as with a broker.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const { message, event, lease } = next;
        this.handling = message.topic;
        for (;;) {
          try {
            const outcome = await this.processor.process(message, event);
            await this.options.hooks?.beforeCommit?.(message, outcome);
            break;
          } catch (error) {
            // The bus itself failed (dead-letter publish or idempotency store): keep the
            // message, wait, and deliver it again, as Kafka would from the last commit.
            this.logger.error('delivery failed, redelivering', { group: this.group, topic: message.topic, error: String(error) });
            await new Promise<void>((resolve) => setTimeout(resolve, 500));
          }
        }
        this.handling = undefined;
        lease?.done();
      }
    } finally {
      this.handling = undefined;
      this.draining = undefined;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    while (this.draining) await this.draining;
    this.onClosed();
  }
}

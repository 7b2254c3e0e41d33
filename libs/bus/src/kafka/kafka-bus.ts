import { Kafka, logLevel, type Admin, type Consumer, type IHeaders, type LogEntry, type Producer } from 'kafkajs';
import { dlqTopic, type AnyEnvelope } from '@homeostat/contracts';
import type { ComponentLogger } from '@homeostat/telemetry';
import { encodeEvent } from '../codec';
import { BusError } from '../errors';
import { KeyPartitioner } from './key-partitioner';
import { isRetriableTopicSetupError, TOPIC_SETUP_ATTEMPTS, TOPIC_SETUP_BACKOFF_MS } from './topic-setup';
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

export interface TopicSpec {
  name: string;
  /** Log compaction keeps the last value per key (for knowledge), instead of deleting by age. */
  compacted?: boolean;
  /** The largest record the topic takes (`max.message.bytes`); the broker's default (1 MB) when absent. */
  maxMessageBytes?: number;
}

const DEFAULT_BROKER_WAIT_MS = 300_000;
const BROKER_WAIT_FIRST_PAUSE_MS = 500;
const BROKER_WAIT_MAX_PAUSE_MS = 10_000;

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** Topics created at start-up (with their `.dlq` twins) when missing. */
  topics: TopicSpec[];
  partitions: number;
  replicationFactor: number;
  logger: ComponentLogger;
  /**
   * Prepended to every topic and consumer group name on the broker (e.g. `staging.`), so several
   * installations can share one cluster. Handlers and contracts always see the logical names.
   */
  topicPrefix?: string;
  /** Upper bound on one connection attempt; kafkajs retries with its own backoff. */
  connectionTimeoutMs?: number;
  /**
   * How long start() keeps trying a broker it cannot reach before it gives up (default 5 min).
   * Stages and the broker start in any order (compose, Kubernetes, a broker being restarted), so a
   * stage waits for the broker, saying so, rather than exiting after kafkajs's own few retries.
   */
  brokerWaitMs?: number;
  /**
   * How long the group waits for a silent member before moving its partitions to others (a
   * crashed consumer's partitions are stuck this long). Default 30 s; the broker's minimum is 6 s.
   */
  sessionTimeoutMs?: number;
  /**
   * The most bytes (values, keys, headers) one produce request carries: a publish with more is
   * sent in several, one after the other, so that no partition's record batch grows past the
   * topics' `max.message.bytes` (the broker's default is 1 MB, and the whole batch counts).
   * Default 900 000. A single record larger than that goes alone.
   */
  maxRequestBytes?: number;
  /** How long consumer lag read from the broker is reused before it is asked again. Default 5000 ms. */
  lagCacheMs?: number;
}

const DEFAULT_MAX_REQUEST_BYTES = 900_000;
/** How long a scrape waits for the broker's offsets before it goes without lag. */
const LAG_WAIT_MS = 2_000;
/** Per-record framing in a record batch (lengths, offsets, timestamps, attributes), at most. */
const RECORD_OVERHEAD_BYTES = 64;

type Outgoing = Omit<RawMessage, 'partition' | 'offset'>;

const recordBytes = (m: Outgoing): number => {
  let bytes = RECORD_OVERHEAD_BYTES + m.value.length + (m.key === null ? 0 : Buffer.byteLength(m.key));
  for (const [k, v] of Object.entries(m.headers)) bytes += k.length + Buffer.byteLength(v) + 2;
  return bytes;
};

/** Messages in order, in groups of at most `max` bytes (a message larger than that alone). */
function* requestsOf(messages: Outgoing[], max: number): Generator<Outgoing[]> {
  let group: Outgoing[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = recordBytes(m);
    if (group.length > 0 && bytes + size > max) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(m);
    bytes += size;
  }
  if (group.length > 0) yield group;
}

/**
 * The distributed mode's bus on Apache Kafka (kafkajs). Producer: idempotent, acks from all
 * in-sync replicas. Consumers: no auto-commit — a message's offset is committed only after the
 * pipeline handled or dead-lettered it, so a crash redelivers, and the idempotency store turns
 * the redelivery into a no-op. One bad message never stops a partition: it goes to `<topic>.dlq`.
 */
export class KafkaBus implements Bus {
  readonly transport = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private started = false;
  private closed = false;
  private producerConnected = false;
  private readonly prefix: string;
  /** Lag per group and topic, read from the broker at most once per lagCacheMs (see stats()). */
  private lagAdmin: Admin | undefined;
  private lag: { at: number; value: Promise<Map<string, Map<string, number>>> } | undefined;

  constructor(private readonly options: KafkaBusOptions) {
    const log = options.logger;
    this.prefix = options.topicPrefix ?? '';
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }: LogEntry) => {
          const { message, ...fields } = entry;
          // Coordinator-loading and rebalance errors are retried by kafkajs itself.
          if (level === logLevel.ERROR) log.warn(`kafkajs: ${message}`, fields);
          else if (level === logLevel.WARN) log.debug(`kafkajs: ${message}`, fields);
        },
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // kafkajs's default partitioner is quadratic in the key's length; this one is linear and
      // picks the same partitions.
      createPartitioner: KeyPartitioner,
    });
    this.admin = this.kafka.admin();
    this.producer.on(this.producer.events.CONNECT, () => (this.producerConnected = true));
    this.producer.on(this.producer.events.DISCONNECT, () => (this.producerConnected = false));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.connectAdmin();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.ensureTopics();
          break;
        } catch (error) {
          if (attempt >= TOPIC_SETUP_ATTEMPTS || !isRetriableTopicSetupError(error)) throw error;
          const waitMs = TOPIC_SETUP_BACKOFF_MS * 2 ** (attempt - 1);
          this.options.logger.warn(`setting up topics failed (${String(error)}); trying again in ${waitMs} ms`, { attempt });
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
      }
    } finally {
      await this.admin.disconnect();
    }
    await this.producer.connect();
    this.started = true;
  }

  /**
   * Connects the admin client once a broker answers, trying again with a growing pause while none
   * can be reached. Each try is a single connection attempt (a probe client without kafkajs's own
   * retries), so every pause is logged; the bus's own client keeps kafkajs's retries for its work.
   */
  private async connectAdmin(): Promise<void> {
    const giveUpAt = Date.now() + (this.options.brokerWaitMs ?? DEFAULT_BROKER_WAIT_MS);
    for (let attempt = 1; ; attempt++) {
      // kafkajs applies the client's retry settings to connecting, whatever the admin is given.
      const probe = new Kafka({
        clientId: this.options.clientId,
        brokers: this.options.brokers,
        connectionTimeout: this.options.connectionTimeoutMs ?? 3000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin();
      try {
        await probe.connect();
        await probe.disconnect();
        await this.admin.connect();
        return;
      } catch (error) {
        await probe.disconnect().catch(() => undefined);
        const waitMs = Math.min(BROKER_WAIT_MAX_PAUSE_MS, BROKER_WAIT_FIRST_PAUSE_MS * 2 ** (attempt - 1));
        if (this.closed || Date.now() + waitMs > giveUpAt) throw error;
        this.options.logger.warn(
          `cannot reach the Kafka broker(s) ${this.options.brokers.join(',')} (${String(error)}); trying again in ${waitMs} ms`,
          { attempt },
        );
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  /** Creates missing topics and their dead-letter twins; existing ones are left as they are. */
  private async ensureTopics(): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const wanted = this.options.topics.flatMap((t) => [t, { name: dlqTopic(t.name) }]);
    const missing = wanted.map((t) => ({ ...t, name: this.physical(t.name) })).filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: this.options.partitions,
        replicationFactor: this.options.replicationFactor,
        configEntries: [
          ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          ...(t.maxMessageBytes !== undefined ? [{ name: 'max.message.bytes', value: String(t.maxMessageBytes) }] : []),
        ],
      })),
    });
    this.options.logger.info('topics created', { topics: missing.map((t) => t.name) });
  }

  private physical(topic: string): string {
    return this.prefix + topic;
  }

  async publish(topic: string, event: AnyEnvelope, options?: PublishOptions): Promise<void> {
    return this.send(topic, [encodeEvent(topic, event, options)]);
  }

  async publishBatch(topic: string, events: readonly AnyEnvelope[], options: PublishBatchOptions = {}): Promise<void> {
    const { release, signal, ...publish } = options;
    try {
      await this.send(
        topic,
        events.map((e) => encodeEvent(topic, e, publish)),
        signal,
      );
    } finally {
      // Settled: kafkajs encoded the values into its own request buffers and retries no more.
      release?.();
    }
  }

  publishRaw(message: Omit<RawMessage, 'partition' | 'offset'>): Promise<void> {
    return this.send(message.topic, [message]);
  }

  private async send(topic: string, messages: Outgoing[], signal?: AbortSignal): Promise<void> {
    if (!this.started) throw new BusError('NOT_STARTED', 'the Kafka bus is not started', true);
    if (this.closed) throw new BusError('BUS_CLOSED', 'the Kafka bus is closed', true);
    // One request after the other: the idempotent producer keeps each partition in order anyway,
    // and a publish resolves only when all of it is on the broker.
    for (const request of requestsOf(messages, this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES)) {
      if (signal?.aborted) throw new BusError('PUBLISH_FAILED', `publishing to ${topic} was called off: ${String(signal.reason)}`, true);
      try {
        await this.producer.send({
          topic: this.physical(topic),
          acks: -1,
          messages: request.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        });
      } catch (error) {
        if ((error as { type?: unknown }).type === 'MESSAGE_TOO_LARGE') {
          const largest = Math.max(...request.map(recordBytes));
          throw new BusError(
            'MESSAGE_TOO_LARGE',
            `publishing to ${topic} failed: a record of ${largest} bytes is larger than the topic takes (its max.message.bytes)`,
            false,
            { cause: error },
          );
        }
        throw new BusError('PUBLISH_FAILED', `publishing to ${topic} failed: ${String(error)}`, true, { cause: error });
      }
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (!this.started) throw new BusError('NOT_STARTED', 'the Kafka bus is not started', false);
    const consumer = this.kafka.consumer({
      groupId: this.prefix + options.group,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 3)),
      retry: { retries: 10, initialRetryTime: 300 },
    });
    const processor = new MessageProcessor(options, {
      publishRaw: (m) => this.publishRaw(m),
      logger: this.options.logger,
      transport: 'kafka',
    });
    const subscription = new KafkaSubscription(options, this.prefix, consumer, processor, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    await subscription.run();
    return subscription;
  }

  health(): BusHealth {
    const groups: Record<string, boolean> = {};
    for (const s of this.subscriptions) groups[s.group] = s.isReady();
    const ok = this.started && !this.closed && this.producerConnected && Object.values(groups).every(Boolean);
    return { ok, transport: 'kafka', detail: { brokers: this.options.brokers, producerConnected: this.producerConnected, groups } };
  }

  /**
   * Counts from each subscription, and lag read from the broker: per topic, the high watermark
   * minus the group's committed offset (the earliest retained offset where it has committed
   * none), summed over partitions. Prometheus scrapes every few seconds and there may be several
   * of them: the broker is asked at most once per lagCacheMs (a ListOffsets per topic and an
   * OffsetFetch per group), and scrapes in between get the figures it answered last.
   */
  async stats(): Promise<ConsumerStats[]> {
    const subscriptions = [...this.subscriptions];
    let lag: Map<string, Map<string, number>> | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      // A broker that does not answer must not hold the scrape past Prometheus's timeout: the
      // read goes on (and is cached for the next scrape), this one goes without lag.
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), LAG_WAIT_MS)));
      lag = await Promise.race([this.readLag(subscriptions), timeout]);
    } catch (error) {
      this.options.logger.debug(`reading consumer lag failed: ${String(error)}`);
    } finally {
      clearTimeout(timer);
    }
    return subscriptions.map((s) =>
      consumerStatsOf(
        s.group,
        s.processor,
        s.topics.map((topic) => {
          const value = lag?.get(s.group)?.get(topic);
          return value === undefined ? { topic } : { topic, lag: value };
        }),
      ),
    );
  }

  private readLag(subscriptions: KafkaSubscription[]): Promise<Map<string, Map<string, number>>> {
    const now = Date.now();
    if (this.lag && now - this.lag.at < (this.options.lagCacheMs ?? 5000)) return this.lag.value;
    const value = this.fetchLag(subscriptions);
    this.lag = { at: now, value };
    // A failure is not kept: the next scrape asks again.
    value.catch(() => (this.lag = undefined));
    return value;
  }

  private async fetchLag(subscriptions: KafkaSubscription[]): Promise<Map<string, Map<string, number>>> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'the Kafka bus is closed', false);
    if (!this.lagAdmin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.lagAdmin = admin;
    }
    const admin = this.lagAdmin;
    const topics = [...new Set(subscriptions.flatMap((s) => s.topics))];
    const ends = new Map<string, Map<number, { high: bigint; low: bigint }>>();
    await Promise.all(
      topics.map(async (topic) => {
        const offsets = await admin.fetchTopicOffsets(this.physical(topic));
        ends.set(topic, new Map(offsets.map((o) => [o.partition, { high: BigInt(o.high), low: BigInt(o.low) }])));
      }),
    );
    const lag = new Map<string, Map<string, number>>();
    await Promise.all(
      subscriptions.map(async (s) => {
        const committed = await admin.fetchOffsets({ groupId: this.prefix + s.group, topics: s.topics.map((t) => this.physical(t)) });
        const perTopic = new Map<string, number>();
        for (const { topic, partitions } of committed) {
          const logical = topic.slice(this.prefix.length);
          const partitionEnds = ends.get(logical);
          if (!partitionEnds) continue;
          let sum = 0n;
          for (const [partition, end] of partitionEnds) {
            const offset = partitions.find((p) => p.partition === partition)?.offset;
            const from = offset === undefined || BigInt(offset) < 0n ? end.low : BigInt(offset);
            if (end.high > from) sum += end.high - from;
          }
          perTopic.set(logical, Number(sum));
        }
        lag.set(s.group, perTopic);
      }),
    );
    return lag;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const s of [...this.subscriptions]) await s.close();
    this.closed = true;
    await this.producer.disconnect();
    await this.lagAdmin?.disconnect();
    this.lagAdmin = undefined;
  }
}

class KafkaSubscription implements Subscription {
  readonly group: string;
  readonly topics: readonly string[];
  private joined = false;
  private crashed = false;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly prefix: string,
    private readonly consumer: Consumer,
    readonly processor: MessageProcessor,
    private readonly onClosed: () => void,
  ) {
    this.group = options.group;
    this.topics = options.topics;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.crashed = false;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs restarts the consumer itself for retriable errors (restartOnFailure).
      this.crashed = !e.payload.restart;
    });
    consumer.on(consumer.events.STOP, () => (this.joined = false));
  }

  async run(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics.map((t) => this.prefix + t),
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachMessage: async ({ topic, partition, message }) => {
        const raw: RawMessage = {
          topic: topic.slice(this.prefix.length),
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString() : null,
          value: message.value ?? Buffer.alloc(0),
          headers: decodeHeaders(message.headers),
        };
        const outcome = await this.processor.process(raw);
        await this.options.hooks?.beforeCommit?.(raw, outcome);
        await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
  }

  isReady(): boolean {
    return this.joined && !this.crashed;
  }

  async close(): Promise<void> {
    // disconnect() stops fetching and waits for the running eachMessage (which commits) to end.
    await this.consumer.disconnect();
    this.onClosed();
  }
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
  }
  return out;
}

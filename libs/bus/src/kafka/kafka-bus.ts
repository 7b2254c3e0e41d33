import { Kafka, logLevel, type Admin, type Consumer, type IHeaders, type LogEntry, type Producer } from 'kafkajs';
import { dlqTopic, type AnyEnvelope } from '@homeostat/contracts';
import type { ComponentLogger } from '@homeostat/telemetry';
import { encodeEvent } from '../codec';
import { BusError } from '../errors';
import { KeyPartitioner } from './key-partitioner';
import { isRetriableTopicSetupError, TOPIC_SETUP_ATTEMPTS, TOPIC_SETUP_BACKOFF_MS } from './topic-setup';
import { MessageProcessor } from '../processor';
import type { Bus, BusHealth, PublishBatchOptions, PublishOptions, RawMessage, SubscribeOptions, Subscription } from '../types';

export interface TopicSpec {
  name: string;
  /** Log compaction keeps the last value per key (for knowledge), instead of deleting by age. */
  compacted?: boolean;
  /** The largest record the topic takes (`max.message.bytes`); the broker's default (1 MB) when absent. */
  maxMessageBytes?: number;
}

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
}

const DEFAULT_MAX_REQUEST_BYTES = 900_000;
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
    await this.admin.connect();
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
    const { release, ...publish } = options;
    try {
      await this.send(
        topic,
        events.map((e) => encodeEvent(topic, e, publish)),
      );
    } finally {
      // Settled: kafkajs encoded the values into its own request buffers and retries no more.
      release?.();
    }
  }

  publishRaw(message: Omit<RawMessage, 'partition' | 'offset'>): Promise<void> {
    return this.send(message.topic, [message]);
  }

  private async send(topic: string, messages: Outgoing[]): Promise<void> {
    if (!this.started) throw new BusError('NOT_STARTED', 'the Kafka bus is not started', true);
    if (this.closed) throw new BusError('BUS_CLOSED', 'the Kafka bus is closed', true);
    // One request after the other: the idempotent producer keeps each partition in order anyway,
    // and a publish resolves only when all of it is on the broker.
    for (const request of requestsOf(messages, this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES)) {
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

  async close(): Promise<void> {
    if (this.closed) return;
    for (const s of [...this.subscriptions]) await s.close();
    this.closed = true;
    await this.producer.disconnect();
  }
}

class KafkaSubscription implements Subscription {
  readonly group: string;
  private joined = false;
  private crashed = false;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly prefix: string,
    private readonly consumer: Consumer,
    private readonly processor: MessageProcessor,
    private readonly onClosed: () => void,
  ) {
    this.group = options.group;
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

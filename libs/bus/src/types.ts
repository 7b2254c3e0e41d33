import type { AnyEnvelope } from '@homeostat/contracts';
import type { IdempotencyStore } from './idempotency';

/** A message as it travels: the bytes and headers are what a Kafka record holds. */
export interface RawMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  partition?: number;
  offset?: string;
}

/**
 * An event the in-process bus checked against the contracts when it was published: the event
 * itself (binary mode: the payload is bytes, each consumer gets its own event object), or a
 * function that reads it from the JSON the check produced (structured mode: each consumer
 * parses its own objects, so none sees another's mutations, but none checks them again).
 */
export type CheckedEvent = AnyEnvelope | (() => AnyEnvelope);

export interface MessageContext {
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  group: string;
  /** 1 for the first delivery attempt within this process. */
  attempt: number;
  partition?: number;
  offset?: string;
}

export type EventHandler = (event: AnyEnvelope, context: MessageContext) => Promise<void>;
export type RawHandler = (message: RawMessage, context: MessageContext) => Promise<void>;

export interface RetryPolicy {
  /** Attempts in all, including the first (≥ 1). */
  maxAttempts: number;
  /** Backoff before the n-th retry is backoffMs · 2^(n-1), with ±20 % jitter. */
  backoffMs: number;
}

export type DeliveryOutcome = 'handled' | 'duplicate' | 'dead-lettered';

export interface ConsumerHooks {
  /** Runs after a message was handled (or dead-lettered) and before its offset is committed. */
  beforeCommit?: (message: RawMessage, outcome: DeliveryOutcome) => Promise<void> | void;
}

interface SubscriptionCommon {
  /** Consumer group: every group receives every message; within a group, one member does. */
  group: string;
  topics: string[];
  retry: RetryPolicy;
  /** Dedupe on the event id; required for event subscriptions, so handlers are idempotent. */
  idempotency: IdempotencyStore;
  hooks?: ConsumerHooks;
  /** Start a new group at the earliest retained message (default) or only new ones. */
  fromBeginning?: boolean;
  /** Partitions handled at once (order within a partition, i.e. per key, is kept). */
  concurrency?: number;
  /**
   * Topics whose messages need no order among themselves (rows a handler stores, say): in
   * process, up to `maxInFlight` of them are in the handler at once, so a handler that gathers
   * its work (the learner's batched inserts) gets many messages into one batch, while each is
   * still committed only once its own handler resolved. A message of any other topic waits for
   * those in flight, so the other topics keep their order. On Kafka, order per partition holds
   * as always (`concurrency` spreads partitions).
   */
  unordered?: { topics: readonly string[]; maxInFlight: number };
}

/** Messages are validated against the contracts; invalid ones go to `<topic>.dlq`. */
export interface EventSubscription extends SubscriptionCommon {
  decode: 'event';
  handler: EventHandler;
}

/** Messages are handed over as bytes (for dead-letter topics, whose content may be invalid). */
export interface RawSubscription extends SubscriptionCommon {
  decode: 'raw';
  handler: RawHandler;
}

export type SubscribeOptions = EventSubscription | RawSubscription;

export interface Subscription {
  readonly group: string;
  /** True once the consumer has joined its group and can receive messages. */
  isReady(): boolean;
  /** Stops fetching, lets in-flight messages finish and commit, then leaves the group. */
  close(): Promise<void>;
}

export interface PublishOptions {
  /** Partition key; defaults to the event's subject (the target) so one target stays in order. */
  key?: string;
  headers?: Record<string, string>;
}

export interface PublishBatchOptions extends Omit<PublishOptions, 'key'> {
  /**
   * For publishers that reuse the memory of binary payloads (the collector's request bodies):
   * called exactly once, whatever the outcome, when the bus no longer reads those bytes — on
   * Kafka once the send has settled (the producer has copied them into its request by then), in
   * process once every subscription handed these bytes has finished with the message. Until
   * then the publisher must not touch them. Handlers, in turn, must not keep a payload's bytes
   * (or views of them) past their returned promise: they decode or copy what they keep.
   */
  release?: () => void;
  /**
   * Once aborted, the publish sends nothing more and rejects with PUBLISH_FAILED: for a publisher
   * that has to answer by a deadline (the collector) and must not have a request it already
   * answered 503 land later. On Kafka a produce request already in flight cannot be called back;
   * the ones after it are not sent. In process a publish is done when it returns.
   */
  signal?: AbortSignal;
}

export interface BusHealth {
  ok: boolean;
  transport: 'kafka' | 'in-process';
  detail: Record<string, unknown>;
}

/** One consumer group's figures in this process, for Homeostat's own metrics (read when Prometheus scrapes). */
export interface ConsumerStats {
  group: string;
  processed: { handled: number; duplicates: number; deadLettered: number; retries: number };
  deadLetters: { topic: string; code: string; count: number }[];
  /**
   * Per topic: `queued`, messages waiting in memory (in-process only); `lag`, messages published
   * and not yet handled (in-process: waiting or in a handler; Kafka: high watermark − committed
   * offset, summed over partitions; absent when the broker could not be asked).
   */
  topics: { topic: string; queued?: number; lag?: number }[];
}

export interface Bus {
  readonly transport: 'kafka' | 'in-process';
  /** Connects and creates the topics; publishing before start() fails with NOT_STARTED. */
  start(): Promise<void>;
  /** Resolves once the event is safely on the bus (all in-sync replicas, or handed over in-process). */
  publish(topic: string, event: AnyEnvelope, options?: PublishOptions): Promise<void>;
  publishBatch(topic: string, events: readonly AnyEnvelope[], options?: PublishBatchOptions): Promise<void>;
  publishRaw(message: Omit<RawMessage, 'partition' | 'offset'>): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  health(): BusHealth;
  /** Each consumer group's counts, queues and lag; never rejects (what cannot be read is left out). */
  stats(): Promise<ConsumerStats[]>;
  /** Closes subscriptions (draining in-flight work), then the producer. */
  close(): Promise<void>;
}

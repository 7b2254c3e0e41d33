import { createHash } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { AnyEnvelope } from '@homeostat/contracts';
import { ATTR, contextFromTraceparent, type ComponentLogger } from '@homeostat/telemetry';
import { decodeEvent } from './codec';
import { deadLetterOf } from './dead-letter';
import { errorCode, errorMessage, isRetryable } from './errors';
import type { CheckedEvent, ConsumerStats, DeliveryOutcome, MessageContext, RawMessage, SubscribeOptions } from './types';

const tracer = trace.getTracer('@homeostat/bus');

export interface ProcessorDeps {
  publishRaw: (message: Omit<RawMessage, 'partition' | 'offset'>) => Promise<void>;
  logger: ComponentLogger;
  transport: 'kafka' | 'in-process';
  sleep?: (ms: number) => Promise<void>;
}

export interface ProcessorStats {
  handled: number;
  duplicates: number;
  deadLettered: number;
  retries: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What happens to one delivered message, the same for every transport: decode and validate,
 * skip if already handled, run the handler with bounded retries, and dead-letter what cannot
 * succeed. It resolves once the message may be committed; it rejects only when the bus itself
 * failed (the dead-letter publish or the idempotency store), and then the message must be
 * redelivered, never committed.
 */
export class MessageProcessor {
  readonly stats: ProcessorStats = { handled: 0, duplicates: 0, deadLettered: 0, retries: 0 };
  /** Dead letters per topic and error code (`<topic>\u0000<code>`), for the dead-letter metric. */
  readonly deadLettersBy = new Map<string, number>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly deps: ProcessorDeps,
  ) {
    this.sleep = deps.sleep ?? defaultSleep;
  }

  /**
   * `checked`: the message's event as the in-process bus checked it on publish, or how to read
   * it from the bytes the check wrote (see CheckedEvent); an event subscription takes it
   * instead of decoding and checking again.
   */
  async process(message: RawMessage, checked?: CheckedEvent): Promise<DeliveryOutcome> {
    let event: AnyEnvelope | undefined;
    if (this.options.decode === 'event' && checked !== undefined) {
      event = typeof checked === 'function' ? checked() : checked;
    } else if (this.options.decode === 'event') {
      const parsed = decodeEvent(message);
      if (!parsed.ok) {
        return this.deadLetter(message, parsed.error.code, parsed.error.message, 0);
      }
      event = parsed.event;
    }
    const id = event?.id ?? rawIdentity(message);
    if (await this.options.idempotency.has(id)) {
      this.stats.duplicates++;
      this.deps.logger.debug('duplicate delivery skipped', { topic: message.topic, id });
      return 'duplicate';
    }

    const parent = contextFromTraceparent(event?.traceparent, event?.tracestate);
    const { maxAttempts, backoffMs } = this.options.retry;
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(message, event, attempt, parent);
      if (failure === undefined) {
        await this.options.idempotency.add(id);
        this.stats.handled++;
        return 'handled';
      }
      if (!isRetryable(failure) || attempt >= maxAttempts) {
        const outcome = await this.deadLetter(message, errorCode(failure), errorMessage(failure), attempt);
        await this.options.idempotency.add(id);
        return outcome;
      }
      this.stats.retries++;
      const delay = backoffMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4);
      this.deps.logger.warn('handler failed, will retry', {
        topic: message.topic,
        id,
        attempt,
        delayMs: Math.round(delay),
        error: errorMessage(failure),
      });
      await this.sleep(delay);
    }
  }

  /** Runs the handler once inside a consumer span; returns the error, if any. */
  private attempt(
    message: RawMessage,
    event: AnyEnvelope | undefined,
    attempt: number,
    parent: ReturnType<typeof contextFromTraceparent>,
  ): Promise<unknown> {
    const ctx: MessageContext = {
      topic: message.topic,
      key: message.key,
      headers: message.headers,
      group: this.options.group,
      attempt,
      ...(message.partition !== undefined ? { partition: message.partition } : {}),
      ...(message.offset !== undefined ? { offset: message.offset } : {}),
    };
    const span = tracer.startSpan(
      `process ${message.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [ATTR.messagingSystem]: this.deps.transport === 'kafka' ? 'kafka' : 'homeostat-in-process',
          [ATTR.messagingOperation]: 'process',
          [ATTR.messagingDestination]: message.topic,
          [ATTR.messagingConsumerGroup]: this.options.group,
          [ATTR.deliveryAttempt]: attempt,
          ...(event ? { [ATTR.messagingMessageId]: event.id, [ATTR.eventType]: event.type, [ATTR.eventSubject]: event.subject } : {}),
          ...(message.key !== null ? { [ATTR.messagingKafkaKey]: message.key } : {}),
        },
      },
      parent,
    );
    const run = async (): Promise<void> => {
      if (this.options.decode === 'event') {
        await this.options.handler(event as AnyEnvelope, ctx);
      } else {
        await this.options.handler(message, ctx);
      }
    };
    return context
      .with(trace.setSpan(parent, span), run)
      .then(
        () => undefined,
        (error: unknown) => {
          span.recordException(error instanceof Error ? error : new Error(String(error)));
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          return error ?? new Error('handler rejected without a reason');
        },
      )
      .finally(() => span.end());
  }

  private async deadLetter(message: RawMessage, code: string, reason: string, attempts: number): Promise<DeliveryOutcome> {
    await this.deps.publishRaw(deadLetterOf(message, { code, message: reason, attempts, group: this.options.group }));
    this.stats.deadLettered++;
    const by = `${message.topic}\u0000${code}`;
    this.deadLettersBy.set(by, (this.deadLettersBy.get(by) ?? 0) + 1);
    this.deps.logger.warn('message dead-lettered', { topic: message.topic, key: message.key, code, reason, attempts });
    return 'dead-lettered';
  }
}

/** What a subscription reports for the metrics: its processor's counts, and its queues or lag per topic. */
export function consumerStatsOf(group: string, processor: MessageProcessor, topics: ConsumerStats['topics']): ConsumerStats {
  const deadLetters = [...processor.deadLettersBy].map(([key, count]) => {
    const [topic = '', code = ''] = key.split('\u0000');
    return { topic, code, count };
  });
  return { group, processed: { ...processor.stats }, deadLetters, topics };
}

/**
 * Raw messages (dead letters) have no event id of their own; their identity is their content,
 * headers included. A redelivered record is byte-for-byte the same, while a new dead-lettering
 * of the same bytes differs in its failure headers (time, group, original offset).
 */
function rawIdentity(message: RawMessage): string {
  const hash = createHash('sha256')
    .update(message.topic)
    .update('\0')
    .update(message.key ?? '')
    .update('\0');
  for (const name of Object.keys(message.headers).sort())
    hash
      .update(name)
      .update('=')
      .update(message.headers[name] ?? '')
      .update('\0');
  return `raw:${hash.update(message.value).digest('hex')}`;
}

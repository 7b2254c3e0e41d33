import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { BaseRpcContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom, throwError, type Observable } from 'rxjs';
import type { AnyEnvelope } from '@homeostat/contracts';
import {
  NonRetryableError,
  type Bus,
  type ConsumerHooks,
  type IdempotencyStore,
  type MessageContext,
  type RawMessage,
  type RetryPolicy,
  type Subscription,
} from '@homeostat/bus';

/** The context a handler gets with `@Ctx()`: topic, key, headers, partition, offset, attempt. */
export class BusContext extends BaseRpcContext<[MessageContext]> {
  get message(): MessageContext {
    return this.args[0];
  }
}

/** The `@EventPattern` extra that declares a handler's messages independent of each other's order, and how many may be in it at once. */
export const MAX_IN_FLIGHT = 'maxInFlight';

export interface BusServerOptions {
  bus: Bus;
  group: string;
  retry: RetryPolicy;
  concurrency: number;
  /** Opens the group's idempotency store (durable, under the data dir). */
  openIdempotency: (group: string) => Promise<IdempotencyStore>;
  hooks?: ConsumerHooks;
}

/**
 * A Nest microservice transport over our bus (Kafka or in-process). Nest's own Kafka server
 * commits before handlers finish and lets one failing message crash-loop a partition
 * (nestjs/nest #10972, #14664); here handlers declared with `@EventPattern('<topic>')` run in the
 * bus's pipeline: validated, deduplicated, retried with backoff, dead-lettered, then committed.
 * Patterns ending in `.dlq` receive the raw dead letters.
 */
export class BusServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  private readonly stores: IdempotencyStore[] = [];
  private listening = false;

  constructor(private readonly options: BusServerOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const topics = [...this.messageHandlers.keys()];
      const eventTopics = topics.filter((t) => !t.endsWith('.dlq'));
      const deadLetterTopics = topics.filter((t) => t.endsWith('.dlq'));
      const common = {
        retry: this.options.retry,
        concurrency: this.options.concurrency,
        ...(this.options.hooks ? { hooks: this.options.hooks } : {}),
      };
      if (eventTopics.length > 0) {
        const idempotency = await this.open(this.options.group);
        const unordered = this.unorderedOf(eventTopics);
        this.subscriptions.push(
          await this.options.bus.subscribe({
            ...common,
            ...(unordered ? { unordered } : {}),
            decode: 'event',
            group: this.options.group,
            topics: eventTopics,
            idempotency,
            handler: (event, ctx) => this.dispatch(ctx.topic, event, ctx),
          }),
        );
      }
      if (deadLetterTopics.length > 0) {
        const group = `${this.options.group}.dead-letters`;
        const idempotency = await this.open(group);
        this.subscriptions.push(
          await this.options.bus.subscribe({
            ...common,
            decode: 'raw',
            group,
            topics: deadLetterTopics,
            idempotency,
            handler: (message, ctx) => this.dispatch(ctx.topic, message, ctx),
          }),
        );
      }
      this.listening = true;
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /**
   * Topics whose handler was declared `@EventPattern(topics, { [MAX_IN_FLIGHT]: n })`: their
   * messages need no order among themselves, and up to n are handled at once (see
   * SubscribeOptions.unordered).
   */
  private unorderedOf(topics: readonly string[]): { topics: string[]; maxInFlight: number } | undefined {
    let maxInFlight = 0;
    const unordered: string[] = [];
    for (const topic of topics) {
      const n = this.messageHandlers.get(topic)?.extras?.[MAX_IN_FLIGHT];
      if (typeof n === 'number' && n > 1) {
        unordered.push(topic);
        maxInFlight = Math.max(maxInFlight, n);
      }
    }
    return unordered.length > 0 ? { topics: unordered, maxInFlight } : undefined;
  }

  private async open(group: string): Promise<IdempotencyStore> {
    const store = await this.options.openIdempotency(group);
    this.stores.push(store);
    return store;
  }

  private async dispatch(topic: string, payload: AnyEnvelope | RawMessage, ctx: MessageContext): Promise<void> {
    const handler = this.messageHandlers.get(topic);
    if (!handler) throw new NonRetryableError(`no handler for topic ${topic}`);
    const result: unknown = await handler(payload, new BusContext([ctx]));
    await lastValueFrom(this.transformToObservable(result) as Observable<unknown>, { defaultValue: undefined });
  }

  /** Ready when every subscription has joined its group. */
  isReady(): boolean {
    return this.listening && this.subscriptions.every((s) => s.isReady());
  }

  get topics(): string[] {
    return [...this.messageHandlers.keys()];
  }

  async close(): Promise<void> {
    // In-flight messages finish and commit before the consumers leave their groups.
    for (const s of this.subscriptions.splice(0)) await s.close();
    for (const s of this.stores.splice(0)) await s.close();
    this.listening = false;
  }

  on(): never {
    throw new Error('BusServer does not emit transport events; use the bus health instead');
  }

  unwrap<T>(): T {
    return this.options.bus as T;
  }
}

/**
 * Nest turns a handler's exception into a generic "Internal server error"; the bus needs the
 * original error (its code and whether it is retryable) to choose between retry and DLQ. HTTP
 * errors keep Nest's usual responses.
 */
@Catch()
export class BusAwareExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return throwError(() => exception);
    super.catch(exception, host);
  }
}

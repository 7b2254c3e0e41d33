import { createEnvelope, topicOfType, type AnyEnvelope, type Envelope, type EventData, type EventType } from '@homeostat/contracts';
import { currentTraceparent } from '@homeostat/telemetry';
import type { Bus } from './types';

/** An event to publish, as a discriminated union over the event types. */
export type OutgoingEvent = { [T in EventType]: { type: T; subject: string; data: EventData<T>; key?: string } }[EventType];

/**
 * What a stage uses to emit events: builds the CloudEvent (id, time, source, the active
 * traceparent so the loop iteration stays one trace) and publishes it on the type's home topic.
 */
export class EventPublisher {
  /** `onPublished`: told of every event once it is on the bus (the runtime counts loop events with it). */
  constructor(
    private readonly bus: Bus,
    private readonly source: string,
    private readonly onPublished?: (event: AnyEnvelope) => void,
  ) {}

  async publish<T extends EventType>(type: T, init: { subject: string; data: EventData<T>; key?: string }): Promise<Envelope<T>> {
    const event = createEnvelope(type, { source: this.source, subject: init.subject, data: init.data, ...currentTraceparent() });
    await this.bus.publish(topicOfType(type), event as unknown as AnyEnvelope, init.key !== undefined ? { key: init.key } : {});
    this.onPublished?.(event as unknown as AnyEnvelope);
    return event;
  }

  /** The same, for a value whose type is only known at run time (a union of events). */
  publishEvent(event: OutgoingEvent): Promise<Envelope> {
    const { type, ...init } = event;
    return this.publish(type, init as { subject: string; data: EventData<typeof type>; key?: string }) as Promise<Envelope>;
  }
}

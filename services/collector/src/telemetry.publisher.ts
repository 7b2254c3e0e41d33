import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import type { Bus } from '@homeostat/bus';
import { dataContentTypeOf, topicOfType, type AnyEnvelope, type Envelope, type EventData, type EventType } from '@homeostat/contracts';
import { BUS } from '@homeostat/runtime';
import { currentTraceparent } from '@homeostat/telemetry';

export const COLLECTOR_SOURCE = 'collector';

/**
 * Puts what the collector accepted on the bus, one event per target batch, and resolves only
 * once the bus holds all of them: the HTTP answer waits for this, so a 200 means "on the bus".
 */
@Injectable()
export class TelemetryPublisher {
  constructor(@Inject(BUS) private readonly bus: Bus) {}

  /**
   * `release`: for batches whose binary payloads are views of pooled memory; called once,
   * whatever happens, when the bus no longer reads them (PublishBatchOptions.release).
   */
  async publish<T extends EventType>(
    type: T,
    batches: readonly { subject: string; data: EventData<T> }[],
    release?: () => void,
  ): Promise<AnyEnvelope[]> {
    let events: AnyEnvelope[];
    try {
      if (batches.length === 0) {
        release?.();
        return [];
      }
      // One request is one trace: its events share the traceparent.
      const trace = currentTraceparent();
      const time = new Date().toISOString();
      // Not createEnvelope(): the bus checks every event against its contract when it is published
      // (encodeEvent), so checking here as well would only repeat it. JSON data was already checked
      // item by item; OTLP protobuf data is bytes, checked by its consumers.
      const datacontenttype = dataContentTypeOf(type);
      events = batches.map((b): Envelope<T> => ({
        specversion: '1.0',
        id: uuidv7(),
        type,
        source: COLLECTOR_SOURCE,
        time,
        subject: b.subject,
        ...trace,
        datacontenttype,
        data: b.data,
      })) as unknown as AnyEnvelope[];
    } catch (error) {
      release?.();
      throw error;
    }
    await this.bus.publishBatch(topicOfType(type), events, release ? { release } : {});
    return events;
  }
}

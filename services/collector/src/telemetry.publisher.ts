import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { BusError, PublishHealth, type Bus } from '@homeostat/bus';
import { dataContentTypeOf, topicOfType, type AnyEnvelope, type Envelope, type EventData, type EventType } from '@homeostat/contracts';
import { BUS, READINESS, type Readiness } from '@homeostat/runtime';
import { currentTraceparent } from '@homeostat/telemetry';

export const COLLECTOR_SOURCE = 'collector';

/**
 * How long /readyz stays 503 after a publish failed for want of a bus (see PublishHealth): three
 * times the Retry-After of a 503, so exporters' retries keep it not-ready through an outage.
 */
export const PUBLISH_FAILURE_HOLD_MS = 15_000;

/**
 * How long a request waits for the bus before it is answered 503 with Retry-After: well under the
 * OTel exporters' default timeout of 10 s, so the exporter hears the answer instead of timing out
 * and sending again while the first copy may still land (kafkajs retries a send for up to 30 s).
 * Half of it: the other half covers what comes before the wait (reading and decoding the body)
 * and a starved event loop. At 8 s, with the load average at 15 on 2 cores, 671 of 1,244 such
 * answers reached the client after its 10 s (npm run chaos, broker stopped); a healthy broker
 * takes a request in milliseconds, so 5 s turns no working publish into a 503.
 */
export const PUBLISH_DEADLINE_MS = 5_000;

/**
 * Puts what the collector accepted on the bus, one event per target batch, and resolves only
 * once the bus holds all of them: the HTTP answer waits for this, so a 200 means "on the bus".
 * What its publishes show of the bus is the collector's readiness check `publishing`: while they
 * fail (and exports are answered 503), /readyz says 503 with the reason.
 */
@Injectable()
export class TelemetryPublisher {
  private readonly health = new PublishHealth({ holdMs: PUBLISH_FAILURE_HOLD_MS });
  /** See PUBLISH_DEADLINE_MS (a property so that a test can shorten it). */
  deadlineMs = PUBLISH_DEADLINE_MS;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(READINESS) readiness: Readiness,
  ) {
    readiness.register({ name: 'publishing', check: () => this.health.status() });
  }

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
    // Past the deadline the publish is called off (what it has not sent yet is not sent, see
    // PublishBatchOptions.signal) and the request is answered 503: a request answered 503 must
    // not be stored as well, or the exporter's retry doubles it.
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new BusError('PUBLISH_FAILED', `the bus did not take the request within ${this.deadlineMs} ms`, true);
        abort.abort(error.message);
        reject(error);
      }, this.deadlineMs);
    });
    const published = this.bus.publishBatch(topicOfType(type), events, { ...(release ? { release } : {}), signal: abort.signal });
    try {
      await Promise.race([published, deadline]);
    } catch (error) {
      this.health.failed(error);
      // The publish called off settles later; its outcome is already answered.
      published.catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.health.succeeded();
    return events;
  }
}

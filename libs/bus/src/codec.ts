import { parseEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { currentTraceparent } from '@homeostat/telemetry';
import { BusError } from './errors';
import type { PublishOptions, RawMessage } from './types';

export const CONTENT_TYPE = 'application/cloudevents+json';

/**
 * Encodes an event as a structured-mode CloudEvent record. The event is validated against the
 * topic's contracts before it leaves, so a producer bug fails at its source, not downstream.
 * An event without a traceparent gets the active one, so the consumer continues the trace.
 */
export function encodeEvent(topic: string, event: AnyEnvelope, options: PublishOptions = {}): Omit<RawMessage, 'partition' | 'offset'> {
  const withTrace: AnyEnvelope = event.traceparent ? event : { ...event, ...currentTraceparent() };
  const checked = parseEnvelope(topic, withTrace);
  if (!checked.ok) {
    throw new BusError('CONTRACT_VIOLATION', `refusing to publish an invalid event on ${topic}: ${checked.error.message}`, false, {
      cause: checked.error,
    });
  }
  return {
    topic,
    key: options.key ?? withTrace.subject,
    value: Buffer.from(JSON.stringify(withTrace)),
    headers: {
      ...options.headers,
      'content-type': CONTENT_TYPE,
      ce_id: withTrace.id,
      ce_type: withTrace.type,
      ...(withTrace.traceparent ? { traceparent: withTrace.traceparent } : {}),
    },
  };
}

import { isBinaryEventType, parseEnvelope, PROTOBUF_CONTENT_TYPE, type AnyEnvelope, type ParseEnvelopeResult } from '@homeostat/contracts';
import { currentTraceparent } from '@homeostat/telemetry';
import { BusError } from './errors';
import type { CheckedEvent, PublishOptions, RawMessage } from './types';

export const CONTENT_TYPE = 'application/cloudevents+json';

/**
 * CloudEvents Kafka binding, binary content mode: the envelope attributes are `ce_` headers and
 * the message value is the data itself. Used for the OTLP event types, whose data is protobuf
 * bytes: no JSON, no base64, no copy of the payload on publish. The data's `items` travels as
 * the `ce_items` extension attribute.
 */
export const BINARY_HEADERS = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  subject: 'ce_subject',
  traceparent: 'ce_traceparent',
  tracestate: 'ce_tracestate',
  items: 'ce_items',
} as const;

/**
 * Encodes an event as a CloudEvent record: structured mode (JSON) for every event type, except
 * the OTLP ones (binary mode, see BINARY_HEADERS). The event is validated against the topic's
 * contracts before it leaves, so a producer bug fails at its source, not downstream; for the
 * OTLP types that is the envelope and the shape of the data, never the items in the payload.
 * An event without a traceparent gets the active one, so the consumer continues the trace.
 */
export function encodeEvent(topic: string, event: AnyEnvelope, options: PublishOptions = {}): Omit<RawMessage, 'partition' | 'offset'> {
  return encodeCheckedEvent(topic, event, options).message;
}

/** encodeEvent, with the event as its check returned it (what a consumer would decode). */
export function encodeCheckedEvent(
  topic: string,
  event: AnyEnvelope,
  options: PublishOptions = {},
): { message: Omit<RawMessage, 'partition' | 'offset'>; event: AnyEnvelope } {
  const withTrace: AnyEnvelope = event.traceparent ? event : { ...event, ...currentTraceparent() };
  const checked = parseEnvelope(topic, withTrace);
  if (!checked.ok) {
    throw new BusError('CONTRACT_VIOLATION', `refusing to publish an invalid event on ${topic}: ${checked.error.message}`, false, {
      cause: checked.error,
    });
  }
  const key = options.key ?? withTrace.subject;
  const trace: Record<string, string> = withTrace.traceparent ? { traceparent: withTrace.traceparent } : {};
  if (isBinaryEventType(withTrace.type)) {
    const { items, payload } = withTrace.data as { items: number; payload: Uint8Array };
    const message = {
      topic,
      key,
      // A view on the producer's bytes, not a copy.
      value: Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      headers: {
        ...options.headers,
        'content-type': PROTOBUF_CONTENT_TYPE,
        [BINARY_HEADERS.specversion]: withTrace.specversion,
        [BINARY_HEADERS.id]: withTrace.id,
        [BINARY_HEADERS.type]: withTrace.type,
        [BINARY_HEADERS.source]: withTrace.source,
        [BINARY_HEADERS.time]: withTrace.time,
        [BINARY_HEADERS.subject]: withTrace.subject,
        [BINARY_HEADERS.items]: String(items),
        ...(withTrace.traceparent ? { [BINARY_HEADERS.traceparent]: withTrace.traceparent } : {}),
        ...(withTrace.tracestate ? { [BINARY_HEADERS.tracestate]: withTrace.tracestate } : {}),
        ...trace,
      },
    };
    return { message, event: checked.event };
  }
  const message = {
    topic,
    key,
    // The checked event's JSON (what a consumer's check would give again), so the in-process
    // bus can hand it on without a second check (deliveredEvent).
    value: Buffer.from(JSON.stringify(checked.event)),
    headers: {
      ...options.headers,
      'content-type': CONTENT_TYPE,
      ce_id: withTrace.id,
      ce_type: withTrace.type,
      ...trace,
    },
  };
  return { message, event: checked.event };
}

/**
 * The event a consumer of an in-process record gets, from the event checked when it was
 * published (encodeCheckedEvent) and that consumer's copy of the bytes: what decodeEvent would
 * make of the record, without checking again what was checked before it was handed over. A
 * binary-mode event is the checked one with the consumer's bytes as payload; a structured one
 * is parsed from the consumer's bytes when its turn comes — the JSON of the checked event
 * itself, so parsing it gives what the check gave, with objects of the consumer's own.
 */
export function deliveredEvent(checked: AnyEnvelope, value: Buffer): CheckedEvent {
  if (isBinaryEventType(checked.type)) {
    return { ...checked, data: { ...(checked.data as { items: number }), payload: value } } as AnyEnvelope;
  }
  return () => JSON.parse(value.toString('utf8')) as AnyEnvelope;
}

/**
 * How many items a checked event carries, for the in-process bus's bound on what waits: spans,
 * metric data points or log records of a telemetry event (binary ones say it in `items`), one
 * for every other event.
 */
export function itemsOf(event: AnyEnvelope): number {
  const data = event.data as { items?: unknown; spans?: unknown[]; logRecords?: unknown[]; metrics?: { points: unknown[] }[] };
  if (typeof data.items === 'number') return Math.max(1, data.items);
  if (Array.isArray(data.spans)) return Math.max(1, data.spans.length);
  if (Array.isArray(data.logRecords)) return Math.max(1, data.logRecords.length);
  if (Array.isArray(data.metrics))
    return Math.max(
      1,
      data.metrics.reduce((n, m) => n + m.points.length, 0),
    );
  return 1;
}

/**
 * Decodes and validates a delivered record, in either content mode (the `content-type` header
 * tells which). Never throws: a bad message is the consumer's to dead-letter.
 */
export function decodeEvent(message: Pick<RawMessage, 'topic' | 'value' | 'headers'>): ParseEnvelopeResult {
  const h = message.headers;
  if (h['content-type'] !== PROTOBUF_CONTENT_TYPE) return parseEnvelope(message.topic, message.value);
  const items = h[BINARY_HEADERS.items];
  const candidate = {
    specversion: h[BINARY_HEADERS.specversion],
    id: h[BINARY_HEADERS.id],
    type: h[BINARY_HEADERS.type],
    source: h[BINARY_HEADERS.source],
    time: h[BINARY_HEADERS.time],
    subject: h[BINARY_HEADERS.subject],
    ...(h[BINARY_HEADERS.traceparent] !== undefined ? { traceparent: h[BINARY_HEADERS.traceparent] } : {}),
    ...(h[BINARY_HEADERS.tracestate] !== undefined ? { tracestate: h[BINARY_HEADERS.tracestate] } : {}),
    datacontenttype: PROTOBUF_CONTENT_TYPE,
    data: { items: items !== undefined && /^\d+$/.test(items) ? Number(items) : items, payload: message.value },
  };
  return parseEnvelope(message.topic, candidate);
}

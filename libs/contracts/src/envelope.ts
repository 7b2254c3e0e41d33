import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ContractViolation, safeParseReporting } from './errors';
import { nonEmpty, timestamp } from './events/common.schema';
import { checkSpansBatch } from './events/span-check';
import {
  dataContentTypeOf,
  eventSchemas,
  isEventType,
  topicEvents,
  topicOfType,
  JSON_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
  type DataContentType,
  type EventData,
  type EventType,
} from './events/registry';
import { isDlqTopic, isTopic } from './topics';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** W3C trace-context `traceparent`, version 00, with non-zero trace and parent ids. */
export const traceparentSchema = z.string().refine((s) => {
  const m = TRACEPARENT.exec(s);
  return m !== null && !/^0+$/.test(m[1] ?? '') && !/^0+$/.test(m[2] ?? '');
}, 'must be a W3C traceparent: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>');

/**
 * CloudEvents 1.0 structured-mode JSON attributes. Unknown extension attributes are allowed by
 * CloudEvents and dropped here; `data` is checked separately against the schema of `type`.
 */
export const envelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.uuid({ message: 'must be a UUID (v7)' }),
  type: nonEmpty,
  source: nonEmpty,
  time: timestamp,
  subject: nonEmpty,
  traceparent: traceparentSchema.optional(),
  tracestate: z.string().optional(),
  datacontenttype: z.enum([JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE]).default(JSON_CONTENT_TYPE),
  data: z.unknown(),
});

export interface Envelope<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  type: T;
  source: string;
  time: string;
  subject: string;
  traceparent?: string;
  tracestate?: string;
  /** application/x-protobuf for the OTLP types (data holds bytes), application/json otherwise. */
  datacontenttype: DataContentType;
  data: EventData<T>;
}

/** Discriminated on `type`: narrowing `type` narrows `data`. */
export type AnyEnvelope = { [T in EventType]: Envelope<T> }[EventType];

export interface EnvelopeInit<T extends EventType> {
  source: string;
  subject: string;
  data: EventData<T>;
  traceparent?: string;
  tracestate?: string;
  id?: string;
  time?: string;
}

export type ParseEnvelopeResult = { ok: true; event: AnyEnvelope } | { ok: false; error: ContractViolation };

/** Builds and validates an event; throws ContractViolation so a bad event never reaches the bus. */
export function createEnvelope<T extends EventType>(type: T, init: EnvelopeInit<T>): Envelope<T> {
  const candidate = {
    specversion: '1.0',
    id: init.id ?? uuidv7(),
    type,
    source: init.source,
    time: init.time ?? new Date().toISOString(),
    subject: init.subject,
    ...(init.traceparent === undefined ? {} : { traceparent: init.traceparent }),
    ...(init.tracestate === undefined ? {} : { tracestate: init.tracestate }),
    datacontenttype: isEventType(type) ? dataContentTypeOf(type) : JSON_CONTENT_TYPE,
    data: init.data,
  };
  const result = validate(candidate, isEventType(type) ? topicOfType(type) : undefined);
  if (!result.ok) throw result.error;
  return result.event as Envelope<T>;
}

/**
 * Checks a message from `topic`: JSON, envelope, known type, type allowed on the topic (a `.dlq` topic
 * carries any known type) and data. Never throws: a bad message is the consumer's to dead-letter.
 */
export function parseEnvelope(topic: string, raw: unknown): ParseEnvelopeResult {
  let value: unknown = raw;
  if (raw instanceof Uint8Array) value = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (e) {
      return fail('', `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (isDlqTopic(topic)) return validate(value, undefined);
  if (!isTopic(topic)) return fail('', `unknown topic "${topic}"`);
  return validate(value, topic);
}

function validate(value: unknown, topic: string | undefined): ParseEnvelopeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('', 'must be a JSON object (a CloudEvents structured envelope)');
  }
  const header = safeParseReporting(envelopeSchema, value);
  if (!header.success) return { ok: false, error: ContractViolation.fromZod(header.error) };
  const type = header.data.type;
  if (!isEventType(type)) return fail('type', `unknown event type "${type}"`);
  if (topic !== undefined && isTopic(topic)) {
    if (!topicEvents[topic].includes(type)) {
      return fail('type', `"${type}" may not travel on topic "${topic}" (its topic is "${topicOfType(type)}")`);
    }
  }
  if (header.data.datacontenttype !== dataContentTypeOf(type)) {
    return fail('datacontenttype', `must be ${dataContentTypeOf(type)} for "${type}"`);
  }
  // A spans batch (the collector's OTLP/JSON traces, published by the hundred per second) has
  // its spans checked by the plain fast path; zod decides what that cannot pass.
  const data =
    type === 'homeostat.telemetry.spans.v1' ? checkSpansBatch(header.data.data) : safeParseReporting(eventSchemas[type], header.data.data);
  if (!data.success) return { ok: false, error: ContractViolation.fromZod(data.error, ['data']) };
  const event = { ...header.data, type, data: data.data } as AnyEnvelope;
  return { ok: true, event };
}

function fail(path: string, message: string): { ok: false; error: ContractViolation } {
  return { ok: false, error: new ContractViolation([{ path, message }]) };
}

/** The JSON bytes to put on the bus (structured mode; not for the binary OTLP types). */
export function serializeEnvelope(event: Envelope | AnyEnvelope): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

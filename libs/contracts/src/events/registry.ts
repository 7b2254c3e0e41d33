import type { z } from 'zod';
import type { Topic } from '../topics';
import { controlCommandSchema } from './control.schema';
import { decisionMadeSchema } from './decision.schema';
import { incidentOpenedSchema, incidentResolvedSchema, incidentUpdatedSchema } from './incident.schema';
import { knowledgeUpdatedSchema } from './knowledge.schema';
import { actionStartedSchema, outcomeRecordedSchema } from './outcome.schema';
import { buildReportedSchema, logsBatchSchema, metricsBatchSchema, otlpPayloadSchema, spansBatchSchema } from './telemetry.schema';

/** Every event type and the schema of its `data`. A breaking change is a new type (`.v2`), never an edit. */
export const eventSchemas = {
  'homeostat.telemetry.spans.v1': spansBatchSchema,
  'homeostat.telemetry.metrics.v1': metricsBatchSchema,
  'homeostat.telemetry.logs.v1': logsBatchSchema,
  'homeostat.telemetry.spans.otlp.v1': otlpPayloadSchema,
  'homeostat.telemetry.metrics.otlp.v1': otlpPayloadSchema,
  'homeostat.telemetry.logs.otlp.v1': otlpPayloadSchema,
  'homeostat.build.reported.v1': buildReportedSchema,
  'homeostat.incident.opened.v1': incidentOpenedSchema,
  'homeostat.incident.updated.v1': incidentUpdatedSchema,
  'homeostat.incident.resolved.v1': incidentResolvedSchema,
  'homeostat.decision.made.v1': decisionMadeSchema,
  'homeostat.action.started.v1': actionStartedSchema,
  'homeostat.outcome.recorded.v1': outcomeRecordedSchema,
  'homeostat.knowledge.updated.v1': knowledgeUpdatedSchema,
  'homeostat.control.v1': controlCommandSchema,
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.output<(typeof eventSchemas)[T]>;

export const EVENT_TYPES = Object.keys(eventSchemas) as EventType[];

/** Event types whose data is bytes (OTLP protobuf): binary content mode on the bus, never JSON. */
export const BINARY_EVENT_TYPES: readonly EventType[] = [
  'homeostat.telemetry.spans.otlp.v1',
  'homeostat.telemetry.metrics.otlp.v1',
  'homeostat.telemetry.logs.otlp.v1',
];
export type BinaryEventType =
  'homeostat.telemetry.spans.otlp.v1' | 'homeostat.telemetry.metrics.otlp.v1' | 'homeostat.telemetry.logs.otlp.v1';

export const JSON_CONTENT_TYPE = 'application/json';
export const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';
export type DataContentType = typeof JSON_CONTENT_TYPE | typeof PROTOBUF_CONTENT_TYPE;

const binaryTypes: ReadonlySet<string> = new Set(BINARY_EVENT_TYPES);

export function isBinaryEventType(type: string): type is BinaryEventType {
  return binaryTypes.has(type);
}

/** The datacontenttype an event of `type` has: protobuf for the OTLP types, JSON for all others. */
export function dataContentTypeOf(type: EventType): DataContentType {
  return binaryTypes.has(type) ? PROTOBUF_CONTENT_TYPE : JSON_CONTENT_TYPE;
}

export function isEventType(s: string): s is EventType {
  return Object.prototype.hasOwnProperty.call(eventSchemas, s);
}

/** Which event types may travel on which topic. Each type has exactly one home topic. */
export const topicEvents: Record<Topic, readonly EventType[]> = {
  'telemetry.spans': ['homeostat.telemetry.spans.v1', 'homeostat.telemetry.spans.otlp.v1'],
  'telemetry.metrics': ['homeostat.telemetry.metrics.v1', 'homeostat.telemetry.metrics.otlp.v1'],
  'telemetry.logs': ['homeostat.telemetry.logs.v1', 'homeostat.telemetry.logs.otlp.v1', 'homeostat.build.reported.v1'],
  'loop.incidents': ['homeostat.incident.opened.v1', 'homeostat.incident.updated.v1', 'homeostat.incident.resolved.v1'],
  'loop.decisions': ['homeostat.decision.made.v1'],
  'loop.outcomes': ['homeostat.action.started.v1', 'homeostat.outcome.recorded.v1'],
  'loop.knowledge': ['homeostat.knowledge.updated.v1'],
  'loop.control': ['homeostat.control.v1'],
};

const homeTopic = new Map<EventType, Topic>(
  (Object.entries(topicEvents) as [Topic, readonly EventType[]][]).flatMap(([topic, types]) => types.map((type) => [type, topic] as const)),
);

export function topicOfType(type: EventType): Topic {
  const topic = homeTopic.get(type);
  if (topic === undefined) throw new Error(`event type ${type} has no topic`);
  return topic;
}

import { Reader, Writer } from 'protobufjs';
import type { AnyEnvelope, BinaryEventType, EventType, LogsBatch, MetricsBatch, SpansBatch } from '@homeostat/contracts';
import { DEFAULT_MAX_ITEMS_PER_BATCH, resourceOf, type MapResult } from './batch';
import { decodeProtobuf, otlpRoot, protobufDecodeError, type Signal } from './codec';
import { OtlpLimitExceeded, within } from './limits';
import { mapLogs } from './logs';
import { mapMetrics } from './metrics';
import { mapTraces } from './traces';

/*
 * The collector's protobuf path: OTLP is put on the bus as received, split per target, without
 * decoding a single span. protobufjs's Reader walks the three outer levels that every signal
 * shares —
 *
 *   Export*ServiceRequest { repeated Resource* resource_* = 1 }
 *   Resource*             { Resource resource = 1; repeated Scope* scope_* = 2; string schema_url = 3 }
 *   Scope*                { InstrumentationScope scope = 1; repeated <item> items = 2; string schema_url = 3 }
 *
 * (items: spans, metrics, log_records) — reading each Resource (a few attributes) for its
 * service.name and counting items by skipping over them. A request is the concatenation of its
 * tagged resource_* fields, so one target's payload is its fields' bytes, concatenated: no
 * re-encoding, and no copy at all when the request concerns one target (the common case).
 * Consumers decode and map a payload with mapOtlpPayload (the full decoder and the contracts).
 */

/** The OTLP event type of each signal (binary content mode on the bus). */
export const OTLP_EVENT_TYPES = {
  traces: 'homeostat.telemetry.spans.otlp.v1',
  metrics: 'homeostat.telemetry.metrics.otlp.v1',
  logs: 'homeostat.telemetry.logs.otlp.v1',
} as const satisfies Record<Signal, BinaryEventType>;

/** The structured event type the batches of a signal have. */
export const BATCH_EVENT_TYPES = {
  traces: 'homeostat.telemetry.spans.v1',
  metrics: 'homeostat.telemetry.metrics.v1',
  logs: 'homeostat.telemetry.logs.v1',
} as const satisfies Record<Signal, EventType>;

export interface TargetPayload {
  /** The resources' service.name (unknown_service without one): envelope subject and key. */
  subject: string;
  /** Spans, metrics or log records in the payload. */
  items: number;
  /** An Export*ServiceRequest holding only this target's resources. */
  payload: Uint8Array;
}

export interface SplitOptions {
  /** At most this many items per payload (a target with more is split). Default 512. */
  maxItemsPerPayload?: number;
  /**
   * At most this many bytes per payload (a target with more is split between items; an item
   * larger than this goes alone). Default 768 KiB: with its headers, an event stays under
   * Kafka's default record limit of 1 MB.
   */
  maxPayloadBytes?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 768 * 1024;

export interface SplitResult {
  payloads: TargetPayload[];
  /** Items in the whole request. */
  items: number;
  /** What the learner stores a row for: spans, metric data points, log records (the items, but for metrics). */
  dataPoints: number;
}

const LEN = 2;
const FIELD_1_LEN = (1 << 3) | LEN;
const FIELD_2_LEN = (2 << 3) | LEN;

interface ResourceSlice {
  subject: string;
  items: number;
  /** The tagged field in the request (tag, length, content). */
  field: Uint8Array;
  /** Its content: the Resource* message. */
  content: Uint8Array;
}

/** The repeated field of each request that holds its resources (for messages). */
const RESOURCES_FIELD: Record<Signal, string> = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' };

let resourceType: ReturnType<ReturnType<typeof otlpRoot>['lookupType']> | undefined;

/**
 * The subjects of the last few Resources decoded, by their bytes: an exporter sends the same
 * resource with every request, and comparing its bytes costs far less than decoding them. The
 * bytes are copied (a request body's memory is reused once it is published).
 */
const recentResources: { bytes: Buffer; subject: string }[] = [];
const RECENT_RESOURCES = 16;

function subjectOf(resource: Uint8Array | undefined): string {
  if (resource === undefined) return resourceOf({}).subject;
  for (const recent of recentResources) if (recent.bytes.equals(resource)) return recent.subject;
  resourceType ??= otlpRoot().lookupType('opentelemetry.proto.resource.v1.Resource');
  const subject = resourceOf({ resource: resourceType.decode(resource) }).subject;
  recentResources.unshift({ bytes: Buffer.from(resource), subject });
  if (recentResources.length > RECENT_RESOURCES) recentResources.pop();
  return subject;
}

/** Reads one Resource*: its resource (for the subject), how many items its scopes hold and (metrics) their data points. */
function readResource(content: Uint8Array, signal: Signal): { subject: string; items: number; points: number } {
  const reader = Reader.create(content);
  let resource: Uint8Array | undefined;
  let items = 0;
  let points = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === FIELD_1_LEN) resource = reader.bytes();
    else if (tag === FIELD_2_LEN) {
      const scope = reader.bytes();
      const counted = countItems(scope, signal === 'metrics');
      items += counted.items;
      points += counted.points;
    } else reader.skipType(tag & 7);
  }
  return { subject: subjectOf(resource), items, points: signal === 'metrics' ? points : items };
}

function countItems(scope: Uint8Array, metrics: boolean): { items: number; points: number } {
  const reader = Reader.create(scope);
  let items = 0;
  let points = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === FIELD_2_LEN) {
      items++;
      if (metrics) {
        const length = reader.uint32();
        const start = reader.pos;
        points += countDataPoints(reader, start + length);
        // Whatever the item holds, the walk goes on after it as when it is skipped (skip()
        // throws when the item runs past the scope, as skipType did).
        reader.pos = start;
        reader.skip(length);
        continue;
      }
    }
    reader.skipType(tag & 7);
  }
  return { items, points };
}

/** Metric's gauge (5), sum (7), histogram (9), exponential_histogram (10) and summary (11): data points are their field 1. */
const GAUGE = (5 << 3) | LEN;
const SUM = (7 << 3) | LEN;
const HISTOGRAM = (9 << 3) | LEN;
const EXPONENTIAL_HISTOGRAM = (10 << 3) | LEN;
const SUMMARY = (11 << 3) | LEN;

/**
 * The data points of the Metric between the reader's position and `end`, counted without
 * decoding them (the same reader, no allocation), so that the collector's received count is in
 * data points, as the learner's stored rows are. A metric whose inside is not valid protobuf
 * counts the points read so far: it is not refused here (its consumers dead-letter it).
 */
function countDataPoints(reader: Reader, end: number): number {
  let points = 0;
  try {
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag !== GAUGE && tag !== SUM && tag !== HISTOGRAM && tag !== EXPONENTIAL_HISTOGRAM && tag !== SUMMARY) {
        reader.skipType(tag & 7);
        continue;
      }
      const dataEnd = reader.pos + reader.uint32();
      while (reader.pos < dataEnd) {
        const inner = reader.uint32();
        if (inner === FIELD_1_LEN) points++;
        reader.skipType(inner & 7);
      }
    }
  } catch {
    // Malformed inside: see above.
  }
  return points;
}

/**
 * Splits a protobuf Export*ServiceRequest into one payload per target (more when a target has
 * more than maxItemsPerPayload items or maxPayloadBytes bytes), in the order targets first
 * appear. Throws OtlpDecodeError when the outer levels are not valid protobuf, OtlpLimitExceeded
 * when a resource is past OTLP_LIMITS (its service.name is the bus key); what is inside the items
 * is not looked at (consumers check it, mapOtlpPayload).
 */
export function splitByTarget(signal: Signal, body: Uint8Array, options: SplitOptions = {}): SplitResult {
  const max = Math.max(1, options.maxItemsPerPayload ?? DEFAULT_MAX_ITEMS_PER_BATCH);
  const maxBytes = Math.max(1, options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES);
  const byTarget = new Map<string, ResourceSlice[]>();
  let items = 0;
  let dataPoints = 0;
  let index = 0;
  try {
    const reader = Reader.create(body);
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.uint32();
      if (tag >>> 3 !== 1) {
        // Export*ServiceRequest has no other field: an unknown one is skipped, as decoders do.
        reader.skipType(tag & 7);
        continue;
      }
      if (tag !== FIELD_1_LEN) throw new Error(`field 1 has wire type ${tag & 7}, not length-delimited`);
      const content = reader.bytes();
      const read = within(`${RESOURCES_FIELD[signal]}[${index++}]`, () => readResource(content, signal));
      items += read.items;
      dataPoints += read.points;
      // Not `{ ...read, field, content }`: named properties after a spread take V8's slow path.
      const slice: ResourceSlice = { subject: read.subject, items: read.items, field: body.subarray(start, reader.pos), content };
      const slices = byTarget.get(read.subject);
      if (slices) slices.push(slice);
      else byTarget.set(read.subject, [slice]);
    }
  } catch (error) {
    throw error instanceof OtlpLimitExceeded ? error : protobufDecodeError(signal, error);
  }
  const payloads: TargetPayload[] = [];
  for (const [subject, slices] of byTarget) {
    const total = slices.reduce((n, s) => n + s.items, 0);
    if (total === 0) continue;
    if (total <= max && slices.reduce((n, s) => n + s.field.byteLength, 0) <= maxBytes) {
      const only = slices.length === 1 ? slices[0] : undefined;
      const payload =
        only === undefined ? concat(slices.map((s) => s.field)) : only.field.byteLength === body.byteLength ? body : only.field;
      payloads.push({ subject, items: total, payload });
    } else {
      for (const part of splitLarge(slices, max, maxBytes)) payloads.push({ subject, ...part });
    }
  }
  return { payloads, items, dataPoints };
}

interface Layout {
  /** The Resource* fields other than its scopes (resource, schema_url, unknown), tagged. */
  others: Uint8Array[];
  scopes: { others: Uint8Array[]; items: Uint8Array[] }[];
}

/** The tagged fields of a message, split into field 2 (length-delimited) and the rest. */
function fieldsOf(content: Uint8Array): { field2: Uint8Array[]; others: Uint8Array[] } {
  const reader = Reader.create(content);
  const field2: Uint8Array[] = [];
  const others: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    reader.skipType(tag & 7);
    (tag === FIELD_2_LEN ? field2 : others).push(content.subarray(start, reader.pos));
  }
  return { field2, others };
}

/** The content of a tagged length-delimited field. */
const contentOf = (field: Uint8Array): Uint8Array => {
  const reader = Reader.create(field);
  reader.uint32();
  return reader.bytes();
};

function layoutOf(content: Uint8Array): Layout {
  const { field2, others } = fieldsOf(content);
  return {
    others,
    scopes: field2.map((scope) => {
      const inner = fieldsOf(contentOf(scope));
      return { others: inner.others, items: inner.field2 };
    }),
  };
}

const concat = (parts: Uint8Array[]): Uint8Array => (parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts));

/** A tagged length-delimited field around `parts` (framed by protobufjs's Writer). */
const frame = (tag: number, parts: Uint8Array[]): Uint8Array => Writer.create().uint32(tag).bytes(concat(parts)).finish();

/**
 * One target's resources in payloads of at most `max` items and `maxBytes` bytes: whole
 * resources while they fit; a larger one is cut between items, each piece a Resource* with the
 * same resource and scope. An item larger than `maxBytes` makes a payload of its own.
 */
function splitLarge(slices: ResourceSlice[], max: number, maxBytes: number): { items: number; payload: Uint8Array }[] {
  const out: { items: number; payload: Uint8Array }[] = [];
  let parts: Uint8Array[] = [];
  let count = 0;
  let bytes = 0;
  const flush = (): void => {
    if (count > 0) out.push({ items: count, payload: concat(parts) });
    parts = [];
    count = 0;
    bytes = 0;
  };
  const size = (fields: Uint8Array[]): number => fields.reduce((n, f) => n + f.byteLength, 0);
  for (const slice of slices) {
    if (slice.items === 0) continue;
    if (count + slice.items <= max && bytes + slice.field.byteLength <= maxBytes) {
      parts.push(slice.field);
      count += slice.items;
      bytes += slice.field.byteLength;
      continue;
    }
    const layout = layoutOf(slice.content);
    for (const scope of layout.scopes) {
      // A piece's bytes besides its items: the resource's and the scope's other fields, and two
      // tags with their lengths (at most 6 bytes each).
      const framing = size(layout.others) + size(scope.others) + 12;
      for (let i = 0; i < scope.items.length;) {
        let take = 0;
        let piece = framing;
        while (
          i + take < scope.items.length &&
          count + take < max &&
          bytes + piece + (scope.items[i + take]?.byteLength ?? 0) <= maxBytes
        ) {
          piece += scope.items[i + take]?.byteLength ?? 0;
          take++;
        }
        if (take === 0) {
          if (count > 0) {
            flush();
            continue;
          }
          // Alone, and still too large: it goes as it is.
          take = 1;
          piece += scope.items[i]?.byteLength ?? 0;
        }
        const scopeField = frame(FIELD_2_LEN, [...scope.others, ...scope.items.slice(i, i + take)]);
        parts.push(frame(FIELD_1_LEN, [...layout.others, scopeField]));
        count += take;
        bytes += piece;
        i += take;
      }
    }
  }
  flush();
  return out;
}

type BatchOf = { traces: SpansBatch; metrics: MetricsBatch; logs: LogsBatch };

const MAPPERS = { traces: mapTraces, metrics: mapMetrics, logs: mapLogs } as const;

/**
 * A consumer's side of the OTLP events: decodes a payload (protobufjs) and maps it to contract
 * batches, checking each item (what fails is counted in `rejected`, with reasons in
 * errorMessage). Throws OtlpDecodeError (not retryable) when the payload is not valid protobuf,
 * OtlpLimitExceeded (not retryable) when it is past OTLP_LIMITS.
 */
export function mapOtlpPayload<S extends Signal>(signal: S, payload: Uint8Array, receivedAtUnixNano?: string): MapResult<BatchOf[S]> {
  const request = decodeProtobuf(signal, payload);
  return MAPPERS[signal](request, {
    maxItemsPerBatch: Number.MAX_SAFE_INTEGER,
    ...(receivedAtUnixNano ? { receivedAtUnixNano } : {}),
  }) as MapResult<BatchOf[S]>;
}

export interface ExpandedOtlpEvent {
  /** The equivalent structured events (spans/metrics/logs .v1), with the OTLP event's envelope. */
  events: AnyEnvelope[];
  accepted: number;
  rejected: number;
  errorMessage: string;
}

const SIGNAL_OF_TYPE: Record<string, Signal> = {
  [OTLP_EVENT_TYPES.traces]: 'traces',
  [OTLP_EVENT_TYPES.metrics]: 'metrics',
  [OTLP_EVENT_TYPES.logs]: 'logs',
};

/** The signal of an OTLP event type, undefined for every other type. */
export const otlpSignalOf = (type: string): Signal | undefined => SIGNAL_OF_TYPE[type];

/**
 * An OTLP event as the structured events consumers already handle: one per resource × scope,
 * keeping the envelope (id, time, subject, trace). Other events come back as they are.
 */
export function expandOtlpEvent(event: AnyEnvelope): ExpandedOtlpEvent {
  const signal = otlpSignalOf(event.type);
  if (signal === undefined) return { events: [event], accepted: 0, rejected: 0, errorMessage: '' };
  const { payload } = event.data as { payload: Uint8Array };
  // Logs without an observed time get the time the collector put them on the bus.
  const received = Date.parse(event.time);
  const result = mapOtlpPayload(signal, payload, Number.isFinite(received) ? `${received}000000` : undefined);
  const type = BATCH_EVENT_TYPES[signal];
  const events = result.batches.map(
    (b) => ({ ...event, type, datacontenttype: 'application/json', subject: b.subject, data: b.data }) as unknown as AnyEnvelope,
  );
  return { events, accepted: result.accepted, rejected: result.rejected, errorMessage: result.errorMessage };
}

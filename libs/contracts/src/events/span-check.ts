import { z } from 'zod';
import { SPAN_KINDS, STATUS_CODES, spansBatchSchema, type Span, type SpansBatch } from './telemetry.schema';
import { safeParseReporting } from '../errors';

/*
 * A fast path for the per-span contract check (spanSchema): every span the collector reads,
 * every protobuf span each consumer maps, and every span of a structured event the bus
 * publishes is checked, and zod costs about ten times what these plain tests do. `satisfiesSpanContract` answers true only for a span
 * the schema accepts (span-check.spec.ts holds it to that against zod on broken variants of
 * every field); when it answers false the caller asks zod, for the verdict and its message, so
 * a span the fast path misjudges costs time, never correctness.
 */

const HEX_32 = /^[0-9a-f]{32}$/;
const HEX_16 = /^[0-9a-f]{16}$/;
const ZEROS = /^0+$/;
const UNIX_NANO = /^\d{1,20}$/;
const KINDS: ReadonlySet<unknown> = new Set(SPAN_KINDS);
const CODES: ReadonlySet<unknown> = new Set(STATUS_CODES);

const isTraceId = (v: unknown): boolean => typeof v === 'string' && HEX_32.test(v) && !ZEROS.test(v);
const isSpanId = (v: unknown): boolean => typeof v === 'string' && HEX_16.test(v) && !ZEROS.test(v);
const isUnixNano = (v: unknown): v is string => typeof v === 'string' && UNIX_NANO.test(v);
const isNonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isOptionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Only these keys (each optional here; required ones are tested by the caller). */
function hasOnlyKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

function isAttributes(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k in v) {
    const value = v[k];
    if (typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return false;
      continue;
    }
    if (!Array.isArray(value)) return false;
    for (const item of value) if (typeof item !== 'string') return false;
  }
  return true;
}

const SPAN_KEYS = new Set([
  'traceId',
  'spanId',
  'parentSpanId',
  'traceState',
  'name',
  'kind',
  'startTimeUnixNano',
  'endTimeUnixNano',
  'attributes',
  'status',
  'events',
  'links',
]);
const STATUS_KEYS = new Set(['code', 'message']);
const EVENT_KEYS = new Set(['timeUnixNano', 'name', 'attributes']);
const LINK_KEYS = new Set(['traceId', 'spanId', 'traceState', 'attributes']);

function nanoLte(a: string, b: string): boolean {
  return a.length < 16 && b.length < 16 ? Number(a) <= Number(b) : BigInt(a) <= BigInt(b);
}

/** True only when spanSchema accepts `span`; false when it does not, or when this cannot tell cheaply. */
export function satisfiesSpanContract(span: Span): boolean {
  const s = span as unknown as Record<string, unknown>;
  if (!isPlainObject(s) || !hasOnlyKeys(s, SPAN_KEYS)) return false;
  if (!isTraceId(s['traceId']) || !isSpanId(s['spanId'])) return false;
  if ('parentSpanId' in s && !isSpanId(s['parentSpanId'])) return false;
  if (!isOptionalString(s['traceState']) || !isNonEmpty(s['name']) || !KINDS.has(s['kind'])) return false;
  const start = s['startTimeUnixNano'];
  const end = s['endTimeUnixNano'];
  if (!isUnixNano(start) || !isUnixNano(end) || !nanoLte(start, end)) return false;
  if (!isAttributes(s['attributes'])) return false;
  const status = s['status'];
  if (!isPlainObject(status) || !hasOnlyKeys(status, STATUS_KEYS) || !CODES.has(status['code']) || !isOptionalString(status['message']))
    return false;
  const events = s['events'];
  if (!Array.isArray(events)) return false;
  for (const e of events as unknown[]) {
    if (!isPlainObject(e) || !hasOnlyKeys(e, EVENT_KEYS)) return false;
    if (!isUnixNano(e['timeUnixNano']) || !isNonEmpty(e['name']) || !isAttributes(e['attributes'])) return false;
  }
  if ('links' in s) {
    const links = s['links'];
    if (!Array.isArray(links)) return false;
    for (const l of links as unknown[]) {
      if (!isPlainObject(l) || !hasOnlyKeys(l, LINK_KEYS)) return false;
      if (!isTraceId(l['traceId']) || !isSpanId(l['spanId']) || !isOptionalString(l['traceState']) || !isAttributes(l['attributes']))
        return false;
    }
  }
  return true;
}

/** spansBatchSchema without its spans: the batch's frame, checked by zod once per batch. */
const spansBatchFrame = spansBatchSchema.extend({ spans: z.array(z.never()) });

/**
 * spansBatchSchema's verdict on `value`, with each span passed by satisfiesSpanContract where it
 * can: zod checks the frame (resource, scope), and the whole batch only when a span needs it.
 */
export function checkSpansBatch(value: unknown): z.ZodSafeParseResult<SpansBatch> {
  if (isPlainObject(value)) {
    const spans = value['spans'];
    if (Array.isArray(spans) && spans.length > 0 && (spans as Span[]).every(satisfiesSpanContract)) {
      const frame = spansBatchFrame.safeParse({ ...value, spans: [] });
      if (frame.success) return { success: true, data: { ...frame.data, spans: spans as Span[] } };
    }
  }
  return safeParseReporting(spansBatchSchema, value);
}

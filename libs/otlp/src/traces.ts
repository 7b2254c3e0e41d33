import {
  SPAN_KINDS,
  STATUS_CODES,
  safeParseReporting,
  satisfiesSpanContract,
  spanSchema,
  type Span,
  type SpansBatch,
} from '@homeostat/contracts';
import {
  DEFAULT_MAX_ITEMS_PER_BATCH,
  Rejections,
  Unmappable,
  chunk,
  nano,
  requiredId,
  resourceOf,
  scopeOf,
  type MapOptions,
  type MapResult,
  type TelemetryBatch,
} from './batch';
import { OTLP_LIMITS, OtlpLimitExceeded, checkChars, within } from './limits';
import { asArray, asObject, asString, attributesOf, enumValue, idHex } from './values';

const SPAN_KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

function toSpan(s: Record<string, unknown>): Span {
  const parent = idHex(s['parentSpanId'], 8);
  if (parent === null) throw new Unmappable('parentSpanId must be 8 bytes and not all zeros, or empty');
  const kind = enumValue(s['kind'], SPAN_KIND_NAMES);
  const status = asObject(s['status']);
  const code = status ? enumValue(status['code'], STATUS_CODE_NAMES) : 0;
  if (code === null || STATUS_CODES[code] === undefined)
    throw new Unmappable(`status.code ${String(status?.['code'])} is not a StatusCode`);
  const statusMessage = status ? asString(status['message']) : '';
  const traceState = asString(s['traceState']);
  const name = asString(s['name']);
  // A server span without a route attribute is counted under its name: a label of its series.
  checkChars(name, 'name', OTLP_LIMITS.labelValueChars);
  const links = asArray(s['links']).map((l, i) => {
    const link = asObject(l) ?? {};
    const linkState = asString(link['traceState']);
    return {
      traceId: requiredId(link['traceId'], 16, `links[${i}].traceId`),
      spanId: requiredId(link['spanId'], 8, `links[${i}].spanId`),
      ...(linkState ? { traceState: linkState } : {}),
      attributes: attributesOf(link['attributes']),
    };
  });
  return {
    traceId: requiredId(s['traceId'], 16, 'traceId'),
    spanId: requiredId(s['spanId'], 8, 'spanId'),
    ...(parent ? { parentSpanId: parent } : {}),
    ...(traceState ? { traceState } : {}),
    name,
    // Open enum: a kind from a newer protocol version reads as unspecified.
    kind: SPAN_KINDS[kind ?? 0] ?? 'unspecified',
    startTimeUnixNano: nano(s['startTimeUnixNano'], 'startTimeUnixNano'),
    endTimeUnixNano: nano(s['endTimeUnixNano'], 'endTimeUnixNano'),
    attributes: attributesOf(s['attributes']),
    status: { code: STATUS_CODES[code] ?? 'unset', ...(statusMessage ? { message: statusMessage } : {}) },
    events: asArray(s['events']).map((e, i) => {
      const event = asObject(e) ?? {};
      return {
        timeUnixNano: nano(event['timeUnixNano'], `events[${i}].timeUnixNano`),
        name: asString(event['name']),
        attributes: attributesOf(event['attributes']),
      };
    }),
    ...(links.length > 0 ? { links } : {}),
  };
}

/**
 * ExportTraceServiceRequest (decoded protobuf or parsed OTLP/JSON) → one SpansBatch per resource ×
 * scope. A span that cannot be mapped or fails the contract is rejected alone; the rest go on.
 */
export function mapTraces(request: unknown, options: MapOptions = {}): MapResult<SpansBatch> {
  const max = options.maxItemsPerBatch ?? DEFAULT_MAX_ITEMS_PER_BATCH;
  const rejections = new Rejections();
  const batches: TelemetryBatch<SpansBatch>[] = [];
  let accepted = 0;
  asArray(asObject(request)?.['resourceSpans']).forEach((r, ri) => {
    const resourceSpans = asObject(r) ?? {};
    const { subject, resource } = within(`resourceSpans[${ri}]`, () => resourceOf(resourceSpans));
    asArray(resourceSpans['scopeSpans']).forEach((sc, si) => {
      const scopeSpans = asObject(sc) ?? {};
      const scope = within(`resourceSpans[${ri}].scopeSpans[${si}]`, () => scopeOf(scopeSpans));
      const spans: Span[] = [];
      asArray(scopeSpans['spans']).forEach((raw, i) => {
        const path = `resourceSpans[${ri}].scopeSpans[${si}].spans[${i}]`;
        try {
          const span = toSpan(asObject(raw) ?? {});
          // zod only for what the fast check cannot pass: its verdict, and the reason to report.
          const checked = satisfiesSpanContract(span) ? undefined : safeParseReporting(spanSchema, span);
          if (checked === undefined || checked.success) spans.push(span);
          else rejections.addViolation(path, checked.error);
        } catch (error) {
          if (error instanceof OtlpLimitExceeded) throw error.at(path);
          if (!(error instanceof Unmappable)) throw error;
          rejections.add(path, error.message);
        }
      });
      accepted += spans.length;
      for (const slice of chunk(spans, max)) batches.push({ subject, data: { resource, scope, spans: slice } });
    });
  });
  return { batches, accepted, rejected: rejections.count, errorMessage: rejections.message('spans') };
}

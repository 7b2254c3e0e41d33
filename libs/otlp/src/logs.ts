import { logRecordSchema, safeParseReporting, type LogRecord, type LogsBatch } from '@homeostat/contracts';
import {
  DEFAULT_MAX_ITEMS_PER_BATCH,
  Rejections,
  Unmappable,
  chunk,
  nano,
  nowUnixNano,
  resourceOf,
  scopeOf,
  type MapOptions,
  type MapResult,
  type TelemetryBatch,
} from './batch';
import { OtlpLimitExceeded, within } from './limits';
import { anyValueToText, asArray, asObject, asString, attributesOf, enumValue, idHex } from './values';

const SEVERITY_NAMES = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((l) => [
    `SEVERITY_NUMBER_${l}`,
    `SEVERITY_NUMBER_${l}2`,
    `SEVERITY_NUMBER_${l}3`,
    `SEVERITY_NUMBER_${l}4`,
  ]),
];

function toLogRecord(l: Record<string, unknown>, receivedAt: string): LogRecord {
  const severityNumber = enumValue(l['severityNumber'], SEVERITY_NAMES);
  if (severityNumber === null) throw new Unmappable(`severityNumber ${String(l['severityNumber'])} is not a SeverityNumber`);
  let observed = nano(l['observedTimeUnixNano'], 'observedTimeUnixNano');
  // We are the collection system that observed it, if nobody before us did.
  if (observed === '0') observed = receivedAt;
  let time = nano(l['timeUnixNano'], 'timeUnixNano');
  // OTel: use the event time if known, else the observed time.
  if (time === '0') time = observed;
  const severityText = asString(l['severityText']);
  const attributes = attributesOf(l['attributes']);
  const eventName = asString(l['eventName']);
  if (eventName && attributes['event.name'] === undefined) attributes['event.name'] = eventName;
  // An invalid trace or span id means "not associated with a trace" (OTLP), not a bad record.
  const traceId = idHex(l['traceId'], 16);
  const spanId = idHex(l['spanId'], 8);
  const flags = typeof l['flags'] === 'number' ? l['flags'] : 0;
  return {
    timeUnixNano: time,
    observedTimeUnixNano: observed,
    severityNumber,
    ...(severityText ? { severityText } : {}),
    body: anyValueToText(l['body'], 'body'),
    attributes,
    ...(traceId ? { traceId } : {}),
    ...(traceId && spanId ? { spanId } : {}),
    ...(flags ? { flags } : {}),
  };
}

/** ExportLogsServiceRequest → one LogsBatch per resource × scope; a bad record is rejected alone. */
export function mapLogs(request: unknown, options: MapOptions = {}): MapResult<LogsBatch> {
  const max = options.maxItemsPerBatch ?? DEFAULT_MAX_ITEMS_PER_BATCH;
  const receivedAt = options.receivedAtUnixNano ?? nowUnixNano();
  const rejections = new Rejections();
  const batches: TelemetryBatch<LogsBatch>[] = [];
  let accepted = 0;
  asArray(asObject(request)?.['resourceLogs']).forEach((r, ri) => {
    const resourceLogs = asObject(r) ?? {};
    const { subject, resource } = within(`resourceLogs[${ri}]`, () => resourceOf(resourceLogs));
    asArray(resourceLogs['scopeLogs']).forEach((sc, si) => {
      const scopeLogs = asObject(sc) ?? {};
      const scope = within(`resourceLogs[${ri}].scopeLogs[${si}]`, () => scopeOf(scopeLogs));
      const records: LogRecord[] = [];
      asArray(scopeLogs['logRecords']).forEach((raw, i) => {
        const path = `resourceLogs[${ri}].scopeLogs[${si}].logRecords[${i}]`;
        try {
          const record = toLogRecord(asObject(raw) ?? {}, receivedAt);
          const checked = safeParseReporting(logRecordSchema, record);
          if (checked.success) records.push(record);
          else rejections.addViolation(path, checked.error);
        } catch (error) {
          if (error instanceof OtlpLimitExceeded) throw error.at(path);
          if (!(error instanceof Unmappable)) throw error;
          rejections.add(path, error.message);
        }
      });
      accepted += records.length;
      for (const slice of chunk(records, max)) batches.push({ subject, data: { resource, scope, logRecords: slice } });
    });
  });
  return { batches, accepted, rejected: rejections.count, errorMessage: rejections.message('log records') };
}

import type { Attributes } from '@homeostat/contracts';
import { toDateTime64, type DateTime64Precision } from '@homeostat/store';

/** Rows for one table, written as one JSONEachRow insert. */
export interface TableRows {
  table: string;
  rows: Record<string, unknown>[];
}

/** Keeps the tables that got rows, in the order given. */
export function nonEmpty(groups: readonly TableRows[]): TableRows[] {
  return groups.filter((g) => g.rows.length > 0);
}

/** OTLP nanoseconds (a decimal string) as DateTime64(9) text; BigInt keeps every digit. */
export function unixNanoToDateTime64(unixNano: string): string {
  return toDateTime64(BigInt(unixNano), 9);
}

const ISO_FRACTION = /\.(\d+)(?=Z|[+-]\d{2}:\d{2}$)/i;

/**
 * An RFC 3339 timestamp (as the contracts validate it) in Unix nanoseconds. Date would cut the
 * fraction at milliseconds, so the fraction is read separately.
 */
export function isoToUnixNanos(iso: string): bigint {
  const fraction = ISO_FRACTION.exec(iso)?.[1] ?? '';
  const millis = Date.parse(iso.replace(ISO_FRACTION, ''));
  if (Number.isNaN(millis)) throw new RangeError(`not an RFC 3339 timestamp: "${iso}"`);
  return BigInt(millis) * 1_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9));
}

export function isoToDateTime64(iso: string, precision: DateTime64Precision): string {
  return toDateTime64(isoToUnixNanos(iso), precision);
}

/** Whole milliseconds since the epoch, as the ledger's `version`. */
export function isoToUnixMillis(iso: string): number {
  return Number(isoToUnixNanos(iso) / 1_000_000n);
}

/**
 * An attribute value as the exporter stores it in a Map(String, String) (pcommon `AsString`):
 * strings as they are, booleans as true/false, numbers in plain decimal notation (never
 * exponent notation, like Go's FormatFloat(v, 'f', -1, 64)), arrays as JSON.
 */
export function attributeValueToString(value: Attributes[string]): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return plainDecimal(value);
  return JSON.stringify(value);
}

export function attributesToMap(attributes: Attributes | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  if (!attributes) return map;
  // for…in, not Object.entries: no pair array per attribute (the learner maps ~20 per span).
  for (const key in attributes) map[key] = attributeValueToString(attributes[key] as Attributes[string]);
  return map;
}

/** Shortest round-trip digits of a finite number, without exponent notation. */
export function plainDecimal(n: number): string {
  const text = String(n);
  if (!text.includes('e')) return text;
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = '', lead = '', rest = '', exp = '0'] = match;
  const digits = lead + rest;
  const point = 1 + Number(exp); // position of the decimal point within `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The ids of an envelope's W3C traceparent; undefined when it has none. */
export function traceContextOf(traceparent: string | undefined): TraceContext | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (!match) return undefined;
  return { traceId: match[1] ?? '', spanId: match[2] ?? '', flags: Number.parseInt(match[3] ?? '0', 16) };
}

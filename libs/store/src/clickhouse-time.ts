export type DateTime64Precision = 0 | 3 | 6 | 9;

/**
 * Formats a time as ClickHouse's `YYYY-MM-DD hh:mm:ss[.fraction]` in UTC, the form every
 * DateTime64 column parses without extra settings. A `bigint` is Unix nanoseconds (OTLP's
 * `timeUnixNano`), so DateTime64(9) keeps every digit a JS Date would lose.
 */
export function toDateTime64(time: Date | bigint, precision: DateTime64Precision = 3): string {
  const nanos = typeof time === 'bigint' ? time : BigInt(time.getTime()) * 1_000_000n;
  if (nanos < 0n) throw new RangeError(`time before 1970 cannot be stored: ${nanos}ns`);
  const seconds = nanos / 1_000_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').slice(0, precision);
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return precision === 0 ? base : `${base}.${fraction}`;
}

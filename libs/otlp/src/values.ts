import type { Attributes } from '@homeostat/contracts';
import { OTLP_LIMITS, OtlpLimitExceeded, shown } from './limits';

/**
 * Normalizers that read a field the same way whether it came from protobuf (protobufjs message:
 * bytes as Uint8Array, 64-bit integers as Long, unset fields as prototype defaults) or from
 * OTLP/JSON (ids as hex strings, 64-bit integers as strings or numbers, absent fields undefined).
 */

/** protobufjs' Long, without depending on its type. */
interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

const isLong = (v: unknown): v is LongLike =>
  typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number';

/** An own property, so a protobuf message's prototype defaults do not count as set. */
export const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

export const asObject = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) ? (v as Record<string, unknown>) : undefined;

export const asArray = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

export const asString = (v: unknown): string => (typeof v === 'string' ? v : '');

const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const HEX_ID = /^[0-9a-fA-F]*$/;

/**
 * A trace or span id as lowercase hex. `undefined` when absent (empty), `null` when present but
 * invalid: not `bytes` long, or all zeros (OTLP: both mean "invalid").
 */
export function idHex(v: unknown, bytes: number): string | undefined | null {
  let hex: string;
  if (v instanceof Uint8Array) {
    if (v.length === 0) return undefined;
    if (v.length !== bytes) return null;
    hex = '';
    for (let i = 0; i < v.length; i++) hex += BYTE_HEX[v[i] ?? 0] ?? '';
  } else if (typeof v === 'string') {
    if (v === '') return undefined;
    if (v.length !== bytes * 2 || !HEX_ID.test(v)) return null;
    hex = v.toLowerCase();
  } else if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
    return undefined;
  } else {
    return null;
  }
  return /^0+$/.test(hex) ? null : hex;
}

const TWO_32 = 4294967296;

/** An unsigned 64-bit integer (fixed64 nanoseconds) as a decimal string; `null` if it is not one. */
export function uint64String(v: unknown): string | null {
  if (v === undefined || v === null) return '0';
  if (isLong(v)) {
    const hi = v.high >>> 0;
    const lo = v.low >>> 0;
    if (hi < 0x200000) return String(hi * TWO_32 + lo);
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }
  if (typeof v === 'string') return /^\d{1,20}$/.test(v) ? v.replace(/^0+(?=\d)/, '') : null;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? String(v) : null;
  return null;
}

/** A 64-bit integer as a JS number when it is safe, else as a decimal string (no precision lost). */
export function int64Value(v: unknown): number | string | null {
  if (isLong(v)) {
    if (v.unsigned) {
      const hi = v.high >>> 0;
      return hi < 0x200000 ? hi * TWO_32 + (v.low >>> 0) : ((BigInt(hi) << 32n) | BigInt(v.low >>> 0)).toString();
    }
    const n = v.high * TWO_32 + (v.low >>> 0);
    return Number.isSafeInteger(n) ? n : ((BigInt(v.high) << 32n) | BigInt(v.low >>> 0)).toString();
  }
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : BigInt(v).toString();
  }
  return null;
}

/** A count (fixed64/uint64 in OTLP) as a number; `null` when not a non-negative safe integer. */
export function countValue(v: unknown): number | null {
  if (v === undefined || v === null) return 0;
  const n = int64Value(v);
  return typeof n === 'number' && n >= 0 ? n : null;
}

/** A double; OTLP/JSON may spell NaN and the infinities as strings. */
export function doubleValue(v: unknown): number | null {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = Number(v);
    return v.trim() !== '' && !Number.isNaN(n) ? n : null;
  }
  return null;
}

/** An enum: OTLP/JSON sends integers; the canonical proto3 JSON names are accepted too. */
export function enumValue(v: unknown, names: readonly string[]): number | null {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    return i >= 0 ? i : null;
  }
  return null;
}

/** A plain value for the contract; non-finite doubles become strings (JSON has no NaN). */
function scalar(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

function bytesBase64(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return typeof v === 'string' ? v : '';
}

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

const tooDeep = (field: string): OtlpLimitExceeded =>
  new OtlpLimitExceeded(`${field} nests arrayValue and kvlistValue more than ${OTLP_LIMITS.anyValueDepth} levels deep`);

/**
 * An AnyValue as plain JSON (kvlist → object, array → array, bytes → base64, empty → null).
 * `field` names it when it nests deeper than OTLP_LIMITS.anyValueDepth (OtlpLimitExceeded).
 */
export function anyValueToPlain(v: unknown, field = 'value', depth = 0): Plain {
  const o = asObject(v);
  if (!o) return null;
  if (has(o, 'stringValue')) return asString(o['stringValue']);
  if (has(o, 'boolValue')) return o['boolValue'] === true;
  if (has(o, 'intValue')) return int64Value(o['intValue']);
  if (has(o, 'doubleValue')) {
    const d = doubleValue(o['doubleValue']);
    return d === null ? null : scalar(d);
  }
  if (has(o, 'bytesValue')) return bytesBase64(o['bytesValue']);
  if (has(o, 'arrayValue')) {
    if (depth >= OTLP_LIMITS.anyValueDepth) throw tooDeep(field);
    return asArray(asObject(o['arrayValue'])?.['values']).map((e) => anyValueToPlain(e, field, depth + 1));
  }
  if (has(o, 'kvlistValue')) {
    if (depth >= OTLP_LIMITS.anyValueDepth) throw tooDeep(field);
    const out: Record<string, Plain> = {};
    for (const kv of asArray(asObject(o['kvlistValue'])?.['values'])) {
      const k = asObject(kv);
      if (k) out[asString(k['key'])] = anyValueToPlain(k['value'], field, depth + 1);
    }
    return out;
  }
  return null;
}

/** An AnyValue as text (a log body): strings as they are, everything else as JSON. */
export function anyValueToText(v: unknown, field = 'value'): string {
  const plain = anyValueToPlain(v, field);
  if (plain === null) return '';
  return typeof plain === 'string' ? plain : JSON.stringify(plain);
}

function elementText(p: Plain): string {
  if (p === null) return '';
  return typeof p === 'string' ? p : typeof p === 'object' ? JSON.stringify(p) : String(p);
}

/**
 * Sets one attribute the way the contract holds them: scalars as they are, arrays as arrays of
 * strings, maps (kvlistValue) flattened into dotted keys, bytes as base64, empty as ''.
 */
function setAttribute(out: Attributes, key: string, v: unknown, root: string, depth: number): void {
  const o = asObject(v);
  if (!o) {
    out[key] = '';
    return;
  }
  if (has(o, 'stringValue')) out[key] = asString(o['stringValue']);
  else if (has(o, 'boolValue')) out[key] = o['boolValue'] === true;
  else if (has(o, 'intValue')) out[key] = int64Value(o['intValue']) ?? '';
  else if (has(o, 'doubleValue')) {
    const d = doubleValue(o['doubleValue']);
    out[key] = d === null ? '' : scalar(d);
  } else if (has(o, 'kvlistValue')) {
    if (depth >= OTLP_LIMITS.anyValueDepth) throw tooDeep(`attribute ${shown(root)}`);
    for (const kv of asArray(asObject(o['kvlistValue'])?.['values'])) {
      const k = asObject(kv);
      if (k) setAttribute(out, `${key}.${asString(k['key'])}`, k['value'], root, depth + 1);
    }
  } else if (has(o, 'arrayValue')) {
    const field = `attribute ${shown(root)}`;
    if (depth >= OTLP_LIMITS.anyValueDepth) throw tooDeep(field);
    out[key] = asArray(asObject(o['arrayValue'])?.['values']).map((e) => elementText(anyValueToPlain(e, field, depth + 1)));
  } else if (has(o, 'bytesValue')) out[key] = bytesBase64(o['bytesValue']);
  else out[key] = '';
}

/** A repeated KeyValue as the contract's flat attribute map. */
export function attributesOf(keyValues: unknown): Attributes {
  const out: Attributes = {};
  const list = asArray(keyValues);
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as Record<string, unknown> | null;
    if (typeof kv !== 'object' || kv === null) continue;
    const key = asString(kv['key']);
    setAttribute(out, key, kv['value'], key, 0);
  }
  return out;
}

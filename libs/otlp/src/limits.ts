import type { Attributes } from '@homeostat/contracts';

/**
 * Bounds on what in a request becomes an identifier downstream — the bus key, a series name, a
 * label — and on how deeply values nest (the mappers walk them recursively). Far above what
 * instrumentation sends; a request past one is refused whole, naming the field (400).
 */
export const OTLP_LIMITS = {
  /** The resource's service.name: the target, the events' subject and the bus key. */
  targetChars: 256,
  /** A metric's name: the name of its series. */
  seriesNameChars: 256,
  /** Labels of a series: a data point's attributes (after nested maps are flattened into dotted keys). */
  labels: 128,
  labelKeyChars: 256,
  /** A label's value (a data point attribute's value, as text), and a span's name (its route when it has no route attribute). */
  labelValueChars: 1024,
  /** Levels of arrayValue and kvlistValue inside an AnyValue (an attribute or a log body). */
  anyValueDepth: 32,
} as const;

/**
 * A request past one of OTLP_LIMITS (→ 400 with a google.rpc.Status). Like a malformed payload,
 * it fails again however often it is read: a consumer dead-letters it at once.
 */
export class OtlpLimitExceeded extends Error {
  readonly code = 'OTLP_LIMIT_EXCEEDED';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'OtlpLimitExceeded';
  }

  /** The same refusal, saying where in the request it is. */
  at(path: string): OtlpLimitExceeded {
    return new OtlpLimitExceeded(`${path}: ${this.message}`);
  }
}

/** Text for a message: what a user needs to recognise it, not all of it. */
export const shown = (text: string): string => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

/** Throws when `value` has more than `max` characters. */
export function checkChars(value: string, field: string, max: number): void {
  if (value.length > max) throw new OtlpLimitExceeded(`${field} is ${value.length} characters; at most ${max}`);
}

/** A label's value as text; numbers and booleans are short whatever they are. */
const labelText = (v: Attributes[string]): string => (typeof v === 'string' ? v : Array.isArray(v) ? JSON.stringify(v) : '');

/** A data point's attributes are its series' labels: how many, and how long each key and value is. */
export function checkLabels(attributes: Attributes): void {
  const keys = Object.keys(attributes);
  if (keys.length > OTLP_LIMITS.labels) throw new OtlpLimitExceeded(`has ${keys.length} attributes; at most ${OTLP_LIMITS.labels}`);
  for (const key of keys) {
    checkChars(key, `attribute key ${shown(key)}`, OTLP_LIMITS.labelKeyChars);
    const value = attributes[key];
    if (value !== undefined) checkChars(labelText(value), `attribute ${shown(key)}`, OTLP_LIMITS.labelValueChars);
  }
}

/** Runs `read`; a refusal from it says it happened at `path`. */
export function within<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw error instanceof OtlpLimitExceeded ? error.at(path) : error;
  }
}

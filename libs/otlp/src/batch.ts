import { ContractViolation, type Attributes } from '@homeostat/contracts';
import type { z } from 'zod';
import { OTLP_LIMITS, checkChars, within } from './limits';
import { asObject, asString, attributesOf, idHex, uint64String } from './values';

/** One contract batch (one resource × scope, or a slice of one) and the target it concerns. */
export interface TelemetryBatch<T> {
  /** The resource's `service.name`: the envelope subject and the partition key. */
  subject: string;
  data: T;
}

export interface MapResult<T> {
  batches: TelemetryBatch<T>[];
  /** Spans, data points or log records accepted. */
  accepted: number;
  /** Items rejected; each also counted in `errorMessage`. */
  rejected: number;
  /** For the response's partial_success; empty when nothing was rejected. */
  errorMessage: string;
}

export interface MapOptions {
  /**
   * At most this many items (spans, data points, log records) per batch, so that one message
   * stays well under a broker's message size limit. Default 512.
   */
  maxItemsPerBatch?: number;
  /** When the collector received the data (logs without an observed time get it). */
  receivedAtUnixNano?: string;
}

export const DEFAULT_MAX_ITEMS_PER_BATCH = 512;

/** OTel: a resource without service.name is reported as unknown_service. */
export const UNKNOWN_SERVICE = 'unknown_service';

const MAX_LISTED_ERRORS = 5;

/** Counts what is rejected and keeps the first few reasons for the response. */
export class Rejections {
  count = 0;
  private readonly reasons: string[] = [];

  add(path: string, reason: string, items = 1): void {
    this.count += items;
    if (this.reasons.length < MAX_LISTED_ERRORS) this.reasons.push(`${path}: ${reason}`);
  }

  addViolation(path: string, error: z.ZodError, items = 1): void {
    const issues = ContractViolation.fromZod(error).issues;
    this.add(path, issues.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join(', '), items);
  }

  message(noun: string): string {
    if (this.count === 0) return '';
    const more = this.count > this.reasons.length ? ` (first ${this.reasons.length} shown)` : '';
    return `${this.count} ${noun} rejected${more}: ${this.reasons.join('; ')}`;
  }
}

export interface ResourceInfo {
  subject: string;
  resource: { attributes: Attributes; schemaUrl?: string };
}

/**
 * The resource and its target. Throws OtlpLimitExceeded when service.name is longer than
 * OTLP_LIMITS.targetChars (it becomes the events' subject and the bus key) or an attribute nests
 * too deeply.
 */
export function resourceOf(resourceX: Record<string, unknown>): ResourceInfo {
  const attributes = within('resource', () => attributesOf(asObject(resourceX['resource'])?.['attributes']));
  const name = attributes['service.name'];
  const subject = name === undefined || name === '' ? UNKNOWN_SERVICE : Array.isArray(name) ? name.join(',') : String(name);
  checkChars(subject, 'resource attribute service.name', OTLP_LIMITS.targetChars);
  const schemaUrl = asString(resourceX['schemaUrl']);
  return { subject, resource: schemaUrl ? { attributes, schemaUrl } : { attributes } };
}

export interface ScopeInfo {
  name: string;
  version?: string;
  attributes?: Attributes;
}

export function scopeOf(scopeX: Record<string, unknown>): ScopeInfo {
  const s = asObject(scopeX['scope']);
  if (!s) return { name: '' };
  const version = asString(s['version']);
  const attributes = within('scope', () => attributesOf(s['attributes']));
  return {
    name: asString(s['name']),
    ...(version ? { version } : {}),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
  };
}

/** Splits `items` into slices whose weights add up to at most `max` (an item heavier than max stays alone). */
export function chunk<T>(items: readonly T[], max: number, weight: (item: T) => number = () => 1): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let load = 0;
  for (const item of items) {
    const w = weight(item);
    if (current.length > 0 && load + w > max) {
      out.push(current);
      current = [];
      load = 0;
    }
    current.push(item);
    load += w;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export const nowUnixNano = (): string => `${Date.now()}000000`;

/** Why an item cannot be mapped at all (before the contract check); it is rejected alone. */
export class Unmappable extends Error {}

export function requiredId(v: unknown, bytes: number, field: string): string {
  const id = idHex(v, bytes);
  if (id === undefined) throw new Unmappable(`${field} is missing`);
  if (id === null) throw new Unmappable(`${field} must be ${bytes} bytes and not all zeros`);
  return id;
}

export function nano(v: unknown, field: string): string {
  const n = uint64String(v);
  if (n === null) throw new Unmappable(`${field} must be an unsigned 64-bit integer`);
  return n;
}

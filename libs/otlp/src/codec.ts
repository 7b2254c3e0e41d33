import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { OTLP_LIMITS } from './limits';

/** The three OTLP signals and the names OTLP gives them (paths, messages, partial-success fields). */
export const SIGNALS = {
  traces: {
    request: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
    response: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
    rejectedField: 'rejectedSpans',
  },
  metrics: {
    request: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
    response: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
    rejectedField: 'rejectedDataPoints',
  },
  logs: {
    request: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
    response: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse',
    rejectedField: 'rejectedLogRecords',
  },
} as const;
export type Signal = keyof typeof SIGNALS;

export type OtlpEncoding = 'protobuf' | 'json';

/** The payload is not a valid OTLP message in its encoding (→ 400 with a google.rpc.Status). */
export class OtlpDecodeError extends Error {
  readonly code = 'OTLP_MALFORMED';
  /** Decoding the same bytes again fails again: a consumer dead-letters them at once. */
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}

const PROTO_DIR = join(__dirname, '..', 'proto');

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports resolve against the vendored tree; google/protobuf/* come with protobufjs.
  root.resolvePath = (origin, target) => {
    const vendored = join(PROTO_DIR, target);
    return existsSync(vendored) ? vendored : protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(
    [
      'opentelemetry/proto/collector/trace/v1/trace_service.proto',
      'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
      'opentelemetry/proto/collector/logs/v1/logs_service.proto',
      'google/rpc/status.proto',
    ],
    { keepCase: false },
  );
  root.resolveAll();
  return root;
}

let root: protobuf.Root | undefined;
/** The OTLP types (loaded once, on first use). */
export function otlpRoot(): protobuf.Root {
  root ??= loadRoot();
  return root;
}

const type = (name: string): protobuf.Type => otlpRoot().lookupType(name);

/**
 * Why a body is not a protobuf Export*ServiceRequest. protobufjs refuses messages nested more
 * than 100 deep (Reader.recursionLimit, protoc's default) and its decoders are recursive.
 */
export function protobufDecodeError(signal: Signal, error: unknown): OtlpDecodeError {
  if (error instanceof OtlpDecodeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const reason =
    error instanceof RangeError || message === 'maximum nesting depth exceeded'
      ? `it nests messages too deeply (arrayValue and kvlistValue may nest at most ${OTLP_LIMITS.anyValueDepth} levels)`
      : message;
  return new OtlpDecodeError(`not a valid protobuf ${SIGNALS[signal].request.split('.').pop()}: ${reason}`, { cause: error });
}

/** Decodes an Export*ServiceRequest; the result is read by the mappers like parsed OTLP/JSON. */
export function decodeProtobuf(signal: Signal, body: Uint8Array): unknown {
  try {
    return type(SIGNALS[signal].request).decode(body);
  } catch (error) {
    throw protobufDecodeError(signal, error);
  }
}

/** Parses an OTLP/JSON request body (UTF-8). */
export function decodeJson(body: Uint8Array | string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    throw new OtlpDecodeError(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new OtlpDecodeError('an OTLP/JSON request must be a JSON object');
  return value;
}

export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

/**
 * Export*ServiceResponse in the request's encoding. `partial_success` is set only when something
 * was rejected or there is a message (OTLP: an empty one means full success).
 */
export function encodeExportResponse(signal: Signal, encoding: OtlpEncoding, partial?: PartialSuccess): Uint8Array {
  const set = partial !== undefined && (partial.rejected > 0 || partial.errorMessage !== '');
  const field = SIGNALS[signal].rejectedField;
  if (encoding === 'json') {
    // OTLP/JSON: int64 as a decimal string, as protobuf's JSON mapping writes it.
    const body = set ? { partialSuccess: { [field]: String(partial.rejected), errorMessage: partial.errorMessage } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  const t = type(SIGNALS[signal].response);
  return t.encode(t.fromObject(set ? { partialSuccess: { [field]: partial.rejected, errorMessage: partial.errorMessage } } : {})).finish();
}

/** gRPC status codes used in OTLP/HTTP error bodies. */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A google.rpc.Status (the body of an OTLP/HTTP error response) in the given encoding. */
export function encodeStatus(encoding: OtlpEncoding, code: number, message: string): Uint8Array {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  const t = type('google.rpc.Status');
  return t.encode(t.fromObject({ code, message })).finish();
}

/** For tests and clients: an Export*ServiceRequest from a plain object (camelCase fields, ids as bytes). */
export function encodeRequestProtobuf(signal: Signal, request: Record<string, unknown>): Uint8Array {
  const t = type(SIGNALS[signal].request);
  return t.encode(t.fromObject(request)).finish();
}

/** Decodes a response body (protobuf) to a plain object, for tests and clients. */
export function decodeResponseProtobuf(name: 'google.rpc.Status' | `${Signal}`, body: Uint8Array): Record<string, unknown> {
  const t = type(name === 'google.rpc.Status' ? name : SIGNALS[name].response);
  return t.toObject(t.decode(body), { longs: Number, defaults: false }) as Record<string, unknown>;
}

import { context, propagation, trace, type Context, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { randomFillSync } from 'node:crypto';

const w3c = new W3CTraceContextPropagator();

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

interface Carrier {
  traceparent?: string;
  tracestate?: string;
}

const getter = {
  get: (carrier: Carrier, key: string) =>
    key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined,
  keys: () => ['traceparent', 'tracestate'],
};
const setter = {
  set: (carrier: Carrier, key: string, value: string) => {
    if (key === 'traceparent') carrier.traceparent = value;
    if (key === 'tracestate') carrier.tracestate = value;
  },
};

/**
 * The W3C traceparent of the active span. When no span is active (or the SDK is off) a fresh
 * root traceparent is minted, so every event starts or continues a trace: one loop iteration is
 * one trace whether or not our own tracing is exported.
 */
// Random ids for new traces from a pool refilled 1 KiB at a time: one randomBytes() call per
// id costs microseconds, and the collector starts a trace per request when none is active.
const pool = Buffer.alloc(1024);
let used = pool.length;
function randomHex(bytes: number): string {
  for (;;) {
    if (used + bytes > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const hex = pool.toString('hex', used, used + bytes);
    used += bytes;
    // All zeros is not a valid id (W3C); draw again.
    if (!/^0+$/.test(hex)) return hex;
  }
}

export function currentTraceparent(ctx: Context = context.active()): { traceparent: string; tracestate?: string } {
  const carrier: Carrier = {};
  w3c.inject(ctx, carrier, setter);
  if (carrier.traceparent) {
    return carrier.tracestate ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate } : { traceparent: carrier.traceparent };
  }
  return { traceparent: `00-${randomHex(16)}-${randomHex(8)}-01` };
}

/** The context carried by an event's traceparent, as the parent for the consumer's span. */
export function contextFromTraceparent(traceparent: string | undefined, tracestate?: string): Context {
  if (!traceparent || !TRACEPARENT.test(traceparent)) return ROOT_CONTEXT;
  const carrier: Carrier = tracestate ? { traceparent, tracestate } : { traceparent };
  return w3c.extract(ROOT_CONTEXT, carrier, getter);
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}

/** Active trace and span ids, for log correlation. */
export function activeTraceIds(): { traceId?: string; spanId?: string } {
  const span = trace.getSpan(context.active());
  const sc = span?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return {};
  return { traceId: sc.traceId, spanId: sc.spanId };
}

export { TraceFlags, propagation };

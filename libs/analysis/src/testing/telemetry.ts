import type { LogsBatch, SpansBatch } from '@homeostat/contracts';

// A target's spans and log lines over one time bucket, for the engine's tests.

export const BUCKET = 10_000;
const ns = (ms: number): string => (BigInt(Math.round(ms)) * 1_000_000n).toString();
let spanSeq = 0;
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** Deterministic noise, so the test is the same on every run. */
export function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

export function spans(startMs: number, count: number, latency: () => number, errorEvery = 0, errorMessage = 'pool timeout'): SpansBatch {
  return {
    resource: { attributes: { 'service.name': 'shop' } },
    scope: { name: 'test' },
    spans: Array.from({ length: count }, (_, i) => {
      const t = startMs + (i * BUCKET) / count;
      const id = ++spanSeq;
      return {
        traceId: hex(id, 32),
        spanId: hex(id, 16),
        name: 'GET /checkout',
        kind: 'server' as const,
        startTimeUnixNano: ns(t),
        endTimeUnixNano: ns(t + latency()),
        attributes: { 'http.route': '/checkout', 'http.request.method': 'GET' },
        status: errorEvery > 0 && i % errorEvery === 0 ? { code: 'error' as const, message: errorMessage } : { code: 'unset' as const },
        events: [],
      };
    }),
  };
}

export function logs(
  startMs: number,
  lines: { body: string; severity: number; attributes?: Record<string, string | number> }[],
): LogsBatch {
  return {
    resource: { attributes: { 'service.name': 'shop' } },
    scope: { name: 'test' },
    logRecords: lines.map((l, i) => ({
      timeUnixNano: ns(startMs + i),
      observedTimeUnixNano: ns(startMs + i),
      severityNumber: l.severity,
      body: l.body,
      attributes: l.attributes ?? {},
    })),
  };
}

import type { LogsBatch, SpansBatch } from '@homeostat/contracts';
import { AnalysisEngine, type IncidentEvent } from './analysis-engine';

const BUCKET = 10_000;
const ns = (ms: number): string => (BigInt(Math.round(ms)) * 1_000_000n).toString();
let spanSeq = 0;
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** Deterministic noise, so the test is the same on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

function spans(startMs: number, count: number, latency: () => number, errorEvery = 0): SpansBatch {
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
        status: errorEvery > 0 && i % errorEvery === 0 ? { code: 'error' as const, message: 'pool timeout' } : { code: 'unset' as const },
        events: [],
      };
    }),
  };
}

function logs(startMs: number, lines: { body: string; severity: number }[]): LogsBatch {
  return {
    resource: { attributes: { 'service.name': 'shop' } },
    scope: { name: 'test' },
    logRecords: lines.map((l, i) => ({ timeUnixNano: ns(startMs + i), observedTimeUnixNano: ns(startMs + i), severityNumber: l.severity, body: l.body, attributes: {} })),
  };
}

describe('AnalysisEngine', () => {
  it('opens an incident for a latency spike with a pool-exhaustion log pattern, resolves it, and fingerprints the recurrence the same', () => {
    let n = 0;
    const engine = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    const noise = rng(7);
    const events: IncidentEvent[] = [];
    let now = 1_700_000_000_000;
    const bucket = (fault: boolean): void => {
      const latency = fault ? () => 1800 + noise() * 400 : () => 20 + noise() * 10;
      engine.ingestSpans('shop', spans(now, 40, latency, fault ? 3 : 0), now);
      const lines = Array.from({ length: 10 }, (_, i) => ({ body: `GET /checkout 200 served in ${10 + i} ms`, severity: 9 }));
      if (fault) for (let i = 0; i < 15; i++) lines.push({ body: `timeout acquiring connection after ${5000 + i} ms (pool size 10, 10 in use)`, severity: 17 });
      engine.ingestLogs('shop', logs(now, lines), now);
      now += BUCKET;
      events.push(...engine.tick(now));
      // The clock runs on between buckets, as the ticker does.
      events.push(...engine.tick(now + BUCKET / 2));
    };

    for (let i = 0; i < 60; i++) bucket(false);
    expect(events).toEqual([]);
    for (let i = 0; i < 6; i++) bucket(true);
    for (let i = 0; i < 20; i++) bucket(false);
    for (let i = 0; i < 6; i++) bucket(true);
    for (let i = 0; i < 20; i++) bucket(false);

    const types = events.map((e) => e.type.split('.')[2]);
    expect(types.filter((t) => t === 'opened')).toHaveLength(2);
    expect(types.filter((t) => t === 'resolved')).toHaveLength(2);
    const opened = events.filter((e): e is Extract<IncidentEvent, { type: 'homeostat.incident.opened.v1' }> => e.type === 'homeostat.incident.opened.v1');
    const [first, second] = opened;
    expect(first!.data.fingerprint).toBe(second!.data.fingerprint);
    expect(first!.data.incidentId).not.toBe(second!.data.incidentId);
    expect(first!.data.evidence.series.map((s) => s.name)).toContain('span.duration.p95');
    expect(first!.data.evidence.logTemplates.map((t) => t.template).join(' ')).toMatch(/timeout acquiring connection/);
    expect(first!.data.evidence.failingSpans.length).toBeGreaterThan(0);
    expect(first!.data.hypothesis?.suspect).toEqual({ service: 'shop', component: 'db-pool' });
    expect(first!.data.severity).toBe('critical');
    const resolved = events.find((e) => e.type === 'homeostat.incident.resolved.v1');
    expect(resolved?.data).toMatchObject({ incidentId: first!.data.incidentId, resolution: 'self-healed', fingerprint: first!.data.fingerprint });
  });

  it('continues after a snapshot and restore: the detectors stay warm and an open incident resolves', () => {
    let n = 0;
    const engine = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    const noise = rng(11);
    let now = 1_700_000_000_000;
    const feed = (target: AnalysisEngine, fault: boolean): IncidentEvent[] => {
      target.ingestSpans('shop', spans(now, 40, fault ? () => 2000 + noise() * 100 : () => 20 + noise() * 10, fault ? 3 : 0), now);
      now += BUCKET;
      return [...target.tick(now), ...target.tick(now + BUCKET / 2)];
    };
    for (let i = 0; i < 40; i++) expect(feed(engine, false)).toEqual([]);
    const opened = [0, 1, 2, 3].flatMap(() => feed(engine, true)).filter((e) => e.type === 'homeostat.incident.opened.v1');
    expect(opened).toHaveLength(1);

    const restarted = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    restarted.restore(JSON.parse(JSON.stringify(engine.snapshot(now))));
    const after = Array.from({ length: 12 }, () => feed(restarted, false)).flat();
    expect(after.map((e) => [e.type, e.data.incidentId])).toEqual([['homeostat.incident.resolved.v1', opened[0]!.data.incidentId]]);
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryIdempotencyStore } from '@homeostat/bus';
import { serviceDefinitions } from '@homeostat/cli';
import { SERVICE_NAMES } from '@homeostat/config';
import type { AnyEnvelope } from '@homeostat/contracts';
import { encodeRequestProtobuf } from '@homeostat/otlp';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { eventually, testConfig } from '../support';

const LOOP = `apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: shop-health, version: 1 }
spec:
  target: { service: shop }
  signals:
    - { kind: span, name: "*" }
    - { kind: log, query: "connection", severityAtLeast: warn }
  detection: { sensitivity: 0.9, minSignals: 2, gatherFor: 2s, resolveAfter: 3s }
  actions:
    - { name: recycle-pool, adapter: http, params: { method: POST, url: "http://127.0.0.1:3000/actuator/pool/recycle" }, risk: low }
  guardrails:
    budget: { maxActions: 3, window: 10m }
    cooldown: 30s
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: 3 }
    approval: { aboveRisk: high }
    dryRun: false
  verification:
    healthCheck: { url: "http://127.0.0.1:3000/health", consecutive: 2, interval: 1s }
    deadline: 30s
`;

/** The shop as an OpenTelemetry SDK would report it: spans over OTLP protobuf, logs over OTLP/JSON. */
class ShopTraffic {
  private timer: NodeJS.Timeout | undefined;
  fault = false;
  errors: string[] = [];
  constructor(private readonly collector: string) {}

  start(): void {
    this.timer = setInterval(() => void this.send().catch((e: unknown) => this.errors.push(String(e))), 200);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async send(): Promise<void> {
    const now = Date.now();
    const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] };
    const spans = Array.from({ length: 8 }, (_, i) => {
      const latencyMs = this.fault ? 1500 + Math.random() * 500 : 15 + Math.random() * 10;
      const start = BigInt(now - 200 + i * 20) * 1_000_000n;
      return {
        traceId: randomBytes(16),
        spanId: randomBytes(8),
        name: 'GET /checkout',
        kind: 2,
        startTimeUnixNano: start.toString(),
        endTimeUnixNano: (start + BigInt(Math.round(latencyMs * 1e6))).toString(),
        attributes: [
          { key: 'http.route', value: { stringValue: '/checkout' } },
          { key: 'http.request.method', value: { stringValue: 'GET' } },
        ],
        status: { code: this.fault && i % 2 === 0 ? 2 : 0 },
      };
    });
    const traces = encodeRequestProtobuf('traces', { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'shop' }, spans }] }] });
    const lines = [{ severityNumber: 9, body: `GET /checkout 200 in ${Math.round(Math.random() * 20)} ms` }];
    if (this.fault)
      for (let i = 0; i < 4; i++)
        lines.push({ severityNumber: 17, body: `timeout acquiring connection after ${5000 + i} ms: pool exhausted (10/10 in use)` });
    const logs = {
      resourceLogs: [
        {
          resource,
          scopeLogs: [
            {
              scope: { name: 'shop' },
              logRecords: lines.map((l) => ({
                timeUnixNano: (BigInt(now) * 1_000_000n).toString(),
                severityNumber: l.severityNumber,
                body: { stringValue: l.body },
              })),
            },
          ],
        },
      ],
    };
    const responses = await Promise.all([
      fetch(`${this.collector}/v1/traces`, {
        method: 'POST',
        body: Buffer.from(traces),
        headers: { 'content-type': 'application/x-protobuf' },
      }),
      fetch(`${this.collector}/v1/logs`, { method: 'POST', body: JSON.stringify(logs), headers: { 'content-type': 'application/json' } }),
    ]);
    for (const r of responses) if (r.status !== 200) this.errors.push(`${r.url}: ${r.status} ${await r.text()}`);
  }
}

describe('observe → analyze on Kafka: OTLP through the collector to incidents', () => {
  let stack: RunningStack;
  let traffic: ShopTraffic;
  const incidents: AnyEnvelope[] = [];

  beforeAll(async () => {
    const loops = await mkdtemp(join(tmpdir(), 'loops-'));
    await writeFile(join(loops, 'shop.yaml'), LOOP);
    const database = `incident_${randomUUID().slice(0, 8)}`;
    const config = testConfig('kafka', database, {
      HOMEOSTAT_TOPIC_PREFIX: `${database}.`,
      HOMEOSTAT_LOOPS_DIR: loops,
      ANALYZER_BUCKET_MS: '1000',
      ANALYZER_TICK_MS: '200',
    });
    stack = await runServices(serviceDefinitions(SERVICE_NAMES), config, new JsonLogger('test', 'warn', () => undefined));
    await stack.bus.subscribe({
      decode: 'event',
      group: 'incident-watcher',
      topics: ['loop.incidents'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (e) => (incidents.push(e), Promise.resolve()),
    });
    traffic = new ShopTraffic(stack.services.find((s) => s.name === 'collector')!.url);
    traffic.start();
  });

  afterAll(async () => {
    traffic?.stop();
    await stack?.stop();
  });

  const of = (type: string): AnyEnvelope[] => incidents.filter((e) => e.type === type);

  it('opens an incident for a latency spike with a pool-exhaustion log pattern, resolves it, and gives the recurrence the same fingerprint', async () => {
    // Normal traffic long enough for the baselines to form.
    await new Promise((r) => setTimeout(r, 20_000));
    expect(of('homeostat.incident.opened.v1')).toEqual([]);

    for (const occurrence of [1, 2]) {
      traffic.fault = true;
      await eventually(`incident ${occurrence} opened`, () => of('homeostat.incident.opened.v1').length === occurrence, 30_000);
      traffic.fault = false;
      await eventually(`incident ${occurrence} resolved`, () => of('homeostat.incident.resolved.v1').length === occurrence, 60_000);
    }

    const [first, second] = of('homeostat.incident.opened.v1');
    if (first?.type !== 'homeostat.incident.opened.v1' || second?.type !== 'homeostat.incident.opened.v1')
      throw new Error('expected two opened incidents');
    expect(first.subject).toBe('shop');
    expect(first.data.loop).toBe('shop-health');
    expect(second.data.fingerprint).toBe(first.data.fingerprint);
    expect(second.data.incidentId).not.toBe(first.data.incidentId);
    expect(first.data.evidence.series.map((s) => s.name)).toContain('span.duration.p95');
    expect(first.data.evidence.logTemplates.map((t) => t.template).join('\n')).toMatch(/timeout acquiring connection/);
    expect(first.data.hypothesis?.suspect.service).toBe('shop');
    const resolved = of('homeostat.incident.resolved.v1')[0];
    expect(resolved?.type === 'homeostat.incident.resolved.v1' && resolved.data.incidentId).toBe(first.data.incidentId);
    // One loop iteration is one trace: the incident carries a traceparent.
    expect(first.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(traffic.errors).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import { MemoryIdempotencyStore } from '@homeostat/bus';
import { createEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { JsonLogger } from '@homeostat/telemetry';
import { LearnerStore } from '@homeostat/learner';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { serviceDefinitions } from '@homeostat/cli';
import { SERVICE_NAMES } from '@homeostat/config';
import { sampleDecisionMade, sampleIncidentOpened, sampleSpans } from '@homeostat/contracts/testing';
import { encodeRequestProtobuf } from '@homeostat/otlp';
import { eventually, getJson, testConfig } from '../support';

/**
 * The five services, started as the CLI starts them, in each mode: they become ready, consume
 * their topics, and the learner stores what travels (telemetry, ledger, dead letters) in chDB.
 */
describe.each(['embedded', 'kafka'] as const)('the six services in %s mode', (mode) => {
  let stack: RunningStack;
  const lines: string[] = [];

  beforeAll(async () => {
    const database = `stack_${mode}_${randomUUID().slice(0, 8)}`;
    const config = testConfig(mode, database, {
      HOMEOSTAT_TOPIC_PREFIX: `${database}.`,
      LOG_LEVEL: process.env['DEBUG_STACK'] ? 'debug' : 'warn',
    });
    stack = await runServices(serviceDefinitions(SERVICE_NAMES), config, new JsonLogger('test', config.logLevel, (l) => lines.push(l)));
  });

  afterAll(async () => {
    await stack?.stop();
    if (process.env['DEBUG_STACK']) process.stderr.write(lines.join('\n') + '\n');
  });

  const url = (name: string): string => {
    const s = stack.services.find((x) => x.name === name);
    if (!s) throw new Error(`${name} is not running`);
    return s.url;
  };

  it('starts every service and reports ready', async () => {
    expect(stack.services.map((s) => s.name).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const s of stack.services) {
      await eventually(`${s.name} ready`, async () => (await getJson(`${s.url}/readyz`)).status === 200);
      expect((await getJson(`${s.url}/healthz`)).body).toEqual({ status: 'ok', service: s.name });
    }
  });

  it('consumes each stage’s topics and stores what travels in the learner’s ClickHouse', async () => {
    const bus = stack.bus;
    const spans = createEnvelope('homeostat.telemetry.spans.v1', { source: 'test', subject: 'shop', data: sampleSpans() });
    const incident = createEnvelope('homeostat.incident.opened.v1', { source: 'test', subject: 'shop', data: sampleIncidentOpened() });
    const decision = createEnvelope('homeostat.decision.made.v1', { source: 'test', subject: 'shop', data: sampleDecisionMade() });
    await bus.publish('telemetry.spans', spans as AnyEnvelope);
    await bus.publish('loop.incidents', incident as AnyEnvelope);
    await bus.publish('loop.decisions', decision as AnyEnvelope);
    await bus.publishRaw({ topic: 'loop.incidents', key: 'shop', value: Buffer.from('not an event'), headers: {} });

    await eventually('the analyzer saw the spans', async () => {
      const { body } = await getJson(`${url('analyzer')}/stats`);
      return (body['consumed'] as Record<string, Record<string, { count: number }>>)['telemetry.spans']?.['shop']?.count === 1;
    });
    await eventually('the decider saw the incident', async () => {
      const { body } = await getJson(`${url('decider')}/stats`);
      return (
        (body['consumed'] as Record<string, Record<string, { lastEventId: string }>>)['loop.incidents']?.['shop']?.lastEventId ===
        incident.id
      );
    });
    await eventually('the executor saw the decision', async () => {
      const { body } = await getJson(`${url('executor')}/stats`);
      return (
        (body['consumed'] as Record<string, Record<string, { lastEventId: string }>>)['loop.decisions']?.['shop']?.lastEventId ===
        decision.id
      );
    });

    const learner = stack.services.find((s) => s.name === 'learner')!;
    const store = learner.app.get(LearnerStore).store;
    const count = async (sql: string): Promise<number> => {
      const rows = await (await store.client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string | number }>();
      return Number(rows[0]?.n ?? 0);
    };
    await eventually(
      'spans stored',
      async () => (await count(`SELECT count() AS n FROM otel_traces FINAL WHERE ServiceName = 'shop'`)) === sampleSpans().spans.length,
    );
    await eventually(
      'incident stored',
      async () => (await count(`SELECT count() AS n FROM incidents FINAL WHERE event_id = '${incident.id}'`)) === 1,
    );
    await eventually(
      'decision stored',
      async () => (await count(`SELECT count() AS n FROM decisions FINAL WHERE event_id = '${decision.id}'`)) === 1,
    );
    const learnerUrl = url('learner');
    await eventually('incident listed', async () => {
      const list = (await (await fetch(`${learnerUrl}/api/incidents?limit=10`)).json()) as {
        incidentId: string;
        status: string;
        fingerprint: string;
      }[];
      return list.some((i) => i.incidentId === sampleIncidentOpened().incidentId && i.status === 'opened');
    });
    const detail = (await (await fetch(`${learnerUrl}/api/incidents/${sampleIncidentOpened().incidentId}`)).json()) as {
      events: { id: string }[];
      decisions: { id: string }[];
    };
    expect(detail.events.map((e) => e.id)).toContain(incident.id);
    expect(detail.decisions.map((e) => e.id)).toContain(decision.id);
    const made = (await (await fetch(`${learnerUrl}/api/decisions/${sampleDecisionMade().decisionId}`)).json()) as {
      decision: { data: { explanation: { chosenBecause: string } } };
    };
    expect(made.decision.data.explanation.chosenBecause).toBe(sampleDecisionMade().explanation.chosenBecause);
    expect((await fetch(`${learnerUrl}/api/decisions/no-such-decision`)).status).toBe(404);
    const curve = (await (await fetch(`${learnerUrl}/api/analytics/learning-curve?loop=${sampleIncidentOpened().loop}`)).json()) as {
      incidentId: string;
    }[];
    expect(curve.map((p) => p.incidentId)).toContain(sampleIncidentOpened().incidentId);
    await eventually(
      'dead letter stored',
      async () => (await count(`SELECT count() AS n FROM dead_letters WHERE topic = 'loop.incidents' AND payload = 'not an event'`)) >= 1,
    );
  });

  it('serves its own metrics on /metrics: what the collector received is what the learner stored, exactly', async () => {
    const before = await scrape(url('collector'));
    const sent = { spans: 0, metrics: 0, logs: 0, refusedSpans: 0 };
    const postOtlp = async (signal: 'traces' | 'metrics' | 'logs', encoding: 'json' | 'protobuf', body: Record<string, unknown>) => {
      const res = await fetch(`${url('collector')}/v1/${signal}`, {
        method: 'POST',
        headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' },
        body: encoding === 'json' ? JSON.stringify(body) : Buffer.from(encodeRequestProtobuf(signal, body)),
      });
      expect(res.status).toBe(200);
    };
    // JSON: 7 spans and one the contracts refuse (a 5-byte trace id), reported in partial_success.
    await postOtlp('traces', 'json', otlpSpans(7, true, 'json'));
    await postOtlp('traces', 'protobuf', otlpSpans(5, false, 'protobuf'));
    sent.spans = 13;
    sent.refusedSpans = 1;
    // Metrics are counted in data points (a row each in ClickHouse): 3 + 2 per request.
    await postOtlp('metrics', 'json', otlpMetrics());
    await postOtlp('metrics', 'protobuf', otlpMetrics());
    sent.metrics = 10;
    await postOtlp('logs', 'json', otlpLogs(4));
    await postOtlp('logs', 'protobuf', otlpLogs(3));
    sent.logs = 7;

    const delta = (after: Scrape, sample: string): number => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);
    await eventually('the learner stored every accepted item', async () => {
      const after = await scrape(url('learner'));
      return (
        delta(after, 'homeostat_telemetry_items_stored_total{signal="spans"}') === sent.spans - sent.refusedSpans &&
        delta(after, 'homeostat_telemetry_items_stored_total{signal="metrics"}') === sent.metrics &&
        delta(after, 'homeostat_telemetry_items_stored_total{signal="logs"}') === sent.logs
      );
    });
    // Each port serves the process's registry; in this process every stage runs.
    const after = await scrape(url('collector'));
    expect(delta(after, 'homeostat_telemetry_items_received_total{signal="spans"}')).toBe(sent.spans);
    expect(delta(after, 'homeostat_telemetry_items_received_total{signal="metrics"}')).toBe(sent.metrics);
    expect(delta(after, 'homeostat_telemetry_items_received_total{signal="logs"}')).toBe(sent.logs);
    expect(delta(after, 'homeostat_telemetry_items_refused_total{signal="spans",reason="invalid"}')).toBe(sent.refusedSpans);
    expect(delta(after, 'homeostat_telemetry_items_stored_total{signal="spans"}')).toBe(sent.spans - sent.refusedSpans);
    expect(delta(after, 'homeostat_telemetry_items_stored_total{signal="metrics"}')).toBe(sent.metrics);
    expect(delta(after, 'homeostat_telemetry_items_stored_total{signal="logs"}')).toBe(sent.logs);
    expect(delta(after, 'homeostat_collector_requests_total{signal="spans",encoding="protobuf",code="200"}')).toBe(1);
    expect(delta(after, 'homeostat_collector_requests_total{signal="logs",encoding="json",code="200"}')).toBe(1);
    expect(after.get('homeostat_store_insert_batch_rows_count{table="otel_traces"}')).toBeGreaterThan(0);
    expect(after.get('homeostat_store_insert_duration_seconds_count{table="otel_traces",outcome="ok"}')).toBeGreaterThan(0);
    expect(after.get('homeostat_analyzer_series')).toBeGreaterThan(0);
    expect(after.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    // Lag per group and topic: on Kafka read from the broker (high watermark − committed offset).
    await eventually('the learner has no lag on telemetry.spans', async () => {
      const now = await scrape(url('learner'));
      return now.get('homeostat_bus_consumer_lag{group="homeostat-learner",topic="telemetry.spans"}') === 0;
    });
    const now = await scrape(url('decider'));
    expect(now.get('homeostat_bus_consumer_lag{group="homeostat-decider",topic="loop.incidents"}')).toBe(0);
    expect(now.get('homeostat_bus_messages_processed_total{group="homeostat-learner",outcome="handled"}')).toBeGreaterThan(0);
    if (mode === 'embedded') expect(now.get('homeostat_bus_queue_depth{group="homeostat-learner",topic="telemetry.spans"}')).toBe(0);
    else expect(now.get('homeostat_bus_queue_depth{group="homeostat-learner",topic="telemetry.spans"}')).toBeUndefined();
    // The dead letter of the test above, by group, topic and error code.
    const deadLetters = [...now].filter(([sample]) =>
      sample.startsWith('homeostat_bus_dead_letters_total{group="homeostat-decider",topic="loop.incidents",code="'),
    );
    expect(deadLetters.map(([, n]) => n)).toEqual([1]);
  });

  it('takes people’s commands on the control API (recorded with their actor) and serves the ledger through it', async () => {
    const api = `${url('console')}/api`;
    expect(await (await fetch(`${api}/health`)).json()).toEqual({ status: 'ok' });
    const post = (path: string, body: unknown) =>
      fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const approved = await post(`/decisions/${sampleDecisionMade().decisionId}/approve`, { reason: 'looks right', actor: 'alice' });
    expect(approved.status).toBe(202);
    expect(((await approved.json()) as { command: string }).command).toBe('approve');
    expect((await post('/loops/shop-health/pause', { reason: 'maintenance', actor: 'bob' })).status).toBe(202);
    expect((await post('/kill-switch', { on: true, reason: 'stop everything', actor: 'carol' })).status).toBe(202);
    const bad = await post('/kill-switch', { on: 'yes' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/on: must be true or false/);

    const learner = stack.services.find((s) => s.name === 'learner')!;
    const store = learner.app.get(LearnerStore).store;
    await eventually('commands in the audit trail with their actors', async () => {
      const rows = await (
        await store.client.query({ query: 'SELECT command, actor FROM control_audit FINAL ORDER BY issued_at', format: 'JSONEachRow' })
      ).json<{ command: string; actor: string }>();
      return ['approve:alice', 'pause-loop:bob', 'kill-switch:carol'].every((c) => rows.some((r) => `${r.command}:${r.actor}` === c));
    });
    await eventually('the decider saw the commands', async () => {
      const { body } = await getJson(`${url('decider')}/stats`);
      return Boolean((body['consumed'] as Record<string, unknown>)['loop.control']);
    });
    await eventually(
      'the ledger is readable through the console',
      async () => (await fetch(`${api}/decisions/${sampleDecisionMade().decisionId}`)).status === 200,
    );
    expect((await fetch(`${api}/incidents/nope`)).status).toBe(404);
  });

  it('learns from outcomes: knowledge per fingerprint × action on loop.knowledge, counting a redelivery once', async () => {
    const knowledge: AnyEnvelope[] = [];
    await stack.bus.subscribe({
      decode: 'event',
      group: `knowledge-watcher-${mode}`,
      topics: ['loop.knowledge'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (e) => (knowledge.push(e), Promise.resolve()),
    });
    const fingerprint = `shop/${randomUUID().slice(0, 8)}`;
    const outcome = (status: 'succeeded' | 'failed', ttr: number | null) =>
      createEnvelope('homeostat.outcome.recorded.v1', {
        source: 'test',
        subject: 'shop',
        data: {
          decisionId: randomUUID(),
          incidentId: 'inc-k',
          loop: 'shop-health',
          target: 'shop',
          fingerprint,
          action: { name: 'recycle-pool', adapter: 'http', params: {} },
          status,
          dryRun: false,
          applied: true,
          verification: { passed: status === 'succeeded', checks: [] },
          timeToRecoverMs: ttr,
          startedAt: new Date().toISOString(),
          finishedAt: new Date().toISOString(),
        },
      }) as AnyEnvelope;
    const first = outcome('succeeded', 4000);
    for (const e of [first, outcome('failed', null), outcome('succeeded', 2000), first]) await stack.bus.publish('loop.outcomes', e);
    await eventually('knowledge of 3 outcomes', () =>
      knowledge.some((k) => k.type === 'homeostat.knowledge.updated.v1' && k.data.fingerprint === fingerprint && k.data.tries === 3),
    );
    const last = knowledge.filter((k) => k.type === 'homeostat.knowledge.updated.v1' && k.data.fingerprint === fingerprint).at(-1);
    expect(last?.type === 'homeostat.knowledge.updated.v1' && last.data).toMatchObject({
      action: 'recycle-pool',
      tries: 3,
      successes: 2,
      failures: 1,
      meanTimeToRecoverMs: 3000,
      posterior: { alpha: 3, beta: 2 },
    });
  });
});

type Scrape = Map<string, number>;

/** GET /metrics as sample → value ('name{labels}' as printed). */
async function scrape(base: string): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const out: Scrape = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'metrics-check' } }] };
const scope = { name: 'stack-test' };
const nowNanos = (): string => `${BigInt(Date.now()) * 1_000_000n}`;

/** OTLP spans in OTLP's object form: ids as hex for JSON, as bytes for protobuf. */
function otlpSpans(count: number, withInvalid: boolean, encoding: 'json' | 'protobuf'): Record<string, unknown> {
  const t = nowNanos();
  const hex = (n: number, bytes: number): string | Buffer => {
    const text = n.toString(16).padStart(bytes * 2, '0');
    return encoding === 'json' ? text : Buffer.from(text, 'hex');
  };
  const spans: Record<string, unknown>[] = Array.from({ length: count }, (_, i) => ({
    traceId: hex(i + 1, 16),
    spanId: hex(i + 1, 8),
    name: 'GET /checkout',
    kind: 2,
    startTimeUnixNano: t,
    endTimeUnixNano: t,
    attributes: [{ key: 'http.route', value: { stringValue: '/checkout' } }],
  }));
  if (withInvalid)
    spans.push({ traceId: '0102030405', spanId: hex(99, 8), name: 'bad', kind: 1, startTimeUnixNano: t, endTimeUnixNano: t });
  return { resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }] };
}

function otlpMetrics(): Record<string, unknown> {
  const t = nowNanos();
  const point = (v: number, pool: string) => ({
    timeUnixNano: t,
    asDouble: v,
    attributes: [{ key: 'pool', value: { stringValue: pool } }],
  });
  return {
    resourceMetrics: [
      {
        resource,
        scopeMetrics: [
          {
            scope,
            metrics: [
              { name: 'db.client.connections.usage', gauge: { dataPoints: [point(1, 'a'), point(2, 'b'), point(3, 'c')] } },
              { name: 'http.requests', sum: { dataPoints: [point(4, 'a'), point(5, 'b')], aggregationTemporality: 2, isMonotonic: true } },
            ],
          },
        ],
      },
    ],
  };
}

function otlpLogs(count: number): Record<string, unknown> {
  const t = nowNanos();
  const logRecords = Array.from({ length: count }, (_, i) => ({ timeUnixNano: t, severityNumber: 9, body: { stringValue: `line ${i}` } }));
  return { resourceLogs: [{ resource, scopeLogs: [{ scope, logRecords }] }] };
}

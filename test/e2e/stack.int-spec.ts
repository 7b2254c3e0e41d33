import { randomUUID } from 'node:crypto';
import { MemoryIdempotencyStore } from '@homeostat/bus';
import { createEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { JsonLogger } from '@homeostat/telemetry';
import { LearnerStore } from '@homeostat/learner';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { serviceDefinitions } from '@homeostat/cli';
import { SERVICE_NAMES } from '@homeostat/config';
import { sampleDecisionMade, sampleIncidentOpened, sampleSpans } from '@homeostat/contracts/testing';
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
      async () => (await count(`SELECT count() AS n FROM otel_traces WHERE ServiceName = 'shop'`)) === sampleSpans().spans.length,
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

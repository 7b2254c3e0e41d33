import { createEnvelope, topicOfType, type AnyEnvelope, type EventData, type EventType } from '@homeostat/contracts';
import { sampleDecisionMade, sampleIncidentOpened } from '@homeostat/contracts/testing';
import { optimizeMessages, repairMessages } from './demo-loops';

/**
 * A few hours of the demo loops as the stages publish them (a repair and an optimize loop's too: demo-loops.ts).
 * The shop's incident loop: three kinds of failure of the shop, each
 * seen four times; the first occurrence explores (failed and rolled-back actions before the one that
 * works), later ones go straight to what worked and recover faster. Plus the shop's telemetry
 * (server spans, logs, pool gauges, a duration histogram) and people's commands. The learner turns
 * these into rows exactly as in production (the dashboards and cookbook tests run on them).
 */
export const DEMO_LOOP = 'shop';
export const DEMO_SERVICE = 'shop';
export const DEMO_START = Date.parse('2026-03-02T08:00:00.000Z');
export const DEMO_END = DEMO_START + 6 * 3600_000;

const FAILURES = [
  {
    fingerprint: 'shop|pool-exhaustion|db.client.connection.count',
    title: 'Connection pool exhausted on shop',
    fix: 'recycle-pool',
    wrong: ['enable-cache', 'restart'],
  },
  {
    fingerprint: 'shop|latency|http.client.request.duration',
    title: 'Inventory calls slow down checkout',
    fix: 'enable-cache',
    wrong: ['recycle-pool'],
  },
  {
    fingerprint: 'shop|retry-storm|http.client.request.duration',
    title: 'Retries multiply inventory load',
    fix: 'set-retry-policy',
    wrong: ['enable-cache'],
  },
] as const;

const ACTION_URL: Record<string, { method: string; url: string }> = {
  'recycle-pool': { method: 'POST', url: 'http://shop:3000/actuator/pool/recycle' },
  'enable-cache': { method: 'PUT', url: 'http://shop:3000/actuator/config' },
  'set-retry-policy': { method: 'PUT', url: 'http://shop:3000/actuator/config' },
  restart: { method: 'POST', url: 'http://shop:3000/actuator/restart' },
};

export interface DemoMessage {
  topic: string;
  event: AnyEnvelope;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0').slice(-width);
const nanos = (ms: number): string => `${BigInt(Math.round(ms)) * 1_000_000n}`;

export function demoMessages(): DemoMessage[] {
  const out: DemoMessage[] = [];
  let seq = 0;
  const emit = <T extends EventType>(type: T, timeMs: number, data: EventData<T>, source: string, subject = DEMO_SERVICE): void => {
    seq += 1;
    const event = createEnvelope(type, {
      id: `0195${hex(seq, 4)}-0000-7000-8000-${hex(seq, 12)}`,
      time: iso(timeMs),
      source,
      subject,
      traceparent: `00-${hex(seq, 8)}${'a'.repeat(24)}-${hex(seq, 16)}-01`,
      data,
    });
    out.push({ topic: topicOfType(type), event: event as unknown as AnyEnvelope });
  };

  const knowledge = new Map<string, { tries: number; successes: number; failures: number; ttr: number[] }>();
  let incidentNo = 0;
  for (let occurrence = 0; occurrence < 4; occurrence++) {
    FAILURES.forEach((failure, f) => {
      incidentNo += 1;
      const opened = DEMO_START + (occurrence * 3 + f) * 25 * 60_000 + 5 * 60_000;
      const incidentId = `inc-${String(incidentNo).padStart(3, '0')}`;
      const base = sampleIncidentOpened();
      emit(
        'homeostat.incident.opened.v1',
        opened,
        { ...base, incidentId, loop: DEMO_LOOP, fingerprint: failure.fingerprint, title: failure.title, openedAt: iso(opened) },
        'analyzer',
      );
      emit(
        'homeostat.incident.updated.v1',
        opened + 5_000,
        {
          ...base,
          incidentId,
          loop: DEMO_LOOP,
          fingerprint: failure.fingerprint,
          title: failure.title,
          openedAt: iso(opened),
          severity: 'critical',
          updatedAt: iso(opened + 5_000),
        },
        'analyzer',
      );

      // The first time: the wrong guesses first. Later: straight to the fix.
      const tried = occurrence === 0 ? [...failure.wrong, failure.fix] : [failure.fix];
      let t = opened + 12_000 - occurrence * 2_000;
      tried.forEach((action, attempt) => {
        const decisionId = `dec-${incidentId}-${attempt + 1}`;
        const call = { name: action, adapter: 'http' as const, params: ACTION_URL[action] ?? {} };
        const decision = sampleDecisionMade();
        emit(
          'homeostat.decision.made.v1',
          t,
          {
            ...decision,
            decisionId,
            incidentId,
            loop: DEMO_LOOP,
            loopVersion: '1.0.0',
            fingerprint: failure.fingerprint,
            action: call,
            attempt: attempt + 1,
          },
          'decider',
        );
        if (action === 'restart') {
          emit(
            'homeostat.control.v1',
            t + 20_000,
            { command: 'approve', decisionId, actor: 'alice', reason: 'restart is fine off-peak' },
            'console',
          );
          t += 20_000;
        }
        const started = t + 500;
        emit(
          'homeostat.action.started.v1',
          started,
          {
            decisionId,
            incidentId,
            loop: DEMO_LOOP,
            target: DEMO_SERVICE,
            fingerprint: failure.fingerprint,
            action: call,
            dryRun: false,
            startedAt: iso(started),
            deadline: iso(started + 30_000),
          },
          'executor',
        );
        const works = action === failure.fix;
        const ttr = works ? Math.max(4_000, 14_000 - occurrence * 3_000) : null;
        const finished = started + (works ? (ttr as number) + 1_000 : 30_000);
        const rolledBack = !works && action === 'enable-cache';
        emit(
          'homeostat.outcome.recorded.v1',
          finished,
          {
            decisionId,
            incidentId,
            loop: DEMO_LOOP,
            target: DEMO_SERVICE,
            fingerprint: failure.fingerprint,
            action: call,
            status: works ? 'succeeded' : rolledBack ? 'rolled-back' : 'failed',
            dryRun: false,
            applied: true,
            verification: { passed: works, checks: [{ name: 'health', passed: works, observed: works ? 200 : 503 }] },
            timeToRecoverMs: ttr,
            startedAt: iso(started),
            finishedAt: iso(finished),
            ...(rolledBack
              ? {
                  rollback: {
                    action: {
                      name: 'enable-cache-inverse',
                      adapter: 'http' as const,
                      params: { method: 'POST', url: 'http://shop:3000/actuator/config/rollback' },
                    },
                    status: 'succeeded' as const,
                  },
                }
              : {}),
            ...(!works && !rolledBack ? { error: { code: 'VERIFICATION_FAILED', message: '/health stayed 503 until the deadline' } } : {}),
          },
          'executor',
        );
        const key = `${failure.fingerprint}|${action}`;
        const k = knowledge.get(key) ?? { tries: 0, successes: 0, failures: 0, ttr: [] };
        k.tries += 1;
        if (works) {
          k.successes += 1;
          k.ttr.push(ttr as number);
        } else k.failures += 1;
        knowledge.set(key, k);
        const mean = k.ttr.length ? k.ttr.reduce((a, b) => a + b, 0) / k.ttr.length : null;
        emit(
          'homeostat.knowledge.updated.v1',
          finished + 100,
          {
            loop: DEMO_LOOP,
            fingerprint: failure.fingerprint,
            action,
            tries: k.tries,
            successes: k.successes,
            failures: k.failures,
            meanTimeToRecoverMs: mean,
            p50TimeToRecoverMs: mean,
            lastOutcomeAt: iso(finished),
            posterior: { alpha: 1 + k.successes, beta: 1 + k.failures },
          },
          'learner',
        );
        t = finished + 2_000;
      });
      const resolved = t + 8_000;
      emit(
        'homeostat.incident.resolved.v1',
        resolved,
        {
          incidentId,
          loop: DEMO_LOOP,
          target: DEMO_SERVICE,
          fingerprint: failure.fingerprint,
          openedAt: iso(opened),
          resolvedAt: iso(resolved),
          resolution: 'recovered',
          decisionId: `dec-${incidentId}-${tried.length}`,
        },
        'analyzer',
      );
    });
  }
  emit(
    'homeostat.control.v1',
    DEMO_START + 4 * 3600_000,
    { command: 'pause-loop', loop: DEMO_LOOP, actor: 'bob', reason: 'load test' },
    'console',
  );
  emit(
    'homeostat.control.v1',
    DEMO_START + 4 * 3600_000 + 600_000,
    { command: 'resume-loop', loop: DEMO_LOOP, actor: 'bob', reason: 'load test over' },
    'console',
  );

  repairMessages(emit, DEMO_START + 20 * 60_000);
  optimizeMessages(emit, DEMO_START + 30 * 60_000);

  // Telemetry: one batch per minute.
  for (let minute = 0; minute < 6 * 60; minute += 1) {
    const at = DEMO_START + minute * 60_000;
    const faulty = minute % 75 >= 5 && minute % 75 < 8;
    const spans = ['/checkout', '/catalog', '/stock'].flatMap((route, r) =>
      Array.from({ length: 4 }, (_, i) => {
        const start = at + r * 1_000 + i * 7_000;
        const ms = (faulty && route === '/checkout' ? 900 : 40) + i * 13 + r * 5;
        const error = faulty && route === '/checkout' && i % 2 === 0;
        return {
          traceId: `${hex(minute, 8)}${hex(r * 16 + i, 8)}${'b'.repeat(16)}`,
          spanId: `${hex(minute, 8)}${hex(r * 16 + i + 1, 8)}`,
          name: `GET ${route}`,
          kind: 'server' as const,
          startTimeUnixNano: nanos(start),
          endTimeUnixNano: nanos(start + ms),
          attributes: { 'http.route': route, 'http.response.status_code': error ? 503 : 200 },
          status: error ? { code: 'error' as const, message: 'pool exhausted' } : { code: 'unset' as const },
          events: [],
        };
      }),
    );
    const resource = { attributes: { 'service.name': DEMO_SERVICE, 'deployment.environment.name': 'demo' } };
    emit('homeostat.telemetry.spans.v1', at, { resource, scope: { name: 'shop', version: '0.1.0' }, spans }, 'collector');
    emit(
      'homeostat.telemetry.logs.v1',
      at,
      {
        resource,
        scope: { name: 'shop' },
        logRecords: [
          {
            timeUnixNano: nanos(at + 1_000),
            observedTimeUnixNano: nanos(at + 1_000),
            severityNumber: 9,
            severityText: 'INFO',
            body: 'served 12 requests',
            attributes: {},
          },
          ...(faulty
            ? [
                {
                  timeUnixNano: nanos(at + 2_000),
                  observedTimeUnixNano: nanos(at + 2_000),
                  severityNumber: 17,
                  severityText: 'ERROR',
                  body: 'timeout acquiring connection after 5000 ms',
                  attributes: { 'pool.size': 10 },
                },
              ]
            : []),
        ],
      },
      'collector',
    );
    emit(
      'homeostat.telemetry.metrics.v1',
      at,
      {
        resource,
        scope: { name: 'shop' },
        metrics: [
          {
            type: 'gauge',
            name: 'db.client.connection.count',
            unit: '{connection}',
            points: [{ attributes: { 'db.client.connection.state': 'used' }, timeUnixNano: nanos(at), value: faulty ? 10 : 3 }],
          },
          {
            type: 'histogram',
            name: 'http.server.request.duration',
            unit: 's',
            aggregationTemporality: 'delta',
            points: [
              {
                attributes: { 'http.route': '/checkout' },
                startTimeUnixNano: nanos(at - 60_000),
                timeUnixNano: nanos(at),
                count: 12,
                sum: faulty ? 10.8 : 0.6,
                bucketCounts: faulty ? [0, 2, 10] : [11, 1, 0],
                explicitBounds: [0.1, 0.5],
                min: 0.03,
                max: faulty ? 1.2 : 0.2,
              },
            ],
          },
        ],
      },
      'collector',
    );
  }
  return out;
}

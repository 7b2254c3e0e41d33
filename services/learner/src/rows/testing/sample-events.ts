import { createEnvelope, type Envelope, type EventData, type EventType } from '@homeostat/contracts';
import { sampleBuildFailure, sampleDecisionMade, sampleIncidentOpened, SPAN_ID, TRACE_ID, TRACEPARENT } from '@homeostat/contracts/testing';

/** Events with fixed ids and times, so tests can assert whole rows. */

export { SPAN_ID, TRACE_ID, TRACEPARENT };

export const EVENT_ID = '01936f5e-7a40-7000-8000-000000000001';
export const EVENT_TIME = '2025-01-01T10:00:05.250Z';
/** EVENT_TIME in Unix milliseconds. */
export const EVENT_TIME_MS = 1_735_725_605_250;

/** 2025-01-01T10:00:00.123456789Z: nine digits, more than a double holds. */
export const START_NANOS = '1735725600123456789';

export function event<T extends EventType>(
  type: T,
  data: EventData<T>,
  extra: { source?: string; subject?: string; time?: string; traceparent?: string | null; id?: string } = {},
): Envelope<T> {
  const traceparent = extra.traceparent === undefined ? TRACEPARENT : extra.traceparent;
  return createEnvelope(type, {
    id: extra.id ?? EVENT_ID,
    time: extra.time ?? EVENT_TIME,
    source: extra.source ?? 'collector',
    subject: extra.subject ?? 'shop',
    data,
    ...(traceparent === null ? {} : { traceparent }),
  });
}

export const spansEvent = () =>
  event('homeostat.telemetry.spans.v1', {
    resource: {
      attributes: { 'service.name': 'shop', 'host.name': 'shop-1', 'process.pid': 4242 },
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    },
    scope: { name: '@opentelemetry/instrumentation-http', version: '0.57.0' },
    spans: [
      {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        traceState: 'vendor=1',
        name: 'GET /checkout',
        kind: 'server',
        startTimeUnixNano: START_NANOS,
        endTimeUnixNano: '1735725600373456790', // + 250 000 001 ns
        attributes: {
          'http.route': '/checkout',
          'http.response.status_code': 503,
          'http.server.duration': 0.25,
          'error.flag': true,
          'http.request.header.accept': ['application/json', 'text/html'],
          'tiny.number': 1e-7,
        },
        status: { code: 'error', message: 'pool exhausted' },
        events: [
          { timeUnixNano: '1735725600200000001', name: 'exception', attributes: { 'exception.type': 'PoolTimeout', attempt: 3 } },
          { timeUnixNano: '1735725600300000002', name: 'retry', attributes: {} },
        ],
        links: [{ traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', attributes: { 'link.kind': 'follows' } }],
      },
      {
        traceId: TRACE_ID,
        spanId: 'cccccccccccccccc',
        parentSpanId: SPAN_ID,
        name: 'pg.query',
        kind: 'client',
        startTimeUnixNano: '1735725600130000000',
        endTimeUnixNano: '1735725600130000000',
        attributes: {},
        status: { code: 'unset' },
        events: [],
      },
    ],
  });

export const logsEvent = () =>
  event('homeostat.telemetry.logs.v1', {
    resource: { attributes: { 'service.name': 'shop' } },
    scope: { name: 'pino', version: '9.5.0', attributes: { 'logger.name': 'db' } },
    logRecords: [
      {
        timeUnixNano: START_NANOS,
        observedTimeUnixNano: '1735725600999999999',
        severityNumber: 17,
        severityText: 'ERROR',
        body: 'timeout acquiring connection after 5000 ms',
        attributes: { 'pool.size': 10, 'code.function': 'acquire' },
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        flags: 1,
      },
      {
        timeUnixNano: '0',
        observedTimeUnixNano: '1735725601000000007',
        severityNumber: 9,
        body: 'pool recycled',
        attributes: {},
      },
    ],
  });

export const metricsEvent = () =>
  event('homeostat.telemetry.metrics.v1', {
    resource: { attributes: { 'service.name': 'shop' } },
    scope: { name: 'shop-meter', attributes: { 'meter.kind': 'app' } },
    metrics: [
      {
        type: 'gauge',
        name: 'db.client.connections.usage',
        unit: '{connection}',
        description: 'connections in use',
        points: [{ attributes: { state: 'used' }, timeUnixNano: START_NANOS, value: 10 }],
      },
      {
        type: 'sum',
        name: 'http.server.requests',
        isMonotonic: true,
        aggregationTemporality: 'cumulative',
        points: [
          { attributes: { 'http.route': '/checkout' }, startTimeUnixNano: '1735725000000000000', timeUnixNano: START_NANOS, value: 1234 },
          { attributes: { 'http.route': '/health' }, startTimeUnixNano: '1735725000000000000', timeUnixNano: START_NANOS, value: 7 },
        ],
      },
      {
        type: 'sum',
        name: 'queue.delta',
        isMonotonic: false,
        aggregationTemporality: 'delta',
        points: [{ attributes: {}, timeUnixNano: START_NANOS, value: -2.5 }],
      },
      {
        type: 'histogram',
        name: 'http.server.request.duration',
        unit: 's',
        aggregationTemporality: 'delta',
        points: [
          {
            attributes: { 'http.route': '/checkout' },
            startTimeUnixNano: '1735725590000000000',
            timeUnixNano: START_NANOS,
            count: 6,
            sum: 3.5,
            bucketCounts: [1, 2, 3],
            explicitBounds: [0.1, 1],
            min: 0.05,
            max: 2.5,
          },
        ],
      },
      {
        type: 'exponential_histogram',
        name: 'pool.wait',
        unit: 'ms',
        aggregationTemporality: 'cumulative',
        points: [
          {
            attributes: {},
            timeUnixNano: START_NANOS,
            count: 9,
            sum: 120.5,
            scale: 3,
            zeroCount: 1,
            positive: { offset: -2, bucketCounts: [1, 0, 4] },
            negative: { offset: 1, bucketCounts: [3] },
          },
        ],
      },
      {
        type: 'summary',
        name: 'gc.pause',
        unit: 'ms',
        points: [
          {
            attributes: { kind: 'major' },
            timeUnixNano: START_NANOS,
            count: 4,
            sum: 42,
            quantileValues: [
              { quantile: 0.5, value: 9 },
              { quantile: 0.99, value: 20.5 },
            ],
          },
        ],
      },
    ],
  });

export const buildEvent = (log?: string) =>
  event(
    'homeostat.build.reported.v1',
    {
      repository: 'acme/shop',
      commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
      branch: 'main',
      pipeline: 'ci',
      job: 'unit-tests',
      runId: '812',
      attempt: 2,
      status: 'failed',
      startedAt: '2025-01-01T09:58:00Z',
      finishedAt: '2025-01-01T10:00:01.5Z',
      durationMs: 121500,
      url: 'https://ci.example.com/acme/shop/812',
      pullRequest: { number: 57, url: 'https://git.example.com/acme/shop/pull/57' },
      ...(log === undefined ? {} : { log }),
    },
    { source: 'collector', subject: 'acme/shop' },
  );

// ---- ledger ------------------------------------------------------------------------------------

export const incidentOpened = () => event('homeostat.incident.opened.v1', sampleIncidentOpened(), { source: 'analyzer' });

export const incidentUpdated = () =>
  event(
    'homeostat.incident.updated.v1',
    { ...sampleIncidentOpened(), severity: 'critical', title: 'Pool exhausted, checkout failing', updatedAt: '2025-01-01T10:00:30.000Z' },
    { source: 'analyzer', time: '2025-01-01T10:00:30.100Z' },
  );

/** The incident's symptoms came back after they had recovered: a relapse, which every later update repeats. */
export const incidentRelapsed = (updatedAt = '2025-01-01T10:01:10.000Z') =>
  event(
    'homeostat.incident.updated.v1',
    { ...sampleIncidentOpened(), updatedAt, relapsedAt: '2025-01-01T10:01:05.250Z' },
    { source: 'analyzer', time: updatedAt },
  );

/** Another kind of failure on the same target while inc-1 was open: an incident of its own that follows inc-1. */
export const incidentFollowing = () =>
  event(
    'homeostat.incident.opened.v1',
    {
      ...sampleIncidentOpened(),
      incidentId: 'inc-2',
      fingerprint: 'shop|dependency-latency|http.client.request.duration',
      openedAt: '2025-01-01T10:02:00.000Z',
      previousIncidentId: 'inc-1',
    },
    { source: 'analyzer', time: '2025-01-01T10:02:04.000Z' },
  );

export const incidentResolved = () =>
  event(
    'homeostat.incident.resolved.v1',
    {
      incidentId: 'inc-1',
      loop: 'shop-pool-exhaustion',
      target: 'shop',
      fingerprint: 'shop|pool-exhaustion|db.client.connections.usage',
      openedAt: '2025-01-01T10:00:00.000Z',
      resolvedAt: '2025-01-01T10:00:42.5Z',
      resolution: 'recovered',
      decisionId: 'dec-1',
      title: 'Pool exhausted, checkout failing',
      severity: 'critical',
    },
    { source: 'analyzer', time: '2025-01-01T10:00:43Z' },
  );

export const decisionMade = () => event('homeostat.decision.made.v1', sampleDecisionMade(), { source: 'decider' });

const recyclePool = {
  name: 'recycle-pool',
  adapter: 'http',
  params: { method: 'POST', url: 'http://shop:3000/actuator/pool/recycle' },
} as const;

export const actionStarted = () =>
  event(
    'homeostat.action.started.v1',
    {
      decisionId: 'dec-1',
      incidentId: 'inc-1',
      loop: 'shop-pool-exhaustion',
      target: 'shop',
      fingerprint: 'shop|pool-exhaustion|db.client.connections.usage',
      action: { ...recyclePool, params: { ...recyclePool.params } },
      dryRun: false,
      startedAt: '2025-01-01T10:00:10.000Z',
      deadline: '2025-01-01T10:02:10.000Z',
    },
    { source: 'executor', id: '01936f5e-7a40-7000-8000-000000000002' },
  );

export const outcomeRecorded = () =>
  event(
    'homeostat.outcome.recorded.v1',
    {
      decisionId: 'dec-1',
      incidentId: 'inc-1',
      loop: 'shop-pool-exhaustion',
      target: 'shop',
      fingerprint: 'shop|pool-exhaustion|db.client.connections.usage',
      action: { ...recyclePool, params: { ...recyclePool.params } },
      status: 'succeeded',
      dryRun: false,
      applied: true,
      verification: { passed: true, checks: [{ name: 'health', passed: true, observed: 200 }] },
      timeToRecoverMs: 12_000.4,
      startedAt: '2025-01-01T10:00:10.000Z',
      finishedAt: '2025-01-01T10:00:22.400Z',
    },
    { source: 'executor', time: '2025-01-01T10:00:22.500Z', id: '01936f5e-7a40-7000-8000-000000000003' },
  );

export const knowledgeUpdated = () =>
  event(
    'homeostat.knowledge.updated.v1',
    {
      loop: 'shop-pool-exhaustion',
      fingerprint: 'shop|pool-exhaustion|db.client.connections.usage',
      action: 'recycle-pool',
      tries: 10,
      successes: 9,
      failures: 1,
      meanTimeToRecoverMs: 11_500.5,
      p50TimeToRecoverMs: 11_000,
      lastOutcomeAt: '2025-01-01T10:00:22.400Z',
      posterior: { alpha: 10, beta: 2 },
    },
    { source: 'learner' },
  );

export const controlApprove = () =>
  event(
    'homeostat.control.v1',
    { command: 'approve', decisionId: 'dec-1', actor: 'alice@example.com', reason: 'looks safe' },
    { source: 'console' },
  );

export const controlKillSwitch = () =>
  event(
    'homeostat.control.v1',
    { command: 'kill-switch', state: 'on', actor: 'carol@example.com', reason: 'incident review' },
    { source: 'console', subject: 'all-loops', id: '01936f5e-7a40-7000-8000-000000000004' },
  );

export const controlPause = () =>
  event(
    'homeostat.control.v1',
    { command: 'pause-loop', loop: 'shop-pool-exhaustion', actor: 'carol@example.com', reason: 'deploying' },
    { source: 'console', id: '01936f5e-7a40-7000-8000-000000000005' },
  );

/** A repair loop's failure as the analyzer opens it: its build failure with the features similar failures are found by. */
export const repairIncidentOpened = (
  over: {
    incidentId?: string;
    loop?: string;
    target?: string;
    signature?: string;
    category?: string;
    features?: Record<string, number>;
    time?: string;
  } = {},
) => {
  const target = over.target ?? 'https://git.example/acme/app.git';
  const signature = over.signature ?? 'test: not ok <n> - reads the port';
  const incidentId = over.incidentId ?? 'inc-repair-1';
  return event(
    'homeostat.incident.opened.v1',
    {
      ...sampleIncidentOpened(),
      ...(over.time ? { openedAt: over.time } : {}),
      incidentId,
      loop: over.loop ?? 'app-repair',
      target,
      fingerprint: signature,
      buildFailure: sampleBuildFailure({
        repository: target,
        category: over.category ?? 'test',
        signature,
        features: over.features ?? { 'category:test': 1, 't:not ok * reads the port': 1, 'dep:@acme/connector': 3 },
      }),
    },
    {
      source: 'analyzer',
      subject: target,
      id: `01936f5e-7a40-7000-8000-${incidentId
        .replace(/[^0-9a-f]/g, '')
        .padStart(12, '0')
        .slice(-12)}`,
      ...(over.time ? { time: over.time } : {}),
    },
  );
};

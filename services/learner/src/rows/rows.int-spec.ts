import {
  createStoreClient,
  dropTestDatabase,
  insertRows,
  LEDGER_TABLES,
  runMigrations,
  STORE_TABLES,
  TELEMETRY_TABLES,
  testStoreDataDir,
  type StoreHandle,
} from '@homeostat/store';
import { DLQ_HEADERS, deadLetterOf } from '@homeostat/bus';
import type { AnyEnvelope } from '@homeostat/contracts';
import { deadLetterRow } from './dead-letter-row';
import { ledgerRows } from './ledger-rows';
import type { TableRows } from './row-values';
import { telemetryRows } from './telemetry-rows';
import {
  actionStarted,
  buildEvent,
  controlApprove,
  controlKillSwitch,
  decisionMade,
  incidentFollowing,
  incidentOpened,
  incidentRelapsed,
  incidentResolved,
  incidentUpdated,
  knowledgeUpdated,
  logsEvent,
  metricsEvent,
  outcomeRecorded,
  repairIncidentOpened,
  spansEvent,
  SPAN_ID,
  TRACE_ID,
} from './testing/sample-events';

/*
 * The mappers' rows go into chDB with the real migrations and come back exactly: the columns,
 * types and JSONEachRow conventions (DateTime64(9) text, Map, Nested as dotted arrays) are the
 * ones ClickHouse accepts, not only the ones the unit tests expect.
 */

const DATABASE = 'learner_rows_test';

describe('row mappers against chDB', () => {
  let store: StoreHandle;

  beforeAll(async () => {
    // chDB binds one data directory per process: always the one the integration setup chose.
    await dropTestDatabase(DATABASE);
    store = await createStoreClient({ dataDir: testStoreDataDir(), database: DATABASE });
    await runMigrations(store);
  });

  afterAll(async () => {
    if (store) await store.close();
    await dropTestDatabase(DATABASE);
  });

  async function select<T = Record<string, unknown>>(query: string): Promise<T[]> {
    return (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }

  async function insertAll(groups: readonly TableRows[]): Promise<void> {
    for (const { table, rows } of groups) await insertRows(store, table, rows);
  }

  /**
   * ClickHouse fills an omitted column with its type's default and skips unknown keys, so a
   * misspelt or missing column would pass silently: every row must name each column that has no
   * DEFAULT, and nothing that is not a writable column (Nested columns appear flattened).
   */
  async function expectColumnsOf(groups: readonly TableRows[]): Promise<void> {
    for (const { table, rows } of groups) {
      const columns = await select<{ name: string; default_kind: string }>(
        `SELECT name, default_kind FROM system.columns WHERE database = '${DATABASE}' AND table = '${table}'`,
      );
      const writable = columns.filter((c) => c.default_kind === '' || c.default_kind === 'DEFAULT').map((c) => c.name);
      const required = columns.filter((c) => c.default_kind === '').map((c) => c.name);
      for (const row of rows) {
        const keys = Object.keys(row);
        expect({ table, missing: required.filter((c) => !keys.includes(c)), unknown: keys.filter((k) => !writable.includes(k)) }).toEqual({
          table,
          missing: [],
          unknown: [],
        });
      }
    }
  }

  it('fills every column without a default, in every table, and names no other', async () => {
    const events: AnyEnvelope[] = [
      spansEvent(),
      logsEvent(),
      buildEvent('log'),
      metricsEvent(),
      incidentOpened(),
      incidentFollowing(),
      incidentResolved(),
      repairIncidentOpened(),
      decisionMade(),
      actionStarted(),
      outcomeRecorded(),
      knowledgeUpdated(),
      controlApprove(),
    ];
    const groups = events.flatMap((e) => [...telemetryRows(e), ...ledgerRows(e)]);
    groups.push({
      table: LEDGER_TABLES.deadLetters,
      rows: [deadLetterRow({ topic: 'loop.incidents.dlq', key: null, value: Buffer.from('{}'), headers: {} })],
    });
    const covered = new Set(groups.map((g) => g.table));
    const writable = Object.values(STORE_TABLES).filter((t) => t !== TELEMETRY_TABLES.traceIdTs);
    expect([...covered].sort()).toEqual([...writable].sort());
    await expectColumnsOf(groups);
  });

  it('stores spans with nanosecond timestamps, durations, attribute maps and aligned Nested arrays', async () => {
    await insertAll(telemetryRows(spansEvent()));
    const rows = await select(
      `SELECT Timestamp, TraceId, SpanId, ParentSpanId, SpanKind, ServiceName, ScopeName, Duration, StatusCode, StatusMessage,
              SpanAttributes, ResourceAttributes, \`Events.Timestamp\`, \`Events.Name\`, \`Events.Attributes\`,
              \`Links.TraceId\`, \`Links.SpanId\`, \`Links.TraceState\`, \`Links.Attributes\`
       FROM otel_traces ORDER BY Timestamp`,
    );
    expect(rows).toEqual([
      {
        Timestamp: '2025-01-01 10:00:00.123456789',
        TraceId: TRACE_ID,
        SpanId: SPAN_ID,
        ParentSpanId: '',
        SpanKind: 'Server',
        ServiceName: 'shop',
        ScopeName: '@opentelemetry/instrumentation-http',
        Duration: '250000001',
        StatusCode: 'Error',
        StatusMessage: 'pool exhausted',
        SpanAttributes: {
          'http.route': '/checkout',
          'http.response.status_code': '503',
          'http.server.duration': '0.25',
          'error.flag': 'true',
          'http.request.header.accept': '["application/json","text/html"]',
          'tiny.number': '0.0000001',
        },
        ResourceAttributes: { 'service.name': 'shop', 'host.name': 'shop-1', 'process.pid': '4242' },
        'Events.Timestamp': ['2025-01-01 10:00:00.200000001', '2025-01-01 10:00:00.300000002'],
        'Events.Name': ['exception', 'retry'],
        'Events.Attributes': [{ 'exception.type': 'PoolTimeout', attempt: '3' }, {}],
        'Links.TraceId': ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
        'Links.SpanId': ['bbbbbbbbbbbbbbbb'],
        'Links.TraceState': [''],
        'Links.Attributes': [{ 'link.kind': 'follows' }],
      },
      expect.objectContaining({
        Timestamp: '2025-01-01 10:00:00.130000000',
        SpanId: 'cccccccccccccccc',
        ParentSpanId: SPAN_ID,
        SpanKind: 'Client',
        Duration: '0',
        StatusCode: 'Unset',
        'Events.Timestamp': [],
        'Links.Attributes': [],
      }),
    ]);
    // Grafana's trace lookup table is fed from these rows by the exporter's materialized view.
    expect(await select(`SELECT TraceId, toString(Start) AS start FROM otel_traces_trace_id_ts`)).toEqual([
      { TraceId: TRACE_ID, start: '2025-01-01 10:00:00' },
    ]);
  });

  it('stores log records and CI builds as otel_logs lines', async () => {
    await insertAll(telemetryRows(logsEvent()));
    await insertAll(telemetryRows(buildEvent('FAIL src/cart.spec.ts')));
    const rows = await select(
      `SELECT Timestamp, toString(TimestampTime) AS TimestampTime, ServiceName, SeverityText, SeverityNumber, TraceId, SpanId, TraceFlags,
              Body, ScopeName, ScopeAttributes, LogAttributes, EventName
       FROM otel_logs ORDER BY Timestamp`,
    );
    expect(rows).toEqual([
      {
        Timestamp: '2025-01-01 10:00:00.123456789',
        TimestampTime: '2025-01-01 10:00:00',
        ServiceName: 'shop',
        SeverityText: 'ERROR',
        SeverityNumber: 17,
        TraceId: TRACE_ID,
        SpanId: SPAN_ID,
        TraceFlags: 1,
        Body: 'timeout acquiring connection after 5000 ms',
        ScopeName: 'pino',
        ScopeAttributes: { 'logger.name': 'db' },
        LogAttributes: { 'pool.size': '10', 'code.function': 'acquire' },
        EventName: '',
      },
      expect.objectContaining({ Timestamp: '2025-01-01 10:00:01.000000007', TraceId: '', TraceFlags: 0, Body: 'pool recycled' }),
      expect.objectContaining({
        Timestamp: '2025-01-01 10:00:01.500000000',
        ServiceName: 'acme/shop',
        SeverityText: 'ERROR',
        Body: 'build failed: ci/unit-tests @ 9fceb02d0ae598e95dc970b74767f19372d61af8',
        EventName: 'homeostat.build.reported.v1',
        LogAttributes: expect.objectContaining({
          'homeostat.event.type': 'homeostat.build.reported.v1',
          'build.status': 'failed',
          'build.pull_request.number': '57',
          'build.log': 'FAIL src/cart.spec.ts',
        }),
      }),
    ]);
  });

  it('stores each metric type in its table', async () => {
    await insertAll(telemetryRows(metricsEvent()));
    expect(
      await select(`SELECT MetricName, StartTimeUnix, TimeUnix, Value, Attributes, Flags, \`Exemplars.Value\` FROM otel_metrics_gauge`),
    ).toEqual([
      {
        MetricName: 'db.client.connections.usage',
        StartTimeUnix: '1970-01-01 00:00:00.000000000',
        TimeUnix: '2025-01-01 10:00:00.123456789',
        Value: 10,
        Attributes: { state: 'used' },
        Flags: 0,
        'Exemplars.Value': [],
      },
    ]);
    expect(
      await select(
        `SELECT MetricName, Value, AggregationTemporality, IsMonotonic, StartTimeUnix FROM otel_metrics_sum ORDER BY MetricName, Value`,
      ),
    ).toEqual([
      {
        MetricName: 'http.server.requests',
        Value: 7,
        AggregationTemporality: 2,
        IsMonotonic: true,
        StartTimeUnix: '2025-01-01 09:50:00.000000000',
      },
      {
        MetricName: 'http.server.requests',
        Value: 1234,
        AggregationTemporality: 2,
        IsMonotonic: true,
        StartTimeUnix: '2025-01-01 09:50:00.000000000',
      },
      {
        MetricName: 'queue.delta',
        Value: -2.5,
        AggregationTemporality: 1,
        IsMonotonic: false,
        StartTimeUnix: '1970-01-01 00:00:00.000000000',
      },
    ]);
    expect(
      await select(`SELECT Count, Sum, BucketCounts, ExplicitBounds, Min, Max, AggregationTemporality FROM otel_metrics_histogram`),
    ).toEqual([
      { Count: '6', Sum: 3.5, BucketCounts: ['1', '2', '3'], ExplicitBounds: [0.1, 1], Min: 0.05, Max: 2.5, AggregationTemporality: 1 },
    ]);
    expect(
      await select(
        `SELECT Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts
         FROM otel_metrics_exponential_histogram`,
      ),
    ).toEqual([
      {
        Count: '9',
        Sum: 120.5,
        Scale: 3,
        ZeroCount: '1',
        PositiveOffset: -2,
        PositiveBucketCounts: ['1', '0', '4'],
        NegativeOffset: 1,
        NegativeBucketCounts: ['3'],
      },
    ]);
    expect(await select(`SELECT Count, Sum, \`ValueAtQuantiles.Quantile\`, \`ValueAtQuantiles.Value\` FROM otel_metrics_summary`)).toEqual([
      { Count: '4', Sum: 42, 'ValueAtQuantiles.Quantile': [0.5, 0.99], 'ValueAtQuantiles.Value': [9, 20.5] },
    ]);
  });

  it('keeps the latest state per ledger entity and collapses redeliveries', async () => {
    const events: AnyEnvelope[] = [
      incidentOpened(),
      incidentUpdated(),
      incidentResolved(),
      incidentOpened(), // redelivered after the resolution
      decisionMade(), // redelivered
      actionStarted(),
      outcomeRecorded(),
      outcomeRecorded(), // redelivered
      knowledgeUpdated(),
      controlApprove(),
      controlKillSwitch(),
    ];
    // The decision as made; its redelivery below collapses with it.
    await insertAll(ledgerRows(decisionMade()));
    const made = await select<{ status: string; explanation: string; event: string }>(
      `SELECT status, explanation, event FROM decisions FINAL`,
    );
    expect(made.map((r) => r.status)).toEqual(['made']);
    expect(JSON.parse(made[0]?.explanation ?? 'null')).toEqual(decisionMade().data.explanation);
    expect(JSON.parse(made[0]?.event ?? 'null')).toEqual(decisionMade());

    for (const event of events) await insertAll(ledgerRows(event));

    expect(
      await select(
        `SELECT incident_id, version, status, opened_at, updated_at, resolved_at, time_to_recover_ms, trace_id FROM incidents FINAL`,
      ),
    ).toEqual([
      {
        incident_id: 'inc-1',
        version: String(Date.parse('2025-01-01T10:00:43Z')),
        status: 'resolved',
        opened_at: '2025-01-01 10:00:00.000',
        updated_at: '2025-01-01 10:00:42.500',
        resolved_at: '2025-01-01 10:00:42.500',
        time_to_recover_ms: '42500',
        trace_id: TRACE_ID,
      },
    ]);

    const decisions = await select<{ decision_id: string; status: string; action: string; dry_run: boolean; explanation: string }>(
      `SELECT decision_id, status, action, dry_run, explanation FROM decisions FINAL ORDER BY decision_id`,
    );
    expect(decisions).toEqual([
      {
        decision_id: 'dec-1',
        status: 'made',
        action: 'recycle-pool',
        dry_run: false,
        explanation: JSON.stringify(decisionMade().data.explanation),
      },
    ]);
    expect(
      await select(
        `SELECT event_type, status, success, rolled_back, time_to_recover_ms, started_at, finished_at FROM outcomes FINAL ORDER BY version`,
      ),
    ).toEqual([
      {
        event_type: 'homeostat.action.started.v1',
        status: 'started',
        success: false,
        rolled_back: false,
        time_to_recover_ms: null,
        started_at: '2025-01-01 10:00:10.000',
        finished_at: '2025-01-01 10:00:10.000',
      },
      {
        event_type: 'homeostat.outcome.recorded.v1',
        status: 'succeeded',
        success: true,
        rolled_back: false,
        time_to_recover_ms: '12000',
        started_at: '2025-01-01 10:00:10.000',
        finished_at: '2025-01-01 10:00:22.400',
      },
    ]);

    expect(
      await select(`SELECT loop, action, attempts, successes, alpha, beta, mean_time_to_recover_ms, last_outcome_at FROM knowledge FINAL`),
    ).toEqual([
      {
        loop: 'shop-pool-exhaustion',
        action: 'recycle-pool',
        attempts: '10',
        successes: '9',
        alpha: 10,
        beta: 2,
        mean_time_to_recover_ms: 11500.5,
        last_outcome_at: '2025-01-01 10:00:22.400',
      },
    ]);

    expect(
      await select(`SELECT command, actor, loop, target, decision_id, reason, issued_at FROM control_audit FINAL ORDER BY command`),
    ).toEqual([
      {
        command: 'approve',
        actor: 'alice@example.com',
        loop: '',
        target: 'shop',
        decision_id: 'dec-1',
        reason: 'looks safe',
        issued_at: '2025-01-01 10:00:05.250',
      },
      {
        command: 'kill-switch',
        actor: 'carol@example.com',
        loop: '',
        target: 'all-loops',
        decision_id: '',
        reason: 'incident review',
        issued_at: '2025-01-01 10:00:05.250',
      },
    ]);
  });

  it('keeps every event of an incident after its incidents rows merge to the resolution, a redelivery once', async () => {
    const opened = { ...incidentOpened(), data: { ...incidentOpened().data, incidentId: 'inc-history' } };
    const resolved = { ...incidentResolved(), id: 'evt-history-resolved', data: { ...incidentResolved().data, incidentId: 'inc-history' } };
    for (const event of [opened, opened, resolved]) {
      await expectColumnsOf(ledgerRows(event));
      await insertAll(ledgerRows(event));
    }
    await store.client.command({ query: 'OPTIMIZE TABLE incidents FINAL' });
    await store.client.command({ query: 'OPTIMIZE TABLE incident_events FINAL' });
    expect(await select(`SELECT event_type FROM incidents WHERE incident_id = 'inc-history'`)).toEqual([
      { event_type: 'homeostat.incident.resolved.v1' },
    ]);
    const history = await select<{ event_type: string; event: string }>(
      `SELECT event_type, event FROM incident_events WHERE incident_id = 'inc-history' ORDER BY version`,
    );
    expect(history.map((r) => r.event_type)).toEqual(['homeostat.incident.opened.v1', 'homeostat.incident.resolved.v1']);
    expect(JSON.parse(history[0]?.event ?? '{}')).toEqual(opened);
  });

  it('keeps how incidents follow one another after the incident rows collapse: one row per relapse, one per follower', async () => {
    // The relapse is repeated by every later update and the follower's opening is redelivered.
    const events = [
      incidentOpened(),
      incidentRelapsed(),
      incidentRelapsed('2025-01-01T10:01:20.000Z'),
      incidentFollowing(),
      incidentFollowing(),
    ];
    for (const event of events) await insertAll(ledgerRows(event));
    expect(
      await select(`SELECT incident_id, link, other_incident_id, at, loop, target FROM incident_links FINAL ORDER BY incident_id, link`),
    ).toEqual([
      {
        incident_id: 'inc-1',
        link: 'relapse',
        other_incident_id: '',
        at: '2025-01-01 10:01:05.250',
        loop: 'shop-pool-exhaustion',
        target: 'shop',
      },
      {
        incident_id: 'inc-2',
        link: 'follows',
        other_incident_id: 'inc-1',
        at: '2025-01-01 10:02:00.000',
        loop: 'shop-pool-exhaustion',
        target: 'shop',
      },
    ]);
  });

  it('stores dead letters with their DLQ headers and payload', async () => {
    const original = {
      topic: 'loop.decisions',
      key: 'shop',
      value: Buffer.from('{"broken":true}', 'utf8'),
      headers: { 'content-type': 'application/cloudevents+json' },
    };
    const dead = deadLetterOf(original, {
      code: 'CONTRACT_VIOLATION',
      message: 'type: unknown event type "x"',
      attempts: 3,
      group: 'executor',
    });
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    await insertRows(store, LEDGER_TABLES.deadLetters, [
      deadLetterRow(dead, new Date('2025-01-01T10:00:01.250Z')),
      deadLetterRow({ topic: 'telemetry.spans.dlq', key: null, value: binary, headers: {} }, new Date('2025-01-01T10:00:02Z')),
    ]);
    const rows = await select<Record<string, unknown> & { headers: Record<string, string> }>(
      `SELECT topic, key, error, error_code, headers, payload, received_at FROM dead_letters ORDER BY received_at`,
    );
    expect(rows).toEqual([
      {
        topic: 'loop.decisions',
        key: 'shop',
        error: 'type: unknown event type "x"',
        error_code: 'CONTRACT_VIOLATION',
        headers: dead.headers,
        payload: '{"broken":true}',
        received_at: '2025-01-01 10:00:01.250',
      },
      {
        topic: 'telemetry.spans',
        key: '',
        error: '',
        error_code: '',
        headers: {},
        payload: `base64:${binary.toString('base64')}`,
        received_at: '2025-01-01 10:00:02.000',
      },
    ]);
    expect(rows[0]?.headers[DLQ_HEADERS.attempts]).toBe('3');
  });
});

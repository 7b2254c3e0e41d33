import { cpSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoreClient, type StoreHandle } from '../store-client';
import { StoreError } from '../store.errors';
import { dropTestDatabase, openTestStore, testStoreDataDir } from '../testing';
import { MIGRATIONS_DIR, readAppliedMigrations, runMigrations } from './run-migrations';

const DATABASE = 'store_it_migrations';

// Each expected table with the columns its readers (Grafana's OTel mode, the learner) key on.
const EXPECTED_COLUMNS: Record<string, Record<string, string>> = {
  otel_traces: {
    Timestamp: 'DateTime64(9)',
    TraceId: 'String',
    SpanId: 'String',
    ParentSpanId: 'String',
    SpanName: 'LowCardinality(String)',
    SpanKind: 'LowCardinality(String)',
    ServiceName: 'LowCardinality(String)',
    ResourceAttributes: 'Map(LowCardinality(String), String)',
    SpanAttributes: 'Map(LowCardinality(String), String)',
    Duration: 'UInt64',
    StatusCode: 'LowCardinality(String)',
    'Events.Timestamp': 'Array(DateTime64(9))',
    'Events.Name': 'Array(LowCardinality(String))',
    'Links.TraceId': 'Array(String)',
  },
  otel_traces_trace_id_ts: { TraceId: 'String', Start: 'DateTime', End: 'DateTime' },
  otel_logs: {
    Timestamp: 'DateTime64(9)',
    TimestampTime: 'DateTime',
    TraceId: 'String',
    SeverityText: 'LowCardinality(String)',
    SeverityNumber: 'UInt8',
    ServiceName: 'LowCardinality(String)',
    Body: 'String',
    LogAttributes: 'Map(LowCardinality(String), String)',
  },
  otel_metrics_gauge: {
    ServiceName: 'LowCardinality(String)',
    MetricName: 'String',
    TimeUnix: 'DateTime64(9)',
    Value: 'Float64',
    Attributes: 'Map(LowCardinality(String), String)',
  },
  otel_metrics_sum: { MetricName: 'String', Value: 'Float64', AggregationTemporality: 'Int32', IsMonotonic: 'Bool' },
  otel_metrics_histogram: {
    MetricName: 'String',
    Count: 'UInt64',
    Sum: 'Float64',
    BucketCounts: 'Array(UInt64)',
    ExplicitBounds: 'Array(Float64)',
    Min: 'Float64',
    Max: 'Float64',
  },
  otel_metrics_exponential_histogram: { MetricName: 'String', Scale: 'Int32', ZeroCount: 'UInt64', PositiveBucketCounts: 'Array(UInt64)' },
  otel_metrics_summary: {
    MetricName: 'String',
    Count: 'UInt64',
    'ValueAtQuantiles.Quantile': 'Array(Float64)',
    'ValueAtQuantiles.Value': 'Array(Float64)',
  },
  incident_links: {
    incident_id: 'String',
    link: 'LowCardinality(String)',
    other_incident_id: 'String',
    at: "DateTime64(3, 'UTC')",
  },
  incident_events: {
    incident_id: 'String',
    event_id: 'String',
    version: 'UInt64',
    opened_at: "DateTime64(3, 'UTC')",
    event: 'String',
  },
  incidents: {
    incident_id: 'String',
    version: 'UInt64',
    loop: 'LowCardinality(String)',
    target: 'LowCardinality(String)',
    fingerprint: 'String',
    status: 'LowCardinality(String)',
    opened_at: "DateTime64(3, 'UTC')",
    time_to_recover_ms: 'Nullable(UInt64)',
    event: 'String',
  },
  decisions: {
    decision_id: 'String',
    version: 'UInt64',
    incident_id: 'String',
    action: 'LowCardinality(String)',
    status: 'LowCardinality(String)',
    decided_at: "DateTime64(3, 'UTC')",
    event: 'String',
  },
  outcomes: {
    event_id: 'String',
    version: 'UInt64',
    decision_id: 'String',
    fingerprint: 'String',
    action: 'LowCardinality(String)',
    success: 'Bool',
    verified: 'Bool',
    time_to_recover_ms: 'Nullable(UInt64)',
    event: 'String',
  },
  knowledge: {
    loop: 'LowCardinality(String)',
    fingerprint: 'String',
    action: 'LowCardinality(String)',
    version: 'UInt64',
    attempts: 'UInt64',
    successes: 'UInt64',
  },
  control_audit: {
    event_id: 'String',
    command: 'LowCardinality(String)',
    actor: 'String',
    issued_at: "DateTime64(3, 'UTC')",
    event: 'String',
  },
  dead_letters: {
    topic: 'LowCardinality(String)',
    key: 'String',
    error: 'String',
    headers: 'Map(LowCardinality(String), String)',
    payload: 'String',
    received_at: "DateTime64(3, 'UTC')",
  },
  repair_failures: {
    incident_id: 'String',
    version: 'UInt64',
    loop: 'LowCardinality(String)',
    target: 'LowCardinality(String)',
    signature: 'String',
    feature_keys: 'Array(String)',
    feature_weights: 'Array(Float64)',
  },
  repair_failure_features: {
    feature: 'String',
    incident_id: 'String',
    version: 'UInt64',
    weight: 'Float64',
    weight_norm: 'Float64',
    norm: 'Float64',
  },
  schema_migrations: { version: 'UInt32', name: 'String', checksum: 'String', applied_at: "DateTime64(3, 'UTC')" },
};

describe('runMigrations (chDB)', () => {
  let store: StoreHandle;

  beforeAll(async () => {
    store = await openTestStore(DATABASE);
  });

  afterAll(async () => {
    if (store) await store.close();
    await dropTestDatabase(DATABASE);
  });

  it('applies every migration once; a second run applies nothing', async () => {
    const first = await runMigrations(store, { dir: MIGRATIONS_DIR });
    expect(first.applied.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(first.alreadyApplied).toEqual([]);

    const second = await runMigrations(store, { dir: MIGRATIONS_DIR });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

    const recorded = await readAppliedMigrations(store);
    expect(recorded).toEqual(first.applied);
    expect(recorded.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
  });

  it('creates every expected table with its key columns', async () => {
    const result = await store.client.query({
      query: 'SELECT table, name, type FROM system.columns WHERE database = {db:String}',
      query_params: { db: DATABASE },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ table: string; name: string; type: string }>();
    const actual: Record<string, Record<string, string>> = {};
    for (const row of rows) (actual[row.table] ??= {})[row.name] = row.type;

    for (const [table, columns] of Object.entries(EXPECTED_COLUMNS)) {
      expect({ table, columns: pick(actual[table] ?? {}, Object.keys(columns)) }).toEqual({ table, columns });
    }
    const views = await store.client.query({
      query: "SELECT name FROM system.tables WHERE database = {db:String} AND engine = 'MaterializedView'",
      query_params: { db: DATABASE },
      format: 'JSONEachRow',
    });
    expect(await views.json()).toEqual([{ name: 'otel_traces_trace_id_ts_mv' }]);
  });

  it('refuses to run when an applied migration file has changed, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-migrations-'));
    const other = await openTestStore(`${DATABASE}_changed`);
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      await runMigrations(other, { dir });

      appendFileSync(join(dir, '0004_ledger.sql'), '\n-- an edit after the fact\n');
      const failure = await runMigrations(other, { dir }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(StoreError);
      expect(failure).toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH' });
      expect((failure as Error).message).toContain('0004_ledger.sql');
    } finally {
      await other.close();
      await dropTestDatabase(`${DATABASE}_changed`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('0008: a span, log record or metric point stored twice is one row, before the migration and after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-migrations-'));
    const old = await openTestStore(`${DATABASE}_0008`);
    const count = async (table: string): Promise<[number, number]> => {
      const result = await old.client.query({
        query: `SELECT (SELECT count() FROM ${table}) AS stored, (SELECT count() FROM ${table} FINAL) AS distinct`,
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ stored: string; distinct: string }>();
      return [Number(row!.stored), Number(row!.distinct)];
    };
    const span = (spanId: string) => ({
      Timestamp: '2026-01-01 00:00:00.000000001',
      TraceId: 'a'.repeat(32),
      SpanId: spanId,
      SpanName: 'GET /checkout',
      SpanKind: 'Server',
      ServiceName: 'shop',
      Duration: 1000,
      StatusCode: 'Unset',
    });
    const log = (body: string) => ({ Timestamp: '2026-01-01 00:00:00.000000002', ServiceName: 'shop', Body: body, SeverityNumber: 9 });
    const point = (value: number, instance: string) => ({
      ServiceName: 'shop',
      MetricName: 'db.client.connection.count',
      Attributes: { state: 'used' },
      ResourceAttributes: { 'service.instance.id': instance },
      TimeUnix: '2026-01-01 00:00:10.000000000',
      Value: value,
    });
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      rmSync(join(dir, '0008_telemetry_dedup.sql'));
      await runMigrations(old, { dir });
      // Stored before the migration: a redelivered batch doubled a span and a log record.
      await old.client.insert({ table: 'otel_traces', format: 'JSONEachRow', values: [span('1'.repeat(16)), span('2'.repeat(16))] });
      await old.client.insert({ table: 'otel_traces', format: 'JSONEachRow', values: [span('1'.repeat(16))] });
      await old.client.insert({
        table: 'otel_logs',
        format: 'JSONEachRow',
        values: [log('pool timeout'), log('pool timeout'), log('other')],
      });
      await old.client.insert({ table: 'otel_metrics_gauge', format: 'JSONEachRow', values: [point(3, 'a'), point(4, 'b')] });
      expect((await runMigrations(old, { dir: MIGRATIONS_DIR })).applied.map((m) => m.version)).toEqual([8]);
      expect((await count('otel_traces'))[1]).toBe(2);
      expect((await count('otel_logs'))[1]).toBe(2);
      // Two instances' points at the same time are two points.
      expect(await count('otel_metrics_gauge')).toEqual([2, 2]);

      // After it: the same span, record and point again (an exporter's retry), in another insert.
      await old.client.insert({ table: 'otel_traces', format: 'JSONEachRow', values: [span('2'.repeat(16)), span('3'.repeat(16))] });
      await old.client.insert({ table: 'otel_logs', format: 'JSONEachRow', values: [log('other')] });
      await old.client.insert({ table: 'otel_metrics_gauge', format: 'JSONEachRow', values: [point(3, 'a')] });
      expect((await count('otel_traces'))[1]).toBe(3);
      expect((await count('otel_logs'))[1]).toBe(2);
      expect((await count('otel_metrics_gauge'))[1]).toBe(2);
      // Merged, the duplicates are gone for readers without FINAL too.
      await old.client.command({ query: 'OPTIMIZE TABLE otel_traces FINAL' });
      expect(await count('otel_traces')).toEqual([3, 3]);
      // The engine changed, the layout did not, and the trace-id lookup still follows otel_traces.
      const engines = await old.client.query({
        query:
          "SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name LIKE 'otel_%' AND engine LIKE '%MergeTree' ORDER BY name",
        format: 'JSONEachRow',
      });
      expect(await engines.json()).toEqual([
        { name: 'otel_logs', engine: 'ReplacingMergeTree' },
        { name: 'otel_metrics_exponential_histogram', engine: 'ReplacingMergeTree' },
        { name: 'otel_metrics_gauge', engine: 'ReplacingMergeTree' },
        { name: 'otel_metrics_histogram', engine: 'ReplacingMergeTree' },
        { name: 'otel_metrics_sum', engine: 'ReplacingMergeTree' },
        { name: 'otel_metrics_summary', engine: 'ReplacingMergeTree' },
        { name: 'otel_traces', engine: 'ReplacingMergeTree' },
        { name: 'otel_traces_trace_id_ts', engine: 'MergeTree' },
      ]);
      // One lookup row per insert and trace: two before the migration, one after.
      const lookup = await old.client.query({ query: 'SELECT count() AS n FROM otel_traces_trace_id_ts', format: 'JSONEachRow' });
      expect(Number((await lookup.json<{ n: string }>())[0]!.n)).toBe(3);
    } finally {
      await old.close();
      await dropTestDatabase(`${DATABASE}_0008`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('0009: the incidents stored before it are in incident_events, one row per event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-migrations-'));
    const old = await openTestStore(`${DATABASE}_0009`);
    const row = (eventId: string, type: string, version: number) => ({
      incident_id: 'inc-old',
      version,
      event_id: eventId,
      event_type: type,
      loop: 'shop',
      target: 'shop',
      fingerprint: 'f',
      status: type.split('.')[2],
      severity: 'high',
      summary: 'pool exhausted',
      opened_at: '2026-01-01 00:00:00.000',
      updated_at: '2026-01-01 00:00:00.000',
      resolved_at: null,
      time_to_recover_ms: null,
      trace_id: '',
      event: JSON.stringify({ id: eventId, type }),
    });
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      rmSync(join(dir, '0009_incident_events.sql'));
      await runMigrations(old, { dir });
      // Two inserts, two parts not merged yet (one insert would collapse them already: optimize_on_insert).
      await old.client.insert({ table: 'incidents', format: 'JSONEachRow', values: [row('e1', 'homeostat.incident.opened.v1', 1)] });
      await old.client.insert({ table: 'incidents', format: 'JSONEachRow', values: [row('e2', 'homeostat.incident.resolved.v1', 2)] });
      expect((await runMigrations(old, { dir: MIGRATIONS_DIR })).applied.map((m) => m.version)).toEqual([9]);
      const result = await old.client.query({
        query: "SELECT event_id, event_type, version FROM incident_events FINAL WHERE incident_id = 'inc-old' ORDER BY version",
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual([
        { event_id: 'e1', event_type: 'homeostat.incident.opened.v1', version: '1' },
        { event_id: 'e2', event_type: 'homeostat.incident.resolved.v1', version: '2' },
      ]);
    } finally {
      await old.close();
      await dropTestDatabase(`${DATABASE}_0009`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('0011: the repair failures stored before it are weighed against the store, and a row written without a norm gets its bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-migrations-'));
    const old = await openTestStore(`${DATABASE}_0011`);
    // Three failures; `b` is in two of them. `x` was redelivered and is not merged yet: one failure.
    const failures: Record<string, Record<string, number>> = { x: { a: 2, b: 1 }, y: { b: 1 }, z: { c: 3 } };
    const featureRow = (id: string, feature: string, weight: number) => ({
      feature,
      incident_id: id,
      version: 1,
      weight,
      weight_norm: Math.hypot(...Object.values(failures[id] ?? {})),
      loop: 'l',
      target: 't',
    });
    const rowsOf = (id: string) => Object.entries(failures[id] ?? {}).map(([feature, weight]) => featureRow(id, feature, weight));
    const failureRow = (id: string) => ({
      incident_id: id,
      version: 1,
      event_id: id,
      loop: 'l',
      target: 't',
      signature: id,
      category: 'test',
    });
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      rmSync(join(dir, '0011_repair_failure_norms.sql'));
      await runMigrations(old, { dir });
      await old.client.insert({ table: 'repair_failures', format: 'JSONEachRow', values: ['x', 'y', 'z'].map(failureRow) });
      await old.client.insert({ table: 'repair_failures', format: 'JSONEachRow', values: [failureRow('x')] });
      await old.client.insert({ table: 'repair_failure_features', format: 'JSONEachRow', values: ['x', 'y', 'z'].flatMap(rowsOf) });
      await old.client.insert({ table: 'repair_failure_features', format: 'JSONEachRow', values: rowsOf('x') });
      expect((await runMigrations(old, { dir: MIGRATIONS_DIR })).applied.map((m) => m.version)).toEqual([11]);

      // As similarity.ts weighs them among the 3 stored: IDF log((1 + n) / (1 + df)) + 1.
      const idf = (df: number) => Math.log(4 / (1 + df)) + 1;
      const expected: Record<string, number> = {
        x: Math.hypot(2 * idf(1), idf(2)),
        y: idf(2),
        z: 3 * idf(1),
      };
      const result = await old.client.query({
        query: 'SELECT incident_id, feature, any(norm) AS norm FROM repair_failure_features GROUP BY incident_id, feature',
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ incident_id: string; feature: string; norm: number }>();
      expect(rows).toHaveLength(4);
      for (const r of rows) {
        expect(r.norm).toBeCloseTo(expected[r.incident_id] ?? NaN, 12);
      }
      // The frequencies still come from the projection.
      const created = await old.client.query({ query: 'SHOW CREATE TABLE repair_failure_features', format: 'JSONEachRow' });
      expect(JSON.stringify(await created.json())).toContain('PROJECTION document_frequency');

      await old.client.insert({
        table: 'repair_failure_features',
        format: 'JSONEachRow',
        values: [{ ...featureRow('z', 'c', 3), incident_id: 'w' }],
      });
      const unweighed = await old.client.query({
        query: "SELECT norm, weight_norm FROM repair_failure_features WHERE incident_id = 'w'",
        format: 'JSONEachRow',
      });
      expect(await unweighed.json()).toEqual([{ norm: 3, weight_norm: 3 }]);
    } finally {
      await old.close();
      await dropTestDatabase(`${DATABASE}_0011`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('0006: outcomes written before `verified` existed take it from the rule of their time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-migrations-'));
    const old = await openTestStore(`${DATABASE}_0006`);
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      rmSync(join(dir, '0006_outcomes_verified.sql'));
      rmSync(join(dir, '0008_telemetry_dedup.sql'));
      await runMigrations(old, { dir });
      const row = (id: string, status: string, data: Record<string, unknown>) => ({
        event_id: id,
        version: 1,
        event_type: 'homeostat.outcome.recorded.v1',
        decision_id: id,
        incident_id: 'inc',
        loop: 'l',
        target: 't',
        fingerprint: 'f',
        action: 'a',
        status,
        success: status === 'succeeded',
        time_to_recover_ms: null,
        started_at: '2026-01-01 00:00:00.000',
        finished_at: '2026-01-01 00:00:01.000',
        trace_id: '',
        event: JSON.stringify({ type: 'homeostat.outcome.recorded.v1', data: { status, dryRun: false, ...data } }),
      });
      await old.client.insert({
        table: 'outcomes',
        format: 'JSONEachRow',
        values: [
          row('ok', 'succeeded', {}),
          row('refused', 'failed', { error: { code: 'ADAPTER_FAILED', message: '500' } }),
          row('rejected', 'skipped', { error: { code: 'REJECTED', message: 'no' } }),
          row('unsent', 'failed', { error: { code: 'TEMPLATE_INVALID', message: 'bad' } }),
          row('dry', 'skipped', { dryRun: true }),
        ],
      });
      expect((await runMigrations(old, { dir: MIGRATIONS_DIR })).applied.map((m) => m.version)).toEqual([6, 8]);
      const result = await old.client.query({ query: 'SELECT event_id, verified FROM outcomes ORDER BY event_id', format: 'JSONEachRow' });
      expect(await result.json()).toEqual([
        { event_id: 'dry', verified: false },
        { event_id: 'ok', verified: true },
        { event_id: 'refused', verified: true },
        { event_id: 'rejected', verified: false },
        { event_id: 'unsent', verified: false },
      ]);
    } finally {
      await old.close();
      await dropTestDatabase(`${DATABASE}_0006`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies only a newly added migration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-migrations-'));
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      appendFileSync(join(dir, '9001_scratch.sql'), 'CREATE TABLE IF NOT EXISTS scratch (x UInt8)\nENGINE = MergeTree ORDER BY x;\n');
      const result = await runMigrations(store, { dir });
      expect(result.applied.map((m) => m.name)).toEqual(['scratch']);
      expect((await runMigrations(store, { dir })).applied).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createStoreClient (chDB)', () => {
  it('shares one engine per process and refuses a second data directory', async () => {
    const a = await openTestStore('store_it_share_a');
    const b = await openTestStore('store_it_share_b');
    try {
      expect(a.engine).toBe('chdb');
      await a.client.command({ query: 'CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = MergeTree ORDER BY x' });
      await b.client.command({ query: 'CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = MergeTree ORDER BY x' });
      await a.client.insert({ table: 't', values: [{ x: 1 }], format: 'JSONEachRow' });
      await Promise.all([
        b.client.insert({ table: 't', values: [{ x: 2 }, { x: 3 }], format: 'JSONEachRow' }),
        a.client.command({ query: 'SELECT 1' }),
      ]);
      const count = async (h: StoreHandle) =>
        (await (await h.client.query({ query: 'SELECT currentDatabase() AS db, count() AS n FROM t', format: 'JSONEachRow' })).json())[0];
      expect(await count(a)).toEqual({ db: 'store_it_share_a', n: '1' });
      expect(await count(b)).toEqual({ db: 'store_it_share_b', n: '2' });

      await expect(createStoreClient({ dataDir: join(testStoreDataDir(), 'elsewhere'), database: 'x' })).rejects.toMatchObject({
        code: 'STORE_CHDB_PATH_CONFLICT',
      });
    } finally {
      await a.close();
      await a.close();
      await b.close();
      await dropTestDatabase('store_it_share_a');
      await dropTestDatabase('store_it_share_b');
    }
  });

  it('rejects a bad config, naming the setting', async () => {
    await expect(createStoreClient({ database: 'no-dashes', dataDir: testStoreDataDir() })).rejects.toThrow(/database/);
  });
});

function pick(record: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k] as string]));
}

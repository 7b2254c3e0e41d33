import { BatchInserter, insertRows } from './batch-inserter';
import { toDateTime64 } from './clickhouse-time';
import { MIGRATIONS_DIR, runMigrations } from './migrations/run-migrations';
import type { StoreHandle } from './store-client';
import { StoreError } from './store.errors';
import { dropTestDatabase, openTestStore } from './testing';

const DATABASE = 'store_it_batch_inserter';

type SpanRow = {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': Array<Record<string, string>>;
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': Array<Record<string, string>>;
};

const BASE_NANOS = 1_767_225_600_123_456_789n; // 2026-01-01T00:00:00.123456789Z

function span(i: number): SpanRow {
  const start = BASE_NANOS + BigInt(i) * 1_000_003n;
  return {
    Timestamp: toDateTime64(start, 9),
    TraceId: `trace-${String(Math.floor(i / 10)).padStart(4, '0')}`,
    SpanId: `span-${String(i).padStart(4, '0')}`,
    ParentSpanId: i % 10 === 0 ? '' : `span-${String(i - (i % 10)).padStart(4, '0')}`,
    TraceState: '',
    SpanName: `GET /items/${i % 7}`,
    SpanKind: 'Server',
    ServiceName: i % 2 ? 'shop' : 'payments',
    ResourceAttributes: { 'service.name': i % 2 ? 'shop' : 'payments', 'host.name': `h${i % 3}` },
    ScopeName: '@opentelemetry/instrumentation-http',
    ScopeVersion: '0.57.0',
    SpanAttributes: { 'http.route': `/items/${i % 7}`, 'http.status_code': String(200 + (i % 5)) },
    Duration: String(1_000_000 + i * 17),
    StatusCode: i % 13 === 0 ? 'Error' : 'Unset',
    StatusMessage: i % 13 === 0 ? 'boom: "quoted" \\ and ünïcode' : '',
    'Events.Timestamp': [toDateTime64(start + 5n, 9)],
    'Events.Name': ['exception'],
    'Events.Attributes': [{ 'exception.type': 'Error', n: String(i) }],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
}

describe('BatchInserter (chDB)', () => {
  let store: StoreHandle;

  beforeAll(async () => {
    store = await openTestStore(DATABASE);
    await runMigrations(store, { dir: MIGRATIONS_DIR });
  });

  afterAll(async () => {
    if (store) await store.close();
    await dropTestDatabase(DATABASE);
  });

  async function select<T>(query: string): Promise<T[]> {
    return (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }

  it('writes a few hundred spans in batches and reads them back exactly', async () => {
    const inserter = new BatchInserter<SpanRow>(store, { table: 'otel_traces', maxRows: 128, maxDelayMs: 50 });
    const spans = Array.from({ length: 333 }, (_, i) => span(i));
    // Many callers, each adding a few rows, as consumers would.
    const calls: Array<Promise<void>> = [];
    for (let i = 0; i < spans.length; i += 9) calls.push(inserter.add(spans.slice(i, i + 9)));
    await Promise.all(calls);
    await inserter.close();

    const rows = await select<SpanRow>(
      `SELECT ${Object.keys(spans[0] as SpanRow)
        .map((c) => `\`${c}\``)
        .join(', ')} FROM otel_traces ORDER BY SpanId`,
    );
    expect(rows).toHaveLength(spans.length);
    expect(rows).toEqual(spans);

    // The trace id lookup is fed by its materialized view (one row per trace per insert block).
    const lookup = await select<{ traces: string; start: string }>(
      'SELECT uniqExact(TraceId) AS traces, toString(min(Start)) AS start FROM otel_traces_trace_id_ts',
    );
    expect(lookup).toEqual([{ traces: '34', start: '2026-01-01 00:00:00' }]);
  });

  it('collapses a redelivered ledger event and keeps the latest version of an incident', async () => {
    const opened = {
      incident_id: 'inc-1',
      version: 1_767_225_600_000,
      event_id: 'evt-1',
      event_type: 'homeostat.incident.opened.v1',
      loop: 'shop-latency',
      target: 'shop',
      fingerprint: 'fp-abc',
      status: 'open',
      severity: 'high',
      summary: 'p99 latency above baseline',
      opened_at: '2026-01-01 00:00:00.000',
      updated_at: '2026-01-01 00:00:00.000',
      resolved_at: null,
      time_to_recover_ms: null,
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      event: JSON.stringify({ specversion: '1.0', id: 'evt-1', type: 'homeostat.incident.opened.v1' }),
    };
    const resolved = {
      ...opened,
      version: 1_767_225_642_500,
      event_id: 'evt-2',
      event_type: 'homeostat.incident.resolved.v1',
      status: 'resolved',
      updated_at: '2026-01-01T00:00:42.500Z',
      resolved_at: '2026-01-01T00:00:42.500Z',
      time_to_recover_ms: 42_500,
    };
    const inserter = new BatchInserter<Record<string, unknown>>(store, { table: 'incidents', maxRows: 2 });
    await Promise.all([inserter.add([opened]), inserter.add([resolved])]);
    await inserter.add([opened]); // redelivered after the resolution
    await inserter.close();

    const rows = await select<Record<string, unknown>>(
      'SELECT incident_id, version, status, opened_at, resolved_at, time_to_recover_ms FROM incidents FINAL',
    );
    expect(rows).toEqual([
      {
        incident_id: 'inc-1',
        version: '1767225642500',
        status: 'resolved',
        opened_at: '2026-01-01 00:00:00.000',
        resolved_at: '2026-01-01 00:00:42.500',
        time_to_recover_ms: '42500',
      },
    ]);
  });

  it('rejects every caller of a batch whose insert fails, and flush() too', async () => {
    const inserter = new BatchInserter<Record<string, unknown>>(store, { table: 'otel_traces', maxRows: 1000, maxDelayMs: 20 });
    const good = inserter.add([span(10_000)]);
    const bad = inserter.add([{ ...span(10_001), Duration: 'not a number' }]);
    const results = await Promise.allSettled([good, bad]);
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: expect.any(StoreError) });
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'INSERT_FAILED' });
      expect(String((result as PromiseRejectedResult).reason.message)).toContain('otel_traces');
    }
    const stored = await select<{ n: string }>("SELECT count() AS n FROM otel_traces WHERE SpanId IN ('span-10000', 'span-10001')");
    expect(stored).toEqual([{ n: '0' }]);

    // flush() reports a failure of the batch it writes.
    const third = inserter.add([{ ...span(10_002), Timestamp: 'not a time' }]);
    const flushed = inserter.flush();
    await expect(third).rejects.toMatchObject({ code: 'INSERT_FAILED' });
    await expect(flushed).rejects.toMatchObject({ code: 'INSERT_FAILED' });

    // The inserter keeps working after a failure.
    await expect(inserter.add([span(10_003)])).resolves.toBeUndefined();
    await inserter.close();
    await expect(inserter.add([span(10_004)])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('insertRows throws on failure and writes on success', async () => {
    await expect(insertRows(store, 'dead_letters', [{ topic: 'loop.incidents', received_at: 'yesterday-ish' }])).rejects.toMatchObject({
      code: 'INSERT_FAILED',
    });
    await insertRows(store, 'dead_letters', [
      {
        topic: 'loop.incidents',
        key: 'shop',
        error: 'data.fingerprint: required field is missing',
        error_code: 'CONTRACT_VIOLATION',
        headers: { 'content-type': 'application/cloudevents+json' },
        payload: '{"id":"x"}',
        received_at: '2026-01-01 00:00:01.250',
      },
    ]);
    expect(await select('SELECT topic, key, headers, received_at FROM dead_letters')).toEqual([
      {
        topic: 'loop.incidents',
        key: 'shop',
        headers: { 'content-type': 'application/cloudevents+json' },
        received_at: '2026-01-01 00:00:01.250',
      },
    ]);
  });
});

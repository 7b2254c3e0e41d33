import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { learnerService } from '@homeostat/learner';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { createStoreClient, dropTestDatabase, splitStatements, type StoreHandle } from '@homeostat/store';
import { JsonLogger } from '@homeostat/telemetry';
import { eventually, testConfig } from '../support';
import { DEMO_END, DEMO_LOOP, DEMO_SERVICE, DEMO_START, demoMessages } from './demo-ledger';
import { dashboardVariables, expandMacros, loadDashboards, panelQueries, DATASOURCE_UID } from './grafana-sql';

/**
 * The Grafana dashboards' SQL and the README's ClickHouse cookbook, run against chDB migrated with
 * our migrations and filled by the learner itself from a few hours of demo loop events (so the rows
 * are exactly what production writes). Every query must run and return rows.
 */
const DATABASE = 'deploy_it_analytics';
const COOKBOOK = join(__dirname, '../../deploy/clickhouse/cookbook.sql');

describe('loop analytics on ClickHouse (chDB): Grafana dashboards and the cookbook', () => {
  let stack: RunningStack;
  let store: StoreHandle;
  const variables: Record<string, string> = {};

  beforeAll(async () => {
    await dropTestDatabase(DATABASE);
    const config = testConfig('embedded', DATABASE);
    stack = await runServices([learnerService], config, new JsonLogger('analytics-it', 'warn'));
    const messages = demoMessages();
    for (const { topic, event } of messages) await stack.bus.publish(topic, event, { key: event.subject ?? DEMO_SERVICE });
    // One message no consumer can read: it must reach dead_letters through the bus's DLQ.
    await stack.bus.publishRaw({ topic: 'loop.incidents', key: DEMO_SERVICE, value: Buffer.from('{"not":"a cloudevent"}'), headers: {} });
    store = await createStoreClient({ dataDir: config.dataDir, database: DATABASE });
    const count = async (table: string, where = '1'): Promise<number> =>
      Number(
        (
          await (
            await store.client.query({ query: `SELECT count() AS n FROM ${table} WHERE ${where}`, format: 'JSONEachRow' })
          ).json<{ n: string }>()
        )[0]?.n,
      );
    const expectedSpans = messages.filter((m) => m.event.type === 'homeostat.telemetry.spans.v1').length * 12;
    await eventually(
      'the learner to store the demo ledger and telemetry',
      async () =>
        (await count('incidents FINAL', "status = 'resolved'")) === 12 &&
        (await count('otel_traces')) === expectedSpans &&
        (await count('knowledge FINAL')) > 0 &&
        (await count('dead_letters')) > 0,
      90_000,
    );
  });

  afterAll(async () => {
    await store?.close();
    await stack?.stop();
    await dropTestDatabase(DATABASE);
  });

  async function run(sql: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
    const result = await store.client.query({ query: sql, format: 'JSONEachRow', query_params: params });
    return result.json<Record<string, unknown>>();
  }

  it('the dashboards use the provisioned ClickHouse data source everywhere', () => {
    const dashboards = loadDashboards();
    expect(dashboards.map((d) => d.file)).toEqual([
      'action-effectiveness.json',
      'learning-curve.json',
      'loop-overview.json',
      'telemetry.json',
    ]);
    for (const { file, dashboard } of dashboards) {
      for (const panel of dashboard.panels) {
        expect({ file, panel: panel.title, uid: panel.datasource?.uid }).toEqual({ file, panel: panel.title, uid: DATASOURCE_UID });
        for (const t of panel.targets ?? []) expect(t.datasource?.uid).toBe(DATASOURCE_UID);
      }
    }
    const provisioning = readFileSync(join(__dirname, '../../deploy/grafana/provisioning/datasources/clickhouse.yaml'), 'utf8');
    expect(provisioning).toContain(`uid: ${DATASOURCE_UID}`);
  });

  it("every dashboard variable's query runs and offers the demo's loop and service", async () => {
    for (const v of dashboardVariables()) {
      const rows = await run(v.sql);
      const values = rows.map((r) => String(Object.values(r)[0]));
      expect({ variable: `${v.dashboard} $${v.name}`, values }).toEqual({
        variable: `${v.dashboard} $${v.name}`,
        values: expect.arrayContaining([v.name === 'loop' ? DEMO_LOOP : DEMO_SERVICE]),
      });
      variables[v.name] = v.name === 'loop' ? DEMO_LOOP : DEMO_SERVICE;
    }
    expect(Object.keys(variables).sort()).toEqual(['loop', 'service']);
  });

  const queries = panelQueries();
  it.each(queries.map((q) => [`${q.dashboard}: ${q.panel}`, q] as const))('panel %s runs and shows demo data', async (_name, q) => {
    const sql = expandMacros(q.sql, {
      fromMs: DEMO_START,
      toMs: DEMO_END,
      intervalSeconds: 300,
      variables: { loop: DEMO_LOOP, service: DEMO_SERVICE },
    });
    const rows = await run(sql);
    expect(rows.length).toBeGreaterThan(0);
    // A time series needs a time column the plugin can plot.
    if (q.panelType === 'timeseries') expect(Object.keys(rows[0] as object)).toContain('time');
    // Every value a panel shows is present (no column NULL in every row, e.g. a wrong join).
    for (const column of Object.keys(rows[0] as object)) {
      expect({ column, allNull: rows.every((r) => r[column] === null) }).toEqual({ column, allNull: false });
    }
  });

  it('the learning curve shows it: later occurrences of a failure recover faster and need one action', async () => {
    const q = queries.find((x) => x.panel === 'Time to recover by occurrence of the same failure');
    const rows = await run(
      expandMacros(q!.sql, { fromMs: DEMO_START, toMs: DEMO_END, intervalSeconds: 300, variables: { loop: DEMO_LOOP } }),
    );
    const pool = rows.filter((r) => String(r['fingerprint']).includes('pool-exhaustion'));
    expect(pool.map((r) => Number(r['occurrence']))).toEqual([1, 2, 3, 4]);
    expect(pool.map((r) => Number(r['actions_tried']))).toEqual([3, 1, 1, 1]);
    const ttr = pool.map((r) => Number(r['ttr_s']));
    expect(ttr[3]).toBeLessThan(ttr[0] as number);
  });

  it('the macros a panel may use are expanded, and an unknown one fails', () => {
    const ctx = { fromMs: 1_000_000, toMs: 2_000_000, intervalSeconds: 60, variables: { loop: 'shop' } };
    expect(expandMacros("SELECT $__timeInterval(t) AS time FROM x WHERE $__timeFilter(t) AND loop = '${loop}'", ctx)).toBe(
      "SELECT toStartOfInterval(toDateTime(t), INTERVAL 60 second) AS time FROM x WHERE t >= toDateTime(1000) AND t <= toDateTime(2000) AND loop = 'shop'",
    );
    expect(() => expandMacros('SELECT $__unknownMacro(t)', ctx)).toThrow(/not expanded/);
    expect(() => expandMacros("SELECT '${nope}'", ctx)).toThrow(/unknown dashboard variable/);
  });

  // Each query follows its `-- name:` line; exactly one statement per name.
  const cookbook = readFileSync(COOKBOOK, 'utf8')
    .split(/^-- name: /m)
    .slice(1)
    .map((chunk) => {
      const name = chunk.slice(0, chunk.indexOf('\n')).trim();
      const statements = splitStatements(chunk.slice(chunk.indexOf('\n')));
      if (statements.length !== 1) throw new Error(`cookbook ${name}: ${statements.length} statements, expected 1`);
      return [name, statements[0] as string] as const;
    });
  it('the cookbook holds the queries the README names', () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    expect(readme).toContain('deploy/clickhouse/cookbook.sql');
    expect(cookbook.length).toBeGreaterThanOrEqual(8);
  });

  it.each(cookbook)('cookbook query %s runs on the demo ledger and returns rows', async (_name, sql) => {
    const rows = await run(sql, { loop: DEMO_LOOP });
    expect(rows.length).toBeGreaterThan(0);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { learnerService } from '@homeostat/learner';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { createStoreClient, dropTestDatabase, splitStatements, type StoreHandle } from '@homeostat/store';
import { JsonLogger } from '@homeostat/telemetry';
import { eventually, testConfig } from '../support';
import { DEMO_END, DEMO_LOOP, DEMO_SERVICE, DEMO_START, demoMessages } from './demo-ledger';
import { DEMO_OPTIMIZE_LOOP, DEMO_REPAIR_LOOP } from './demo-loops';
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
        (await count('incidents FINAL', `status = 'resolved' AND loop = '${DEMO_LOOP}'`)) === 12 &&
        (await count('incidents FINAL', `status = 'resolved' AND loop = '${DEMO_REPAIR_LOOP}'`)) === 3 &&
        (await count('incidents FINAL', `status = 'resolved' AND loop = '${DEMO_OPTIMIZE_LOOP}'`)) === 5 &&
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
    expect(cookbook.length).toBeGreaterThanOrEqual(14);
    for (const [name] of cookbook) expect({ name, inReadme: readme.includes(`| \`${name}\` |`) }).toEqual({ name, inReadme: true });
  });

  // The repair-* and optimize-* queries are about a loop of that kind.
  const loopOf = (name: string): string =>
    name.startsWith('repair-') ? DEMO_REPAIR_LOOP : name.startsWith('optimize-') ? DEMO_OPTIMIZE_LOOP : DEMO_LOOP;

  it.each(cookbook)('cookbook query %s runs on the demo ledger and returns rows', async (name, sql) => {
    const rows = await run(sql, { loop: loopOf(name) });
    expect(rows.length).toBeGreaterThan(0);
  });

  const cookbookQuery = (name: string): string => cookbook.find(([n]) => n === name)![1];

  it('repair: failures per signature, fix success per signature × fix, and the next failure of a signature fixed first time, faster', async () => {
    const loop = { loop: DEMO_REPAIR_LOOP };
    const failures = await run(cookbookQuery('repair-failures-per-signature'), loop);
    expect(
      failures.map((r) => [r['signature'], Number(r['failures']), Number(r['fixed']), r['category'], Number(r['repositories'])]),
    ).toEqual([
      ['toolchain|EBADENGINE|engine-node', 2, 2, 'toolchain', 2],
      ['test|assertion|connector-api', 1, 1, 'test', 1],
    ]);
    const success = await run(cookbookQuery('repair-fix-success-by-signature'), loop);
    expect(success.map((r) => [r['signature'], r['fix'], Number(r['validations']), Number(r['passed']), Number(r['pushed'])])).toEqual([
      ['test|assertion|connector-api', 'revert-update', 1, 1, 1],
      ['toolchain|EBADENGINE|engine-node', 'revert-update', 2, 2, 2],
      ['toolchain|EBADENGINE|engine-node', 'move-dependency', 1, 0, 0],
    ]);
    const curve = (await run(cookbookQuery('repair-time-to-validated-fix'), loop)).filter(
      (r) => r['signature'] === 'toolchain|EBADENGINE|engine-node',
    );
    expect(curve.map((r) => [Number(r['occurrence']), Number(r['candidates_tried']), r['fix']])).toEqual([
      [1, 2, 'revert-update'],
      [2, 1, 'revert-update'],
    ]);
    expect(Number(curve[1]!['time_to_fix_s'])).toBeLessThan(Number(curve[0]!['time_to_fix_s']));
    expect(String(curve[1]!['fix_commit'])).toMatch(/^[0-9a-f]{40}$/);
  });

  it('optimize: experiments per route, kept vs rolled back with why, and the effect sizes', async () => {
    const loop = { loop: DEMO_OPTIMIZE_LOOP };
    const perRoute = await run(cookbookQuery('optimize-experiments-per-route'), loop);
    expect(
      perRoute.map((r) => [
        r['route'],
        r['knob'],
        Number(r['experiments']),
        Number(r['kept']),
        Number(r['rolled_back']),
        Number(r['known_good_reused']),
      ]),
    ).toEqual([
      ['GET /catalog', 'cache', 2, 2, 0, 1],
      ['GET /catalog', 'concurrency', 1, 0, 1, 0],
      ['GET /search', 'balancer', 1, 1, 0, 0],
      ['GET /search', 'retry', 1, 0, 1, 0],
    ]);
    const ratio = await run(cookbookQuery('optimize-kept-ratio'), loop);
    expect(
      ratio.map((r) => [
        r['route'],
        Number(r['kept']),
        Number(r['rolled_back']),
        Number(r['kept_ratio']),
        Number(r['by_guard']),
        Number(r['within_noise']),
      ]),
    ).toEqual([
      ['GET /catalog', 2, 1, 0.667, 1, 0],
      ['GET /search', 1, 1, 0.5, 0, 1],
    ]);
    const effects = await run(cookbookQuery('optimize-effect-sizes'), loop);
    expect(effects.map((r) => [r['route'], r['effect_ms'], r['effect_low_ms'], r['effect_high_ms'], Boolean(r['kept'])])).toEqual([
      ['GET /catalog', 58, 50, 63, true],
      ['GET /catalog', null, null, null, false],
      ['GET /search', 31, 22, 40, true],
      ['GET /search', 2, -4, 7, false],
      ['GET /catalog', 58, 50, 63, true],
    ]);
  });

  it("the learner's read API gives the console an optimize loop's experiments and the config it remembers per regime", async () => {
    const learner = stack.services.find((s) => s.name === 'learner')!.url;
    const experiments = (await (await fetch(`${learner}/api/experiments?loop=${DEMO_OPTIMIZE_LOOP}`)).json()) as {
      decision: { data: { experiment: { change: string } } };
      outcome: { data: { status: string } } | null;
    }[];
    expect(Array.isArray(experiments) ? 'an array' : experiments).toBe('an array');
    expect(experiments.map((x) => [x.decision.data.experiment.change, x.outcome?.data.status])).toEqual([
      ['cache GET /catalog 22.5 s + 7.5 s stale', 'succeeded'],
      ['concurrency 16 → 48 on catalog', 'rolled-back'],
      ['p2c-ewma across search replicas', 'succeeded'],
      ['retry budget 20 %', 'rolled-back'],
      ['cache GET /catalog 22.5 s + 7.5 s stale', 'succeeded'],
    ]);
    expect((await fetch(`${learner}/api/experiments`)).status).toBe(400);
    const rows = (await (await fetch(`${learner}/api/analytics/effectiveness?loop=${DEMO_OPTIMIZE_LOOP}`)).json()) as {
      action: string;
      params?: { body?: { change?: string } };
    }[];
    expect(rows.find((r) => r.action === 'tune-cache')?.params?.body?.change).toBe('cache GET /catalog 22.5 s + 7.5 s stale');
    expect(rows.find((r) => r.action === 'tune-retry')?.params).toBeUndefined();
  });
});

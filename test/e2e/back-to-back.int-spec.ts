import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoResult } from '@homeostat/cli';
import { fastShopLoopDir } from './shop-loop';

/**
 * Faults back to back (embedded, the real shop): each one as soon as /health is 200 again after
 * the last, without waiting for the last incident to resolve. The four kinds in a row, then the
 * last kind again at once: a relapse of its incident, still open, after a verified fix.
 */
describe('faults back to back (embedded): four kinds in a row, then a relapse', () => {
  const plan = ['pool-leak', 'slow-dependency', 'retry-storm', 'bad-config', 'bad-config'];
  let result: DemoResult;
  const lines: string[] = [];

  beforeAll(async () => {
    const chdb = process.env['HOMEOSTAT_TEST_CHDB_DIR'];
    if (!chdb) throw new Error('HOMEOSTAT_TEST_CHDB_DIR is not set: run through the integration project');
    const dataDir = await mkdtemp(join(tmpdir(), 'back-to-back-'));
    result = await runDemo(
      {
        incidents: plan.length,
        faults: [...new Set(plan)],
        plan,
        seed: 7,
        dataDir,
        // The shop loop's own resolve wait (30 s): a fault comes while the last incident is open, as it
        // does for a person driving the shop. A shorter verification deadline (the shop's fixes
        // verify in 5–16 s) keeps the four first occurrences' exploration, with its failed tries, short.
        loopsDir: await fastShopLoopDir({ resolveAfter: '30s', deadline: '22s' }),
        traffic: 25,
        shopPort: 0,
        warmupMs: 30_000,
        incidentTimeoutMs: 150_000,
        quietMs: 4_000,
        backToBack: true,
        env: {
          ...process.env,
          CHDB_DIR: chdb,
          CLICKHOUSE_DATABASE: `backtoback_${randomUUID().slice(0, 8)}`,
          ANALYZER_BUCKET_MS: '2000',
          ANALYZER_TICK_MS: '500',
          HOMEOSTAT_DECIDER_SEED: '7',
          LOG_LEVEL: 'info',
          ...Object.fromEntries(['COLLECTOR', 'ANALYZER', 'DECIDER', 'EXECUTOR', 'LEARNER', 'CONSOLE'].map((s) => [`${s}_PORT`, '0'])),
        },
      },
      { phase: () => undefined, log: (line) => lines.push(line) },
    );
    const log = (await readFile(join(dataDir, 'homeostat.log'), 'utf8')).split('\n');
    const incidents = log
      .filter((l) => /opened incident|resolved incident|relapsed at/.test(l))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    process.stdout.write(`${lines.join('\n')}\n${incidents.join('\n')}\n`);
  }, 20 * 60_000);

  it('heals every fault', () => {
    const notRecovered = result.report.rows.filter((r) => !r.recovered);
    expect(notRecovered.map((r) => `#${r.index} ${r.fault}: ${r.problem ?? r.actions.join(' → ')}`)).toEqual([]);
  });

  it('gives each new kind of failure an incident of its own, with a fingerprint of its own', () => {
    const kinds = result.records.slice(0, 4);
    expect(kinds.map((r) => ({ fault: r.fault, relapse: r.relapse ?? false }))).toEqual(
      plan.slice(0, 4).map((fault) => ({ fault, relapse: false })),
    );
    expect(new Set(kinds.map((r) => r.incidentId)).size).toBe(4);
    expect(new Set(kinds.map((r) => r.fingerprint)).size).toBe(4);
  });

  it('takes the same kind again right after its fix as a relapse of the open incident, and acts on it', () => {
    const [fixed, again] = result.records.slice(3);
    expect({ relapse: again!.relapse, incidentId: again!.incidentId, fingerprint: again!.fingerprint }).toEqual({
      relapse: true,
      incidentId: fixed!.incidentId,
      fingerprint: fixed!.fingerprint,
    });
    expect(again!.actions.length).toBeGreaterThan(0);
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoResult } from '@homeostat/cli';
import { fastShopLoopDir } from './shop-loop';

/**
 * The self-healing loop end to end in embedded mode, on the real shop: 4 incidents of each fault
 * in a seeded random order, back to back — each fault as soon as /health is 200 again after the
 * last, without waiting for the last incident to resolve, as faults come in production. Every one
 * must recover, each kind with one fingerprint of its own, a fault of the kind just fixed must be a
 * relapse of its still-open incident that is acted on again, and from the third occurrence of a
 * kind on the loop's first action must be one that fixes it (it learned which, per fingerprint).
 * The loop spec is the shop's with shorter waits (see fastShopLoopDir), but its own resolve wait
 * (30 s), so a fault comes while the last incident is open. The verification deadline stays the
 * shop's 30 s: with less, a retry policy or a cache on a loaded machine is judged before /health's
 * window has turned over, and the right fix is rolled back.
 */
describe('the loop learns on the shop (embedded): 4 × 4 incidents, back to back', () => {
  let result: DemoResult;
  const lines: string[] = [];

  beforeAll(async () => {
    const chdb = process.env['HOMEOSTAT_TEST_CHDB_DIR'];
    if (!chdb) throw new Error('HOMEOSTAT_TEST_CHDB_DIR is not set: run through the integration project');
    const dataDir = await mkdtemp(join(tmpdir(), 'demo-'));
    result = await runDemo(
      {
        incidents: 16,
        faults: ['pool-leak', 'slow-dependency', 'retry-storm', 'bad-config'],
        seed: 42,
        dataDir,
        loopsDir: await fastShopLoopDir({ resolveAfter: '30s' }),
        traffic: 25,
        shopPort: 0,
        warmupMs: 40_000,
        incidentTimeoutMs: 150_000,
        quietMs: 4_000,
        backToBack: true,
        env: {
          ...process.env,
          CHDB_DIR: chdb,
          CLICKHOUSE_DATABASE: `learning_${randomUUID().slice(0, 8)}`,
          ANALYZER_BUCKET_MS: '2000',
          ANALYZER_TICK_MS: '500',
          HOMEOSTAT_DECIDER_SEED: '42',
          COLLECTOR_BODY_POOL_POISON: 'true',
          LOG_LEVEL: 'info',
          ...Object.fromEntries(['COLLECTOR', 'ANALYZER', 'DECIDER', 'EXECUTOR', 'LEARNER', 'CONSOLE'].map((s) => [`${s}_PORT`, '0'])),
        },
      },
      { phase: () => undefined, log: (line) => lines.push(line) },
    );
    // The run's own account, and what each incident opened with (the analyzer's log), for whoever reads a failure.
    const incidents = (await readFile(join(dataDir, 'homeostat.log'), 'utf8'))
      .split('\n')
      .filter((l) => /opened incident|resolved incident|relapsed at/.test(l));
    process.stdout.write(`${lines.join('\n')}\n${incidents.map((l) => (JSON.parse(l) as { msg: string }).msg).join('\n')}\n`);
  }, 30 * 60_000);

  it('recovers from every incident', () => {
    const notRecovered = result.report.rows.filter((r) => !r.recovered);
    expect(notRecovered.map((r) => `#${r.index} ${r.fault}: ${r.problem ?? r.actions.join(' → ')}`)).toEqual([]);
  });

  it('from the third occurrence of a kind on, first tries an action that fixes it', () => {
    const late = result.report.rows.filter((r) => r.occurrence >= 3);
    expect(late).toHaveLength(8);
    const missed = late.filter((r) => !(r.actions[0] ?? '').endsWith(':succeeded'));
    expect(missed.map((r) => `#${r.index} ${r.fault} (${r.occurrence}): ${r.actions.join(' → ')}`)).toEqual([]);
  });

  it('gives each kind of fault one fingerprint, which is what lets the learning carry over', () => {
    for (const kind of result.report.summary.perKind)
      expect({ fault: kind.fault, fingerprints: kind.fingerprints.length }).toEqual({ fault: kind.fault, fingerprints: 1 });
  });

  it('gives the first occurrence of each kind an incident of its own, though the last one was still open', () => {
    const firsts = result.records.filter((r, i) => result.records.findIndex((x) => x.fault === r.fault) === i);
    expect(firsts.map((r) => ({ fault: r.fault, relapse: r.relapse ?? false }))).toEqual(
      firsts.map((r) => ({ fault: r.fault, relapse: false })),
    );
    expect(new Set(firsts.map((r) => r.incidentId)).size).toBe(4);
  });

  it('takes a fault of the kind just fixed as a relapse of its open incident, and acts on it again', () => {
    // The seeded plan has the same kind twice in a row (retry-storm, then slow-dependency).
    const again = result.records.filter((r, i) => i > 0 && result.records[i - 1]!.fault === r.fault);
    expect(again.length).toBeGreaterThan(0);
    for (const r of again) {
      const before = result.records[r.index - 2]!;
      expect({
        fault: r.fault,
        relapse: r.relapse ?? false,
        incident: r.incidentId === before.incidentId,
        acted: r.actions.length > 0,
      }).toEqual({
        fault: r.fault,
        relapse: true,
        incident: true,
        acted: true,
      });
    }
  });
});

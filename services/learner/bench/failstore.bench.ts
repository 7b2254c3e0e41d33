/**
 * Retrieval among stored repair failures (issue 14's target: 100,000 stored, ≤ 50 ms p95). Makes
 * up FAILSTORE_N failures with the shape of real ones (rows/testing/synthetic-failures.ts, seeded),
 * stores them through the learner's own row code (ledgerRows of each failure's opening) in chDB
 * in batches as the learner writes them, then asks for the 5 most similar stored failures of
 * FAILSTORE_QUERIES new failures (the same vocabularies, another seed) through the learner's
 * query (findSimilarFailures), and prints the insert time and the latency percentiles. chDB in
 * this process, in a temp data directory removed at the end.
 *
 *   npm run bench:failstore            (FAILSTORE_N=100000 FAILSTORE_QUERIES=300 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoreClient, insertRows, runMigrations } from '@homeostat/store';
import { ledgerRows } from '../src/rows/ledger-rows';
import { syntheticFailures, syntheticOpening } from '../src/rows/testing/synthetic-failures';
import { EXHAUSTIVE, findSimilarFailures, similarFailuresRequestSchema, type SimilarFailuresQuery } from '../src/similar-failures.query';

const N = Number(process.env['FAILSTORE_N'] ?? 100_000);
const QUERIES = Number(process.env['FAILSTORE_QUERIES'] ?? 300);
const WARMUP = 20;
/** Failures per insert: the learner writes ledger rows as they come; a backfill or a busy bus gathers about this many. */
const BATCH = Number(process.env['FAILSTORE_BATCH'] ?? 2_000);

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  if (process.env['TZ'] !== 'UTC') throw new Error('run with TZ=UTC (npm run bench:failstore sets it)');
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-failstore-bench-'));
  const store = await createStoreClient({ dataDir: dir, database: 'failstore_bench' });
  try {
    await runMigrations(store);
    const start = Date.UTC(2026, 0, 1);
    const failures = syntheticFailures(N, 14);
    let features = 0;
    let insertMs = 0;
    for (let i = 0; i < failures.length; i += BATCH) {
      const byTable = new Map<string, Record<string, unknown>[]>();
      for (const [j, f] of failures.slice(i, i + BATCH).entries()) {
        features += Object.keys(f.features).length;
        // One failure a minute, so the stored span a few months.
        for (const { table, rows } of ledgerRows(syntheticOpening(f, new Date(start + (i + j) * 60_000).toISOString())))
          (byTable.get(table) ?? byTable.set(table, []).get(table))?.push(...rows);
      }
      const t0 = performance.now();
      for (const [table, rows] of byTable) await insertRows(store, table, rows);
      insertMs += performance.now() - t0;
      if ((i / BATCH) % 10 === 9) process.stderr.write(`  stored ${i + BATCH} failures\n`);
    }
    console.log(
      `stored ${N} failures (${features} features, ${(features / N).toFixed(1)} a failure) in ${(insertMs / 1000).toFixed(1)} s of inserts ` +
        `(${Math.round(N / (insertMs / 1000))} failures/s, batches of ${BATCH}, all four incident tables)`,
    );

    const queries = syntheticFailures(QUERIES + WARMUP, 4_014, undefined, 'query-');
    const latencies: number[] = [];
    let candidates = 0;
    let scored = 0;
    let exact = 0;
    const checked: Array<{ query: SimilarFailuresQuery; ids: string[] }> = [];
    for (const [i, f] of queries.entries()) {
      const query = similarFailuresRequestSchema.parse({ features: f.features, k: 5 });
      const t0 = performance.now();
      const answer = await findSimilarFailures(store.client, query);
      const ms = performance.now() - t0;
      if (i < WARMUP) continue;
      latencies.push(ms);
      candidates += answer.candidates;
      scored += answer.scored;
      if (answer.exact) exact++;
      if (i % 20 === 0) checked.push({ query, ids: answer.similar.map((s) => s.incidentId) });
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `retrieval of the 5 most similar among ${N}: ${QUERIES} queries, p50 ${quantile(latencies, 0.5).toFixed(1)} ms, ` +
        `p95 ${quantile(latencies, 0.95).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`,
    );
    console.log(
      `  ${(candidates / QUERIES).toFixed(0)} candidates a query (sharing a searched feature), ${(scored / QUERIES).toFixed(0)} scored exactly; ` +
        `${exact} of ${QUERIES} answers proven exact`,
    );
    // Every candidate scored, no feature left out: the exact ranking, to measure the bounded one against.
    let same = 0;
    let found = 0;
    let wanted = 0;
    const t1 = performance.now();
    for (const c of checked) {
      const all = await findSimilarFailures(store.client, c.query, EXHAUSTIVE);
      const ids = all.similar.map((s) => s.incidentId);
      if (ids.join() === c.ids.join()) same++;
      found += ids.filter((id) => c.ids.includes(id)).length;
      wanted += ids.length;
    }
    console.log(
      `  against the exhaustive ranking (${checked.length} queries, ${((performance.now() - t1) / checked.length).toFixed(0)} ms each): ` +
        `the same 5 in the same order for ${same}, recall@5 ${(found / Math.max(1, wanted)).toFixed(3)}`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

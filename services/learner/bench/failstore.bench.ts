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
import { createStoreClient, insertRows, runMigrations, type StoreHandle } from '@homeostat/store';
import { weighFailures } from '../src/failure-norms';
import { ledgerRows } from '../src/rows/ledger-rows';
import { syntheticFailures, syntheticOpening, type SyntheticFailure } from '../src/rows/testing/synthetic-failures';
import {
  findSimilarFailures,
  RETRIEVAL_BOUNDS,
  similarFailuresRequestSchema,
  type RetrievalBounds,
  type SimilarFailuresQuery,
} from '../src/similar-failures.query';

const N = Number(process.env['FAILSTORE_N'] ?? 100_000);
const QUERIES = Number(process.env['FAILSTORE_QUERIES'] ?? 300);
const WARMUP = 20;
/** Failures per insert: the learner writes ledger rows as they come; a backfill or a busy bus gathers about this many. */
const BATCH = Number(process.env['FAILSTORE_BATCH'] ?? 2_000);

/** The retrieval's bounds (similar-failures.query.ts), to try others: FAILSTORE_POSTINGS, FAILSTORE_LIMIT. */
const BOUNDS: RetrievalBounds = {
  postings: Number(process.env['FAILSTORE_POSTINGS'] ?? RETRIEVAL_BOUNDS.postings),
  limit: Number(process.env['FAILSTORE_LIMIT'] ?? RETRIEVAL_BOUNDS.limit),
};

function exhaustive(
  features: Readonly<Record<string, number>>,
  stored: readonly SyntheticFailure[],
  df: ReadonlyMap<string, number>,
  k: number,
): Array<{ id: string; score: number }> {
  const n = stored.length + 1;
  const weigh = (key: string, x: number): number => x * (Math.log((1 + n) / (1 + (df.get(key) ?? 0) + (key in features ? 1 : 0))) + 1);
  const q = new Map(Object.entries(features).map(([key, x]) => [key, weigh(key, x)]));
  const qNorm = Math.sqrt([...q.values()].reduce((a, x) => a + x * x, 0));
  const scored: Array<{ id: string; score: number }> = [];
  for (const f of stored) {
    let dot = 0;
    let norm = 0;
    for (const [key, x] of Object.entries(f.features)) {
      const y = weigh(key, x);
      norm += y * y;
      dot += (q.get(key) ?? 0) * y;
    }
    if (dot > 0) scored.push({ id: f.incidentId, score: Math.round((dot / (qNorm * Math.sqrt(norm))) * 1000) / 1000 });
  }
  return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, k);
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** The latency of each query's retrieval after a warm-up, printed; the answers of every tenth, for the check. */
async function measure(
  store: StoreHandle,
  queries: readonly SyntheticFailure[],
  label: string,
): Promise<Array<{ query: SimilarFailuresQuery; ids: string[] }>> {
  const latencies: number[] = [];
  let candidates = 0;
  let scored = 0;
  let exact = 0;
  const checked: Array<{ query: SimilarFailuresQuery; ids: string[] }> = [];
  for (const [i, f] of queries.entries()) {
    const query = similarFailuresRequestSchema.parse({ features: f.features, k: 5 });
    const t0 = performance.now();
    const answer = await findSimilarFailures(store.client, query, BOUNDS);
    const ms = performance.now() - t0;
    if (i < WARMUP) continue;
    latencies.push(ms);
    candidates += answer.candidates;
    scored += answer.scored;
    if (answer.exact) exact++;
    if (i % 10 === 0) checked.push({ query, ids: answer.similar.map((s) => s.incidentId) });
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `retrieval of the 5 most similar among ${N} (${label}): ${QUERIES} queries, p50 ${quantile(latencies, 0.5).toFixed(1)} ms, ` +
      `p95 ${quantile(latencies, 0.95).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`,
  );
  console.log(
    `  bounds: ${BOUNDS.postings} postings, ${BOUNDS.limit} scored; ${(candidates / QUERIES).toFixed(0)} candidates a query ` +
      `(sharing a searched feature), ${(scored / QUERIES).toFixed(0)} scored exactly; ${exact} of ${QUERIES} answers proven exact`,
  );
  return checked;
}

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
      // Weighed as the learner weighs what it writes (one read a batch), in the time measured.
      const weighed = await weighFailures(
        store.client,
        [...byTable].map(([table, rows]) => ({ table, rows })),
      );
      for (const { table, rows } of weighed) await insertRows(store, table, rows);
      insertMs += performance.now() - t0;
      if ((i / BATCH) % 10 === 9) process.stderr.write(`  stored ${i + BATCH} failures\n`);
    }
    console.log(
      `stored ${N} failures (${features} features, ${(features / N).toFixed(1)} a failure) in ${(insertMs / 1000).toFixed(1)} s of inserts ` +
        `(${Math.round(N / (insertMs / 1000))} failures/s, batches of ${BATCH}, all four incident tables)`,
    );

    const queries = syntheticFailures(QUERIES + WARMUP, 4_014, undefined, 'query-');
    const checked = await measure(store, queries, 'as inserted');
    // The parts the inserts made merge in the background; merged, each read opens one part.
    const t0 = performance.now();
    for (const table of ['repair_failures', 'repair_failure_features'])
      await store.client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
    console.log(`merged the parts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await measure(store, queries, 'merged');
    // The exact ranking to measure the bounded one against: the same cosine as libs/repair's
    // similarFailures, one query against every stored failure in memory (similarFailures itself
    // compares all pairs, out of reach at this size; the integration test checks them equal).
    const df = new Map<string, number>();
    for (const f of failures) for (const key of Object.keys(f.features)) df.set(key, (df.get(key) ?? 0) + 1);
    let same = 0;
    let found = 0;
    let wanted = 0;
    for (const c of checked) {
      const ids = exhaustive(c.query.features, failures, df, 5).map((s) => s.id);
      if (ids.join() === c.ids.join()) same++;
      found += ids.filter((id) => c.ids.includes(id)).length;
      wanted += ids.length;
    }
    console.log(
      `  against the exhaustive ranking (${checked.length} queries): the same 5 in the same order for ${same}, ` +
        `recall@5 ${(found / Math.max(1, wanted)).toFixed(3)}`,
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

import { similarFailures } from '@homeostat/repair';
import { createStoreClient, dropTestDatabase, insertRows, runMigrations, testStoreDataDir, type StoreHandle } from '@homeostat/store';
import { weighFailures } from './failure-norms';
import { ledgerRows } from './rows/ledger-rows';
import { syntheticFailures, syntheticOpening, type SyntheticFailure, type SyntheticVocabulary } from './rows/testing/synthetic-failures';
import { EXHAUSTIVE, findSimilarFailures, similarFailuresRequestSchema } from './similar-failures.query';

const DATABASE = 'learner_similar_failures_test';
const SMALL: SyntheticVocabulary = { templates: 300, dependencies: 60, packages: 400, loops: 4, repositories: 12 };

/** Failures' openings written as the learner writes them: ledgerRows, weighed against the store, one insert a table. */
async function writeInto(store: StoreHandle, failures: readonly SyntheticFailure[], time: string): Promise<void> {
  const byTable = new Map<string, Record<string, unknown>[]>();
  for (const f of failures)
    for (const { table, rows } of ledgerRows(syntheticOpening(f, time)))
      (byTable.get(table) ?? byTable.set(table, []).get(table))?.push(...rows);
  const weighed = await weighFailures(
    store.client,
    [...byTable].map(([table, rows]) => ({ table, rows })),
  );
  for (const { table, rows } of weighed) await insertRows(store, table, rows);
}

/*
 * Repair failures written as the learner writes them (ledgerRows of their openings, weighed) into chDB
 * with the real migrations, then read back by the learner's similar-failures query: its ranking
 * is libs/repair's similarFailures' over the same failures.
 */
describe('similar repair failures in chDB', () => {
  let store: StoreHandle;
  const stored = syntheticFailures(80, 7, SMALL, 'stored-');
  const query = (f: SyntheticFailure, over: Record<string, unknown> = {}) =>
    similarFailuresRequestSchema.parse({ features: f.features, k: 5, ...over });
  const write = (failures: readonly SyntheticFailure[], time: string): Promise<void> => writeInto(store, failures, time);

  beforeAll(async () => {
    await dropTestDatabase(DATABASE);
    store = await createStoreClient({ dataDir: testStoreDataDir(), database: DATABASE });
    await runMigrations(store);
    // In four writes, so the first are weighed against a store a quarter of the size: their norms drifted.
    for (let i = 0; i < stored.length; i += 20) await write(stored.slice(i, i + 20), '2026-01-01T00:00:00.000Z');
  });

  afterAll(async () => {
    if (store) await store.close();
    await dropTestDatabase(DATABASE);
  });

  it('given stored failures, when a new failure asks, then the ranking and scores are similarFailures’ over the same failures', async () => {
    for (const f of syntheticFailures(12, 8, SMALL, 'new-')) {
      const answer = await findSimilarFailures(store.client, query(f));
      const expected = similarFailures(
        [{ id: '', features: f.features }, ...stored.map((s) => ({ id: s.incidentId, features: s.features }))],
        5,
      ).get('');
      expect(answer.exact).toBe(true);
      expect(answer.similar.map((s) => ({ id: s.incidentId, score: s.score }))).toEqual(expected);
    }
  });

  it('answers what each failure was stored with: loop, repository, signature, category, when it opened', async () => {
    const target = stored[3] as SyntheticFailure;
    const { similar } = await findSimilarFailures(store.client, query(target));
    expect(similar[0]).toEqual({
      incidentId: target.incidentId,
      loop: target.loop,
      target: target.target,
      signature: target.signature,
      category: target.category,
      openedAt: expect.stringMatching(/^2026-01-01T00:00:00\.0+Z$/) as unknown,
      score: 1,
    });
  });

  it('given loops or failures to leave out, then only the others are answered', async () => {
    const target = stored[3] as SyntheticFailure;
    const excluded = await findSimilarFailures(store.client, query(target, { exclude: [target.incidentId] }));
    expect(excluded.similar.map((s) => s.incidentId)).not.toContain(target.incidentId);
    const other = stored.find((s) => s.loop !== target.loop) as SyntheticFailure;
    const scoped = await findSimilarFailures(store.client, query(target, { loops: [other.loop], k: 50 }));
    expect(scoped.similar.length).toBeGreaterThan(0);
    expect(new Set(scoped.similar.map((s) => s.loop))).toEqual(new Set([other.loop]));
  });

  it('given a bounded search, then the failures it answers have their exact scores, and an answer it calls exact is the exhaustive one', async () => {
    let proven = 0;
    for (const f of syntheticFailures(12, 9, SMALL, 'bounded-')) {
      const all = await findSimilarFailures(store.client, query(f, { k: 50 }), EXHAUSTIVE);
      const exactScore = new Map(all.similar.map((s) => [s.incidentId, s.score]));
      for (const bounds of [
        { postings: 40, limit: 6 },
        { postings: 200, limit: 1_000 },
      ]) {
        const bounded = await findSimilarFailures(store.client, query(f), bounds);
        expect(bounded.scored).toBeLessThanOrEqual(Math.max(bounds.limit, 5));
        for (const s of bounded.similar) expect(s.score).toBe(exactScore.get(s.incidentId));
        if (bounded.exact) {
          proven++;
          expect(bounded.similar).toEqual(all.similar.slice(0, 5));
        }
      }
    }
    expect(proven).toBeGreaterThan(0);
  });

  it('given an opening redelivered, then the failure is answered once, and as before once the parts merge', async () => {
    const target = stored[5] as SyntheticFailure;
    const before = await findSimilarFailures(store.client, query(target, { k: 10 }));
    await write([target], '2026-01-01T00:00:00.000Z');
    const during = await findSimilarFailures(store.client, query(target, { k: 10 }));
    expect(during.similar.filter((s) => s.incidentId === target.incidentId)).toHaveLength(1);
    await store.client.command({ query: 'OPTIMIZE TABLE repair_failures FINAL' });
    await store.client.command({ query: 'OPTIMIZE TABLE repair_failure_features FINAL' });
    expect(await findSimilarFailures(store.client, query(target, { k: 10 }))).toEqual(before);
  });
});

/*
 * The candidates scored exactly are the best by the norm each was weighed with, not by the bound
 * of their score: two failures that share the query's rare feature and have the same weights tie on
 * the bound, and the one whose other feature is common (a low IDF, a small weighted norm) is the
 * more similar.
 */
describe('similar repair failures in chDB, when only the best candidate is scored', () => {
  const NORMS_DATABASE = `${DATABASE}_norms`;
  let store: StoreHandle;
  const failure = (incidentId: string, features: Record<string, number>): SyntheticFailure => ({
    incidentId,
    loop: 'app-repair',
    target: 'https://git.example/acme/app.git',
    signature: incidentId,
    category: 'test',
    features,
  });

  beforeAll(async () => {
    await dropTestDatabase(NORMS_DATABASE);
    store = await createStoreClient({ dataDir: testStoreDataDir(), database: NORMS_DATABASE });
    await runMigrations(store);
    const common = Array.from({ length: 10 }, (_, i) => failure(`common-${i}`, { 'category:test': 1, 'dep:common': 1 }));
    await writeInto(store, common, '2026-01-01T00:00:00.000Z');
    await writeInto(
      store,
      [failure('a-unique', { 't:rare': 1, 't:unique': 1 }), failure('b-common', { 't:rare': 1, 'dep:common': 1 })],
      '2026-01-02T00:00:00.000Z',
    );
  });

  afterAll(async () => {
    if (store) await store.close();
    await dropTestDatabase(NORMS_DATABASE);
  });

  it('given a bound that scores one candidate, then it is the most similar, as the exhaustive ranking has it', async () => {
    const query = similarFailuresRequestSchema.parse({ features: { 't:rare': 1, 'category:test': 1 }, k: 1 });
    const all = await findSimilarFailures(store.client, query, EXHAUSTIVE);
    expect(all.similar.map((s) => s.incidentId)).toEqual(['b-common']);
    // 't:rare' is searched (2 postings), 'category:test' (10) left out: one candidate of two scored.
    const bounded = await findSimilarFailures(store.client, query, { postings: 2, limit: 1 });
    // The other's bound (its weights' norm, every IDF taken as 1) could beat the answer: not proven.
    expect({ candidates: bounded.candidates, scored: bounded.scored, exact: bounded.exact }).toEqual({
      candidates: 2,
      scored: 1,
      exact: false,
    });
    expect(bounded.similar).toEqual(all.similar);
  });
});

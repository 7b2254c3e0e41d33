import { similarFailures } from '@homeostat/repair';
import { createStoreClient, dropTestDatabase, insertRows, runMigrations, testStoreDataDir, type StoreHandle } from '@homeostat/store';
import { ledgerRows } from './rows/ledger-rows';
import { syntheticFailures, syntheticOpening, type SyntheticFailure, type SyntheticVocabulary } from './rows/testing/synthetic-failures';
import { EXHAUSTIVE, findSimilarFailures, similarFailuresRequestSchema } from './similar-failures.query';

const DATABASE = 'learner_similar_failures_test';
const SMALL: SyntheticVocabulary = { templates: 300, dependencies: 60, packages: 400, loops: 4, repositories: 12 };

/*
 * Repair failures written as the learner writes them (ledgerRows of their openings) into chDB
 * with the real migrations, then read back by the learner's similar-failures query: its ranking
 * is libs/repair's similarFailures' over the same failures.
 */
describe('similar repair failures in chDB', () => {
  let store: StoreHandle;
  const stored = syntheticFailures(80, 7, SMALL, 'stored-');
  const query = (f: SyntheticFailure, over: Record<string, unknown> = {}) =>
    similarFailuresRequestSchema.parse({ features: f.features, k: 5, ...over });
  const write = async (failures: readonly SyntheticFailure[], time: string): Promise<void> => {
    const byTable = new Map<string, Record<string, unknown>[]>();
    for (const f of failures)
      for (const { table, rows } of ledgerRows(syntheticOpening(f, time)))
        (byTable.get(table) ?? byTable.set(table, []).get(table))?.push(...rows);
    for (const [table, rows] of byTable) await insertRows(store, table, rows);
  };

  beforeAll(async () => {
    await dropTestDatabase(DATABASE);
    store = await createStoreClient({ dataDir: testStoreDataDir(), database: DATABASE });
    await runMigrations(store);
    await write(stored, '2026-01-01T00:00:00.000Z');
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

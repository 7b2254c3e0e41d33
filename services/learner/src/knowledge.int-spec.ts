import { createStoreClient, dropTestDatabase, insertRows, runMigrations, testStoreDataDir, type StoreHandle } from '@homeostat/store';
import type { EventPublisher } from '@homeostat/bus';
import type { AnyEnvelope, EventData } from '@homeostat/contracts';
import { KnowledgeService } from './knowledge.service';
import type { LearnerStore } from './learner-store.service';
import { ledgerRows } from './rows/ledger-rows';
import { decisionMade, event, outcomeRecorded } from './rows/testing/sample-events';

const DATABASE = 'learner_knowledge_test';

/*
 * The knowledge is recounted from the ledger in chDB with the real migrations: a fix the incident
 * relapsed after (a later decision names it as relapseOf) counts as a failure.
 */
describe('knowledge against chDB', () => {
  let store: StoreHandle;
  const published: EventData<'homeostat.knowledge.updated.v1'>[] = [];
  let knowledge: KnowledgeService;

  beforeAll(async () => {
    await dropTestDatabase(DATABASE);
    store = await createStoreClient({ dataDir: testStoreDataDir(), database: DATABASE });
    await runMigrations(store);
    const publisher = {
      publish: (_type: string, { data }: { data: EventData<'homeostat.knowledge.updated.v1'> }) => {
        published.push(data);
        return Promise.resolve();
      },
    } as unknown as EventPublisher;
    knowledge = new KnowledgeService({ store } as unknown as LearnerStore, publisher);
  });

  afterAll(async () => {
    if (store) await store.close();
    await dropTestDatabase(DATABASE);
  });

  const record = async (e: AnyEnvelope): Promise<void> => {
    for (const { table, rows } of ledgerRows(e)) await insertRows(store, table, rows);
  };

  it('given a verified fix, when the incident relapses and is decided again, then the fix counts as a failure', async () => {
    const fixed = outcomeRecorded();
    await record(fixed);
    await knowledge.refresh(fixed.data);
    expect(published.at(-1)).toMatchObject({ action: 'recycle-pool', tries: 1, successes: 1, failures: 0, meanTimeToRecoverMs: 12_000 });

    const base = decisionMade();
    const again = event(
      'homeostat.decision.made.v1',
      {
        ...base.data,
        decisionId: 'dec-2',
        incidentId: fixed.data.incidentId,
        fingerprint: fixed.data.fingerprint,
        loop: fixed.data.loop,
        relapseOf: 'dec-1',
      },
      { source: 'decider', id: '01936f5e-7a40-7000-8000-000000000009', time: '2025-01-01T10:01:00.000Z' },
    );
    await record(again);
    await knowledge.relapse(again.data);
    expect(published.at(-1)).toMatchObject({
      action: 'recycle-pool',
      tries: 1,
      successes: 0,
      failures: 1,
      meanTimeToRecoverMs: null,
      posterior: { alpha: 1, beta: 2 },
    });
  });

  it('given a decision that is no relapse, then no knowledge is recomputed for it', async () => {
    const before = published.length;
    await knowledge.relapse(decisionMade().data);
    expect(published).toHaveLength(before);
  });
});

import { LEDGER_TABLES, type StoreHandle } from '@homeostat/store';
import { weighFailures, withFailureNorms } from './failure-norms';
import { ledgerRows } from './rows/ledger-rows';
import type { TableRows } from './rows/row-values';
import { repairIncidentOpened } from './rows/testing/sample-events';
import { idf } from './similar-failures.query';

const featureRows = (id: string, features: Record<string, number>): Record<string, unknown>[] =>
  Object.entries(features).map(([feature, weight]) => ({ incident_id: id, feature, weight, weight_norm: 0 }));
const normsOf = (tables: readonly TableRows[]): Record<string, unknown> =>
  Object.fromEntries(
    (tables.find((t) => t.table === LEDGER_TABLES.repairFailureFeatures)?.rows ?? []).map((r) => [
      `${String(r['incident_id'])} ${String(r['feature'])}`,
      r['norm'],
    ]),
  );

describe('withFailureNorms', () => {
  it('given a failure written into a store, then its norm is its weighted norm in the store with it: n and df count it', () => {
    // 9 stored; `a` is in 4 of them, `b` in none.
    const tables = [{ table: LEDGER_TABLES.repairFailureFeatures, rows: featureRows('x', { a: 2, b: 1 }) }];
    const norms = normsOf(withFailureNorms(tables, 9, new Map([['a', 4]])));
    const norm = Math.hypot(2 * idf(10, 5), idf(10, 1));
    expect(norms['x a']).toBeCloseTo(norm, 12);
    expect(norms['x b']).toBeCloseTo(norm, 12);
  });

  it('given failures written together, then each is weighed counting the others', () => {
    const tables = [
      { table: LEDGER_TABLES.repairFailureFeatures, rows: [...featureRows('x', { a: 1 }), ...featureRows('y', { a: 1, c: 3 })] },
    ];
    const norms = normsOf(withFailureNorms(tables, 0, new Map()));
    expect(norms['x a']).toBeCloseTo(idf(2, 2), 12);
    expect(norms['y c']).toBeCloseTo(Math.hypot(idf(2, 2), 3 * idf(2, 1)), 12);
  });

  it('given a repair failure’s opening, then its feature rows get the norm and the other rows are as ledgerRows made them', () => {
    const tables = ledgerRows(repairIncidentOpened());
    const weighed = withFailureNorms(tables, 0, new Map());
    expect(weighed.filter((t) => t.table !== LEDGER_TABLES.repairFailureFeatures)).toEqual(
      tables.filter((t) => t.table !== LEDGER_TABLES.repairFailureFeatures),
    );
    // Alone in the store every IDF is 1: the weighted norm is the norm of the weights.
    for (const row of weighed.find((t) => t.table === LEDGER_TABLES.repairFailureFeatures)?.rows ?? [])
      expect(row['norm']).toBeCloseTo(Number(row['weight_norm']), 12);
  });
});

describe('weighFailures', () => {
  const clientAnswering = (rows: Array<{ feature: string; df: string }>) => {
    const query = jest.fn(() => Promise.resolve({ json: () => Promise.resolve(rows) }));
    return { client: { query } as unknown as StoreHandle['client'], query };
  };

  it('reads the frequencies of the failure’s features and how many are stored, once, and weighs with them', async () => {
    const { client, query } = clientAnswering([
      { feature: 'a', df: '4' },
      { feature: '', df: '9' },
    ]);
    const weighed = await weighFailures(client, [{ table: LEDGER_TABLES.repairFailureFeatures, rows: featureRows('x', { a: 2, b: 1 }) }]);
    expect(query).toHaveBeenCalledTimes(1);
    expect(query.mock.calls[0]).toMatchObject([{ query_params: { keys: ['a', 'b'] } }]);
    expect(normsOf(weighed)['x a']).toBeCloseTo(Math.hypot(2 * idf(10, 5), idf(10, 1)), 12);
  });

  it('reads nothing for rows without a repair failure', async () => {
    const { client, query } = clientAnswering([]);
    const tables = [{ table: LEDGER_TABLES.decisions, rows: [{ decision_id: 'd' }] }];
    expect(await weighFailures(client, tables)).toEqual(tables);
    expect(query).not.toHaveBeenCalled();
  });
});

import { LEDGER_TABLES, type StoreHandle } from '@homeostat/store';
import type { TableRows } from './rows/row-values';
import { idf, queryFrequenciesSql } from './similar-failures.query';

/*
 * A repair failure's weighted norm, written with its feature rows (migration 0011) so the
 * similar-failures query ranks candidates without counting the frequencies of their features.
 * Weighed against the store as it is with the failures being written in it: n counts them, and a
 * feature's df counts each of them that has it, as the query will count them once they are stored.
 *
 * Why a norm weighed once may serve later queries: the frequencies move with the store, so the
 * norm drifts (for a failure of rare features it grows like log n; for common ones it stays), and
 * the query never trusts it for what it answers. It only orders the candidates, and the best of
 * them by it are scored exactly (similar-failures.query.ts); the answer's scores and its claim to
 * be exact rest on the exact scores and on weight_norm, which holds whatever the store did since.
 * A stale norm can cost recall (a failure ordered past the ones scored), never a wrong score:
 * npm run bench:failstore stores its 100,000 failures through this from an empty store (the first
 * ones weighed against a store 50 times smaller than the one they are found in) and measures
 * recall against the exhaustive ranking.
 */

/** The feature rows of the failures in `tables` with their norms; the other rows as they were. */
export function withFailureNorms(tables: readonly TableRows[], stored: number, frequencies: ReadonlyMap<string, number>): TableRows[] {
  const group = tables.find((t) => t.table === LEDGER_TABLES.repairFailureFeatures);
  if (!group || group.rows.length === 0) return [...tables];
  const features = new Map<string, Map<string, number>>();
  for (const row of group.rows) {
    const id = String(row['incident_id']);
    const of = features.get(id) ?? features.set(id, new Map()).get(id);
    of?.set(String(row['feature']), Number(row['weight']));
  }
  const df = new Map(frequencies);
  for (const of of features.values()) for (const key of of.keys()) df.set(key, (df.get(key) ?? 0) + 1);
  const n = stored + features.size;
  const norms = new Map<string, number>();
  for (const [id, of] of features) {
    let sum = 0;
    for (const [key, weight] of of) sum += (weight * idf(n, df.get(key) ?? 1)) ** 2;
    norms.set(id, Math.sqrt(sum));
  }
  return tables.map((t) =>
    t === group ? { table: t.table, rows: t.rows.map((r) => ({ ...r, norm: norms.get(String(r['incident_id'])) })) } : t,
  );
}

/** The rows as the learner writes them: a repair failure's feature rows weighed against the store (one read). */
export async function weighFailures(client: StoreHandle['client'], tables: readonly TableRows[]): Promise<TableRows[]> {
  const group = tables.find((t) => t.table === LEDGER_TABLES.repairFailureFeatures);
  if (!group || group.rows.length === 0) return [...tables];
  const keys = [...new Set(group.rows.map((r) => String(r['feature'])))];
  const sql = queryFrequenciesSql(keys);
  const result = await client.query({ query: sql.query, query_params: sql.params, format: 'JSONEachRow' });
  const frequencies = new Map((await result.json<{ feature: string; df: number | string }>()).map((r) => [r.feature, Number(r.df)]));
  const stored = frequencies.get('') ?? 0;
  frequencies.delete('');
  return withFailureNorms(tables, stored, frequencies);
}

import { failureFeaturesSchema, loopNameSchema, type SimilarFailuresAnswer, type StoredSimilarFailure } from '@homeostat/contracts';
import { LEDGER_TABLES, type StoreHandle } from '@homeostat/store';
import { z } from 'zod';

/*
 * The stored repair failures most similar to a failure, by the same IDF-weighted cosine as
 * libs/repair's similarFailures, computed in ClickHouse over every stored failure (the query
 * counted among them, as similarFailures counts the current failure): n = stored + 1, and a
 * feature's document frequency is the failures that have it, the query included. `loops` and
 * `exclude` narrow what is answered, not the frequencies: those are the whole ledger's.
 *
 * Three reads, each a range of repair_failure_features by feature or of repair_failures by id:
 *   1. in how many failures each of the query's features is (the projection), and how many are stored;
 *   2. the candidates: the failures that share with the query one of its rarer features (the rarest
 *      first, within a budget of postings; a failure that shares only the others scores at most
 *      their share of the query's norm, by Cauchy-Schwarz), with their dot product over those, the
 *      best `limit` by dot / norm, the norm each failure was weighed with when it was stored
 *      (migration 0011): near the exact score, but not it, as the store moved since;
 *   3. for those, the exact dot product and weighted norm from all their features and the
 *      frequencies of all of them: what is answered.
 * Whether the answer is exact rests on a bound that holds whatever the store did since a failure
 * was weighed: every IDF is at least 1, so a failure's weighted norm is at least the norm of its
 * weights alone (weight_norm), and dot / weight_norm bounds its score from above. The answer is
 * exact when the query's features are in few stored failures (every candidate is scored, nothing
 * is left out), or when no failure left out (past `limit`, or sharing only the common features)
 * can reach the k-th score by that bound; the answer says which. Otherwise it is the best of the
 * candidates scored: a failure sharing only common features, or ordered past `limit` by a norm
 * that drifted, may be missing (npm run bench:failstore measures how often against the
 * exhaustive ranking).
 */

/** The request, validated at the edge: a bad field is a 400 that names it. */
export const similarFailuresRequestSchema = z
  .object({
    features: failureFeaturesSchema.refine((f) => Object.keys(f).length > 0, { message: 'must name at least one feature' }),
    k: z.number().int().min(1).max(50).default(5),
    loops: z.array(loopNameSchema).max(200).optional(),
    exclude: z.array(z.string().min(1).max(200)).max(200).default([]),
  })
  .strict();
export type SimilarFailuresQuery = z.output<typeof similarFailuresRequestSchema>;

export interface Sql {
  query: string;
  params: Record<string, unknown>;
}

export interface RetrievalBounds {
  /** The postings read for candidates, rarest features first: within them, every candidate is scored exactly. */
  readonly postings: number;
  /** The candidates scored exactly when there are more. */
  readonly limit: number;
}

/*
 * At 100,000 stored (scratch runs over 100 queries against the exhaustive ranking, the store
 * written from empty through failure-norms.ts, so the earliest norms drifted most): ordered by
 * their bound, 20,000 postings and 25 scored gave recall@5 0.85 (5,000 and 40: 0.80). Ordered by
 * the weighed norm, the most similar are near the top: 20,000 and 10 gave 0.84, 12 gave 0.87, 15
 * gave 0.88, 25 gave 0.92; 10,000 and 15 gave 0.84. Scoring is what costs (it counts the
 * frequencies of every feature of every failure scored), so few are scored, with some margin over
 * the recall of before.
 */
export const RETRIEVAL_BOUNDS: RetrievalBounds = { postings: 20_000, limit: 15 };
/** Every candidate scored, no feature left out: the exact ranking, whatever it costs. */
export const EXHAUSTIVE: RetrievalBounds = { postings: Infinity, limit: 2 ** 31 - 1 };

/**
 * Step 1: in how many stored failures each of the query's features is, and (the row whose feature
 * is '', which no feature is) how many failures are stored: one read instead of two.
 */
export function queryFrequenciesSql(keys: readonly string[]): Sql {
  return {
    query: `SELECT feature, count() AS df
            FROM ${LEDGER_TABLES.repairFailureFeatures}
            WHERE feature IN {keys:Array(String)}
            GROUP BY feature
            UNION ALL
            SELECT '' AS feature, count() AS df FROM ${LEDGER_TABLES.repairFailures}`,
    params: { keys },
  };
}

/** The query as weights: each feature's IDF, its weighted value, and its norm. */
export interface WeightedQuery {
  /** Failures compared: the stored ones and the query. */
  readonly n: number;
  readonly keys: string[];
  readonly idf: number[];
  /** weight × IDF² per key: a stored failure's dot product is the sum of its weights times these. */
  readonly coefficients: number[];
  /** The stored failures with each key. */
  readonly stored: number[];
  readonly norm: number;
}

/** IDF as similarity.ts weighs it: log((1 + n) / (1 + df)) + 1, n and df counting the query. */
export const idf = (n: number, df: number): number => Math.log((1 + n) / (1 + df)) + 1;

export function weighQuery(
  features: Readonly<Record<string, number>>,
  stored: number,
  frequencies: ReadonlyMap<string, number>,
): WeightedQuery {
  const n = stored + 1;
  const keys = Object.keys(features);
  const counts = keys.map((k) => frequencies.get(k) ?? 0);
  const idfs = counts.map((df) => idf(n, df + 1));
  const values = keys.map((k, i) => (features[k] ?? 0) * (idfs[i] ?? 0));
  return {
    n,
    keys,
    idf: idfs,
    coefficients: values.map((x, i) => x * (idfs[i] ?? 0)),
    stored: counts,
    norm: Math.sqrt(values.reduce((s, x) => s + x * x, 0)),
  };
}

/**
 * The query's keys searched for candidates: the rarest first, while their postings (the stored
 * failures that have them) stay within `postings`, and always the rarest one. Returns the keys and
 * the share of the query's norm the others make (0 when none is left out): a failure that shares
 * only those scores at most that much, by Cauchy-Schwarz.
 */
export function searchedKeys(q: WeightedQuery, bounds: RetrievalBounds): { keys: string[]; leftOut: number } {
  const byRarity = q.keys.map((_, i) => i).sort((a, b) => (q.stored[a] ?? 0) - (q.stored[b] ?? 0));
  const kept = new Set<number>();
  let postings = 0;
  for (const i of byRarity) {
    const df = q.stored[i] ?? 0;
    if (kept.size > 0 && postings + df > bounds.postings) break;
    postings += df;
    kept.add(i);
  }
  let rest = 0;
  for (const [i] of q.keys.entries()) if (!kept.has(i)) rest += ((q.coefficients[i] ?? 0) / (q.idf[i] ?? 1)) ** 2;
  return { keys: q.keys.filter((_, i) => kept.has(i)), leftOut: q.norm > 0 ? Math.sqrt(rest) / q.norm : 0 };
}

/**
 * Step 2: the failures sharing a feature with the query, in scope, with their dot product with it;
 * the `limit` best by dot / norm, how many candidates there were, and the highest dot / weight_norm
 * of the others (their scores' bound, times the query's norm; 0 when none is left). Without FINAL:
 * a redelivered failure not yet merged counts twice here, which only raises its dot; step 3 scores
 * it once.
 */
export function candidatesSql(
  q: WeightedQuery,
  searched: readonly string[],
  scope: { loops?: readonly string[]; exclude: readonly string[] },
  limit: number,
): Sql {
  return {
    query: `SELECT incident_id, dot, norm, weight_norm, candidates, max(if(rank > {limit:UInt32}, dot / weight_norm, 0)) OVER () AS beyond
            FROM (
              SELECT incident_id, sum(weight * {coefficients:Array(Float64)}[indexOf({keys:Array(String)}, feature)]) AS dot,
                     any(norm) AS norm, any(weight_norm) AS weight_norm, count() OVER () AS candidates,
                     row_number() OVER (ORDER BY dot / norm DESC, incident_id) AS rank
              FROM ${LEDGER_TABLES.repairFailureFeatures}
              WHERE feature IN {searched:Array(String)}
                AND (empty({loops:Array(String)}) OR loop IN {loops:Array(String)})
                AND incident_id NOT IN {exclude:Array(String)}
              GROUP BY incident_id
              HAVING dot > 0 AND weight_norm > 0
            )
            ORDER BY rank
            LIMIT {limit:UInt32}`,
    params: { keys: q.keys, coefficients: q.coefficients, searched, loops: scope.loops ?? [], exclude: scope.exclude, limit },
  };
}

/**
 * Step 3: the exact dot product and weighted norm of the failures given, with what is answered of
 * them. A feature's frequency counts the query when the query has it. A failure stored twice (a
 * redelivered opening, not yet merged) is read once, its latest.
 */
export function scoresSql(q: WeightedQuery, weights: readonly number[], ids: readonly string[]): Sql {
  return {
    query: `WITH frequencies AS (
              SELECT feature, count() AS df
              FROM ${LEDGER_TABLES.repairFailureFeatures}
              WHERE feature IN (SELECT arrayJoin(feature_keys) FROM ${LEDGER_TABLES.repairFailures} WHERE incident_id IN {ids:Array(String)})
              GROUP BY feature
            )
            SELECT f.incident_id AS incident_id, any(f.loop) AS loop, any(f.target) AS target, any(f.signature) AS signature,
                   any(f.category) AS category, formatDateTime(any(f.opened_at), '%Y-%m-%dT%H:%i:%S.%fZ') AS opened_at,
                   sum(f.weight * {weights:Array(Float64)}[indexOf({keys:Array(String)}, f.feature)] * pow(f.idf, 2)) AS dot,
                   sqrt(sum(pow(f.weight * f.idf, 2))) AS norm
            FROM (
              SELECT x.incident_id AS incident_id, x.loop AS loop, x.target AS target, x.signature AS signature, x.category AS category,
                     x.opened_at AS opened_at, x.feature AS feature, x.weight AS weight,
                     log((1 + {n:UInt64}) / (1 + d.df + has({keys:Array(String)}, x.feature))) + 1 AS idf
              FROM (
                SELECT incident_id, loop, target, signature, category, opened_at, kw.1 AS feature, kw.2 AS weight
                FROM (
                  SELECT * FROM ${LEDGER_TABLES.repairFailures} WHERE incident_id IN {ids:Array(String)}
                  ORDER BY version DESC LIMIT 1 BY incident_id
                )
                ARRAY JOIN arrayZip(feature_keys, feature_weights) AS kw
              ) AS x
              LEFT JOIN frequencies AS d ON d.feature = x.feature
            ) AS f
            GROUP BY f.incident_id`,
    params: { ids, n: q.n, keys: q.keys, weights },
  };
}

export interface CandidateRow {
  incident_id: string;
  dot: number;
  /** As weighed when the failure was stored: orders the candidates, never answered. */
  norm: number;
  weight_norm: number;
  candidates: number | string;
  /** The highest dot / weight_norm of the candidates past the limit; 0 when none is. */
  beyond: number;
}

export interface ScoreRow {
  incident_id: string;
  dot: number;
  loop: string;
  target: string;
  signature: string;
  category: string;
  opened_at: string;
  norm: number;
}

/**
 * The answer from the candidates and their exact scores, most similar first (ties by id, as
 * similarFailures breaks them), and whether it is exact: true when every candidate was scored and
 * none was left out, or when no failure left out (past the limit, which scores at most its bound,
 * or sharing only the common features, which score at most `leftOut` more) can reach the k-th
 * score even after rounding.
 */
export function rankSimilar(
  q: WeightedQuery,
  candidates: readonly CandidateRow[],
  scores: readonly ScoreRow[],
  k: number,
  leftOut: number,
): { similar: StoredSimilarFailure[]; exact: boolean } {
  const scored: StoredSimilarFailure[] = [];
  for (const r of scores) {
    const norm = Number(r.norm);
    const dot = Number(r.dot);
    if (!(norm > 0) || !(q.norm > 0) || !(dot > 0)) continue;
    scored.push({
      incidentId: r.incident_id,
      loop: r.loop,
      target: r.target,
      signature: r.signature,
      category: r.category,
      openedAt: r.opened_at,
      score: Math.min(1, Math.round((dot / (q.norm * norm)) * 1000) / 1000),
    });
  }
  scored.sort((a, b) => b.score - a.score || (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : 0));
  const similar = scored.filter((s) => s.score > 0).slice(0, k);
  const beyond = Number(candidates[0]?.beyond ?? 0);
  const pastLimit = beyond > 0 ? beyond / q.norm + leftOut : 0;
  const bound = Math.max(pastLimit, leftOut);
  if (bound === 0) return { similar, exact: true };
  const kth = similar.length >= k ? (similar[k - 1]?.score ?? 0) : 0;
  // A failure left out scores at most `bound`; it can only tie the k-th after rounding if within half a step.
  return { similar, exact: bound < kth - 0.0005 };
}

/** The stored failures most similar to the query's features: steps 1 to 3. */
export async function findSimilarFailures(
  client: StoreHandle['client'],
  query: SimilarFailuresQuery,
  bounds: RetrievalBounds = RETRIEVAL_BOUNDS,
): Promise<SimilarFailuresAnswer> {
  const rows = async <T>(sql: Sql): Promise<T[]> =>
    (await client.query({ query: sql.query, query_params: sql.params, format: 'JSONEachRow' })).json<T>();
  const keys = Object.keys(query.features);
  const frequencies = new Map(
    (await rows<{ feature: string; df: number | string }>(queryFrequenciesSql(keys))).map((r) => [r.feature, Number(r.df)]),
  );
  if (frequencies.size <= 1) return { similar: [], exact: true, candidates: 0, scored: 0 };
  const q = weighQuery(query.features, frequencies.get('') ?? 0, frequencies);
  const searched = searchedKeys(q, bounds);
  const limit = searched.leftOut === 0 ? 2 ** 31 - 1 : Math.max(bounds.limit, query.k);
  const candidates = await rows<CandidateRow>(candidatesSql(q, searched.keys, query, limit));
  if (candidates.length === 0) return { similar: [], exact: searched.leftOut === 0, candidates: 0, scored: 0 };
  const weights = q.keys.map((k) => query.features[k] ?? 0);
  const scores = await rows<ScoreRow>(
    scoresSql(
      q,
      weights,
      candidates.map((c) => c.incident_id),
    ),
  );
  const { similar, exact } = rankSimilar(q, candidates, scores, query.k, searched.leftOut);
  return { similar, exact, candidates: Number(candidates[0]?.candidates ?? 0), scored: candidates.length };
}

/** Parses a request body; the issues name the fields. */
export function parseSimilarFailuresRequest(body: unknown): { ok: true; query: SimilarFailuresQuery } | { ok: false; issues: string[] } {
  const parsed = similarFailuresRequestSchema.safeParse(body ?? {});
  if (parsed.success) return { ok: true, query: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) };
}

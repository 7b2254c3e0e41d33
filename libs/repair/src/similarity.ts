import { FAILURE_FEATURE_MAX_CHARS, FAILURE_FEATURES_MAX } from '@homeostat/contracts';

/**
 * Similar failures: each failure is a weighted feature vector (its error templates, its category,
 * its culprits — the first one strongest — and the dependencies its errors name), weighted by
 * inverse document frequency over the failures compared, and compared by cosine. A feature that
 * every failure has says nothing; the same updated dependency in two projects says a lot.
 */
export interface SimilarFailure {
  readonly id: string;
  readonly score: number;
}

export interface FailureFeatures {
  readonly id: string;
  readonly features: Readonly<Record<string, number>>;
}

/** For each failure, up to `k` others, most similar first (cosine > 0 only; ties by id). */
export function similarFailures(failures: readonly FailureFeatures[], k: number): Map<string, SimilarFailure[]> {
  const df = new Map<string, number>();
  for (const f of failures) for (const key of Object.keys(f.features)) df.set(key, (df.get(key) ?? 0) + 1);
  const n = failures.length;
  const vectors = failures.map((f) => {
    const v = new Map<string, number>();
    let norm = 0;
    for (const [key, weight] of Object.entries(f.features)) {
      const idf = Math.log((1 + n) / (1 + (df.get(key) ?? 0))) + 1;
      const x = weight * idf;
      v.set(key, x);
      norm += x * x;
    }
    return { id: f.id, v, norm: Math.sqrt(norm) };
  });
  const result = new Map<string, SimilarFailure[]>();
  for (const a of vectors) {
    const scored: SimilarFailure[] = [];
    for (const b of vectors) {
      if (b === a || a.norm === 0 || b.norm === 0) continue;
      let dot = 0;
      const [small, large] = a.v.size <= b.v.size ? [a.v, b.v] : [b.v, a.v];
      for (const [key, x] of small) {
        const y = large.get(key);
        if (y !== undefined) dot += x * y;
      }
      if (dot > 0) scored.push({ id: b.id, score: Math.round((dot / (a.norm * b.norm)) * 1000) / 1000 });
    }
    scored.sort((x, y) => y.score - x.score || x.id.localeCompare(y.id));
    result.set(a.id, scored.slice(0, k));
  }
  return result;
}

/**
 * The features as a failure carries them on the bus (the contract's bounds): the strongest
 * FAILURE_FEATURES_MAX (ties by name), none longer than FAILURE_FEATURE_MAX_CHARS. A log's
 * features are within them already unless a template is a very long line.
 */
export function boundedFeatures(features: Readonly<Record<string, number>>): Record<string, number> {
  const kept = Object.entries(features).filter(([key, weight]) => key.length > 0 && key.length <= FAILURE_FEATURE_MAX_CHARS && weight >= 0);
  if (kept.length > FAILURE_FEATURES_MAX) {
    kept.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    kept.length = FAILURE_FEATURES_MAX;
  }
  return Object.fromEntries(kept);
}

/** A similar failure with the signature it had. */
export interface SimilarPastFailure {
  readonly incidentId: string;
  readonly signature: string;
  readonly score: number;
}

/**
 * The loop's own similar failures (compared in memory) and the ledger's (compared over every stored
 * failure, any loop): one list, most similar first, the ledger's score where both have a failure
 * (its weights come from every stored failure, not from this loop's last ones).
 */
export function mergeSimilar(own: readonly SimilarPastFailure[], stored: readonly SimilarPastFailure[], k: number): SimilarPastFailure[] {
  const byId = new Map<string, SimilarPastFailure>();
  for (const s of own) byId.set(s.incidentId, s);
  for (const s of stored) byId.set(s.incidentId, s);
  return [...byId.values()]
    .sort((x, y) => y.score - x.score || (x.incidentId < y.incidentId ? -1 : x.incidentId > y.incidentId ? 1 : 0))
    .slice(0, k);
}

import type { SimilarFailuresAnswer, SimilarFailuresRequest } from '@homeostat/contracts';
import type { SimilarPastFailure } from '@homeostat/repair';

const TIMEOUT_MS = 5_000;

/** The stored failures most similar to a failure's features, from any loop. */
export type StoredSimilarFailures = (
  features: Readonly<Record<string, number>>,
  exclude: readonly string[],
) => Promise<SimilarPastFailure[]>;

/**
 * Past failures like this one from the ledger (`POST /api/repair/similar-failures`): the learner
 * owns ClickHouse (DESIGN.md), and keeps every repair failure of every loop, where the analyzer
 * remembers only its loops' last ones. `base` is read per call: in one process the learner's port
 * is known only once it has started. Throws when the learner does not answer, or not as agreed.
 */
export function learnerSimilarFailures(base: () => string, k = 5): StoredSimilarFailures {
  return async (features, exclude) => {
    const url = `${base()}/api/repair/similar-failures`;
    const request: SimilarFailuresRequest = { features: { ...features }, k, exclude: [...exclude] };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`the learner answered ${res.status} to ${url}: ${(await res.text().catch(() => '')).slice(0, 300)}`);
    const body = (await res.json()) as Partial<SimilarFailuresAnswer>;
    if (!Array.isArray(body.similar))
      throw new Error(`the learner's similar failures are not a list: ${JSON.stringify(body).slice(0, 200)}`);
    return body.similar
      .filter((s) => typeof s.incidentId === 'string' && typeof s.signature === 'string' && s.signature !== '' && Number.isFinite(s.score))
      .map((s) => ({ incidentId: s.incidentId, signature: s.signature, score: s.score }));
  };
}

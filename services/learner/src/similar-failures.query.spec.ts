import { BadRequestException } from '@nestjs/common';
import { similarFailures } from '@homeostat/repair';
import { LedgerQueryController } from './ledger-query.controller';
import type { LedgerQueryService } from './ledger-query.service';
import type { TelemetryQueryService } from './telemetry-query.service';
import {
  candidatesSql,
  idf,
  parseSimilarFailuresRequest,
  rankSimilar,
  scoresSql,
  searchedKeys,
  weighQuery,
  type CandidateRow,
  type ScoreRow,
} from './similar-failures.query';

describe('parseSimilarFailuresRequest', () => {
  it('given a failure’s features, then k defaults to 5 and nothing is excluded', () => {
    expect(parseSimilarFailuresRequest({ features: { 'category:test': 1, 'dep:a': 2.5 } })).toEqual({
      ok: true,
      query: { features: { 'category:test': 1, 'dep:a': 2.5 }, k: 5, exclude: [] },
    });
  });

  it.each([
    [undefined, 'features'],
    [{ features: {} }, 'features'],
    [{ features: { a: -1 } }, 'features.a'],
    [{ features: { a: 'x' } }, 'features.a'],
    [{ features: { a: 1 }, k: 0 }, 'k'],
    [{ features: { a: 1 }, k: 51 }, 'k'],
    [{ features: { a: 1 }, loops: ['Not A Loop'] }, 'loops.0'],
    [{ features: { a: 1 }, exclude: [''] }, 'exclude.0'],
    [{ features: { a: 1 }, limit: 3 }, 'body'],
    ['features', 'body'],
  ])('given %j, then it is refused, naming %s', (body, field) => {
    const parsed = parseSimilarFailuresRequest(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues.some((i) => i.startsWith(`${field}: `))).toBe(true);
  });

  it('given a bad body on the API, then a 400 names the field, before the ledger is asked', () => {
    const ledger = { similarFailures: jest.fn() } as unknown as LedgerQueryService;
    const controller = new LedgerQueryController(ledger, {} as TelemetryQueryService);
    let error: unknown;
    try {
      void controller.similarFailures({ features: { a: 1 }, k: 'five' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).getResponse()).toMatchObject({ statusCode: 400, message: [expect.stringMatching(/^k: /)] });
    expect(ledger.similarFailures).not.toHaveBeenCalled();
  });
});

describe('weighQuery', () => {
  it('weighs each feature by IDF as similarity.ts does, the query counted among the failures', () => {
    const q = weighQuery({ a: 2, b: 1 }, 3, new Map([['a', 1]]));
    expect(q.n).toBe(4);
    expect(q.idf).toEqual([idf(4, 2), idf(4, 1)]);
    expect(q.idf[0]).toBeCloseTo(Math.log(5 / 3) + 1, 12);
    expect(q.coefficients[0]).toBeCloseTo(2 * idf(4, 2) ** 2, 12);
    expect(q.norm).toBeCloseTo(Math.hypot(2 * idf(4, 2), idf(4, 1)), 12);
    expect(q.stored).toEqual([1, 0]);
  });
});

describe('searchedKeys', () => {
  const q = weighQuery(
    { common: 1, middle: 1, rare: 1 },
    1_000,
    new Map([
      ['common', 900],
      ['middle', 90],
      ['rare', 3],
    ]),
  );

  it('searches every feature when their postings fit the budget: nothing left out', () => {
    expect(searchedKeys(q, { postings: 1_000, limit: 10 })).toEqual({ keys: ['common', 'middle', 'rare'], leftOut: 0 });
  });

  it('searches the rarest first within the budget, and says what share of the norm the rest make', () => {
    const { keys, leftOut } = searchedKeys(q, { postings: 100, limit: 10 });
    expect(keys).toEqual(['middle', 'rare']);
    expect(leftOut).toBeCloseTo(idf(1_001, 901) / q.norm, 12);
  });

  it('always searches the rarest feature, whatever its postings', () => {
    expect(searchedKeys(q, { postings: 1, limit: 10 }).keys).toEqual(['rare']);
  });
});

describe('the SQL', () => {
  const q = weighQuery({ a: 1, "b'); DROP TABLE x; --": 1 }, 10, new Map());

  it('passes every value as a parameter, never in the text', () => {
    const candidates = candidatesSql(q, q.keys, { loops: ['app-repair'], exclude: ['inc-1'] }, 40);
    expect(candidates.query).not.toContain('DROP');
    expect(candidates.query).toContain('ORDER BY dot / norm DESC');
    expect(candidates.query).toContain('FROM repair_failure_features');
    expect(candidates.params).toMatchObject({ keys: q.keys, searched: q.keys, loops: ['app-repair'], exclude: ['inc-1'], limit: 40 });
    const scores = scoresSql(q, [1, 1], ['inc-2']);
    expect(scores.query).not.toContain('DROP');
    expect(scores.params).toEqual({ ids: ['inc-2'], n: 11, keys: q.keys, weights: [1, 1] });
  });
});

describe('rankSimilar', () => {
  // Three stored failures and a query, scored as similarFailures scores them.
  const stored = { x: { a: 1, b: 1 }, y: { a: 1, c: 2 }, z: { c: 1 } } as Record<string, Record<string, number>>;
  const features = { a: 1, c: 1 };
  const df = new Map([
    ['a', 2],
    ['b', 1],
    ['c', 2],
  ]);
  const q = weighQuery(features, 3, df);
  const rowOf = (id: string): ScoreRow => {
    const f = stored[id] ?? {};
    let dot = 0;
    let norm = 0;
    for (const [k, w] of Object.entries(f)) {
      const i = idf(q.n, (df.get(k) ?? 0) + (k in features ? 1 : 0));
      dot += w * (features[k as keyof typeof features] ?? 0) * i * i;
      norm += (w * i) ** 2;
    }
    return { incident_id: id, dot, norm: Math.sqrt(norm), loop: 'l', target: 't', signature: 's', category: 'c', opened_at: '' };
  };
  const candidate = (id: string, candidates = 3, beyond = 0): CandidateRow => ({
    incident_id: id,
    dot: rowOf(id).dot,
    norm: rowOf(id).norm,
    weight_norm: 1,
    candidates,
    beyond,
  });

  it('given every candidate scored, then it ranks as similarFailures does, and is exact', () => {
    const expected = similarFailures([{ id: '', features }, ...Object.entries(stored).map(([id, f]) => ({ id, features: f }))], 2).get('');
    const ranked = rankSimilar(
      q,
      ['x', 'y', 'z'].map((id) => candidate(id)),
      ['z', 'x', 'y'].map(rowOf),
      2,
      0,
    );
    expect(ranked.exact).toBe(true);
    expect(ranked.similar.map((s) => ({ id: s.incidentId, score: s.score }))).toEqual(expected);
  });

  it('given candidates past the limit whose bound may reach the k-th score, then it is not proven exact', () => {
    // One past the limit with y's dot and weights of norm 1: by its bound it may score above y.
    const ranked = rankSimilar(q, [candidate('y', 2, rowOf('y').dot / 1)], [rowOf('y')], 1, 0);
    expect(ranked.exact).toBe(false);
  });

  it('given candidates past the limit whose bound cannot reach the k-th score, then it is exact', () => {
    const kth = rankSimilar(q, [candidate('y', 1)], [rowOf('y')], 1, 0).similar[0]?.score ?? 0;
    const ranked = rankSimilar(q, [candidate('y', 2, (kth - 0.01) * q.norm)], [rowOf('y')], 1, 0);
    expect(ranked.exact).toBe(true);
  });

  it('given left-out features that cannot reach the k-th score, then it is exact', () => {
    const ranked = rankSimilar(q, [candidate('y', 1)], [rowOf('y')], 1, 0.01);
    expect(ranked.similar.map((s) => s.incidentId)).toEqual(['y']);
    expect(ranked.exact).toBe(true);
  });
});

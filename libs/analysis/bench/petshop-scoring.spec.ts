import { groupFigures, inTopK, type ScoredIssue } from './petshop-scoring';

describe('PetShop scoring, as the dataset scores a method', () => {
  it('sorts by score, keeps ties in the answer order, counts entries (not nodes) and misses an empty answer', () => {
    const answer = [
      { node: 'a', score: 0.2 },
      { node: 'b', score: 0.5 },
      { node: 'c', score: 0.5 },
    ];
    expect(inTopK(answer, 'b', 1)).toBe(true);
    expect(inTopK(answer, 'c', 1)).toBe(false); // tie with b, which came first
    expect(inTopK(answer, 'a', 2)).toBe(false);
    expect(inTopK(answer, 'a', 3)).toBe(true);
    const twice = [
      { node: 'x', score: 0.9 },
      { node: 'x', score: 0.8 },
      { node: 'y', score: 0.7 },
    ];
    expect(inTopK(twice, 'y', 2)).toBe(false);
    expect(inTopK([], 'a', 3)).toBe(false);
    expect(inTopK(null, 'a', 3)).toBe(false);
  });

  it('averages per scenario group (temporal scenarios pooled) and issue kind', () => {
    const issue = (scenario: string, kind: string, ranking: ScoredIssue['ranking']): ScoredIssue => ({
      scenario,
      issue: 'i',
      kind,
      rootCause: 'r',
      ranking,
    });
    const figures = groupFigures([
      issue('temporal_traffic1', 'latency', [{ node: 'r', score: 1 }]),
      issue('temporal_traffic2', 'latency', []),
      issue('low_traffic', 'availability', null),
    ]);
    expect(figures).toEqual([
      { group: 'low_traffic', kind: 'availability', issues: 1, top1: 0, top3: 0, emptyShare: 1, failed: 1 },
      { group: 'temporal_traffic', kind: 'latency', issues: 2, top1: 0.5, top3: 0.5, emptyShare: 0.5, failed: 0 },
    ]);
  });
});

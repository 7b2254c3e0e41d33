/**
 * How the PetShop dataset's own evaluation (`code/rca_task.py`) scores a root-cause method, as
 * described in the README beside the data: per issue, sort the answer by score (highest first,
 * a stable sort: ties keep the method's order), keep the first k entries, and count a hit when
 * one of them is the root-cause node; an empty answer is a miss. Figures are means per scenario
 * group (`low_traffic`, `high_traffic`, `temporal_traffic` = every scenario whose name starts so)
 * and issue kind (the target's metric), beside the share of empty answers.
 */
export interface ScoredIssue {
  scenario: string;
  issue: string;
  /** The target's metric: latency or availability. */
  kind: string;
  rootCause: string;
  /** The method's answer, in its own order; null when it failed on the issue's input. */
  ranking: ReadonlyArray<{ node: string; score: number }> | null;
}

export interface GroupFigures {
  group: string;
  kind: string;
  issues: number;
  top1: number;
  top3: number;
  emptyShare: number;
  failed: number;
}

export function scenarioGroup(scenario: string): string {
  return scenario.startsWith('temporal_traffic') ? 'temporal_traffic' : scenario;
}

export function inTopK(ranking: ScoredIssue['ranking'], rootCause: string, k: number): boolean {
  if (!ranking || ranking.length === 0) return false;
  const sorted = ranking
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) => b.entry.score - a.entry.score || a.i - b.i)
    .map(({ entry }) => entry);
  return sorted.slice(0, k).some((e) => e.node === rootCause);
}

export const GROUPS = ['low_traffic', 'high_traffic', 'temporal_traffic'] as const;
export const KINDS = ['latency', 'availability'] as const;

export function groupFigures(issues: readonly ScoredIssue[]): GroupFigures[] {
  const figures: GroupFigures[] = [];
  for (const group of GROUPS) {
    for (const kind of KINDS) {
      const mine = issues.filter((i) => scenarioGroup(i.scenario) === group && i.kind === kind);
      if (mine.length === 0) continue;
      const mean = (f: (i: ScoredIssue) => boolean): number => mine.filter(f).length / mine.length;
      figures.push({
        group,
        kind,
        issues: mine.length,
        top1: mean((i) => inTopK(i.ranking, i.rootCause, 1)),
        top3: mean((i) => inTopK(i.ranking, i.rootCause, 3)),
        emptyShare: mean((i) => !i.ranking || i.ranking.length === 0),
        failed: mine.filter((i) => i.ranking === null).length,
      });
    }
  }
  return figures;
}

/**
 * Grouping accuracy (Zhu et al., "Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019):
 * a line is parsed correctly when the set of lines in its predicted group is exactly the set of
 * lines in its ground-truth group; the accuracy is the share of lines parsed correctly.
 */
export function groupingAccuracy(predicted: readonly string[], truth: readonly string[]): number {
  if (predicted.length !== truth.length) {
    throw new RangeError(`groupingAccuracy: ${predicted.length} predicted labels for ${truth.length} lines`);
  }
  if (truth.length === 0) return 1;
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);

  // Per predicted group: its size and the one truth label all its lines share (null when mixed).
  const groups = new Map<string, { size: number; label: string | null }>();
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i] as string;
    const t = truth[i] as string;
    const g = groups.get(p);
    if (!g) groups.set(p, { size: 1, label: t });
    else {
      g.size++;
      if (g.label !== t) g.label = null;
    }
  }
  let correct = 0;
  for (const g of groups.values()) {
    if (g.label !== null && truthSize.get(g.label) === g.size) correct += g.size;
  }
  return correct / truth.length;
}

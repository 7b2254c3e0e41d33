import type { EffectivenessRow } from './ledger.types';

export interface FingerprintGroup {
  fingerprint: string;
  /** Best first: success rate, then median time to recover, then tries. */
  rows: EffectivenessRow[];
  /** The action that works best so far (a success rate above 0), if any. */
  best: string | null;
}

const ttr = (r: EffectivenessRow): number => r.medianTimeToRecoverMs ?? Number.POSITIVE_INFINITY;

/** The effectiveness table grouped per fingerprint, the best action first. */
export function groupByFingerprint(rows: readonly EffectivenessRow[]): FingerprintGroup[] {
  const groups = new Map<string, EffectivenessRow[]>();
  for (const r of rows) groups.set(r.fingerprint, [...(groups.get(r.fingerprint) ?? []), r]);
  return [...groups]
    .map(([fingerprint, list]) => {
      const sorted = [...list].sort(
        (a, b) => (b.successRate ?? 0) - (a.successRate ?? 0) || ttr(a) - ttr(b) || b.tries - a.tries || a.action.localeCompare(b.action),
      );
      const top = sorted[0];
      return { fingerprint, rows: sorted, best: top && (top.successRate ?? 0) > 0 ? top.action : null };
    })
    .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

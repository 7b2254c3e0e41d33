import type { LoopKind } from '@homeostat/contracts';
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

/** What the rows of the effectiveness table are for each kind of loop: the same knowledge, its own words. */
export function learningLabels(kind: LoopKind | null): { title: string; key: string; action: string; ttr: string } {
  switch (kind) {
    case 'repair':
      return {
        title: 'Fix success per failure signature',
        key: 'signature',
        action: 'fix (recipe)',
        ttr: 'median time to a validated fix',
      };
    case 'optimize':
      return {
        title: 'Configuration per traffic regime',
        key: 'route · regime',
        action: 'knob · known-good config',
        ttr: 'median time to a kept change',
      };
    default:
      return { title: 'Action effectiveness per fingerprint', key: 'fingerprint', action: 'action', ttr: 'median time to recover' };
  }
}

/**
 * The configuration an optimize loop remembers for a regime (the config API call's body, else the
 * params), compact for a table cell; null when it remembers none.
 */
export function configText(params: Record<string, unknown> | undefined): string | null {
  if (params === undefined) return null;
  const body = params['body'];
  const shown = body !== null && typeof body === 'object' ? body : params;
  return JSON.stringify(shown);
}

/**
 * What a demo run measured, per incident and in summary. Pure: the run feeds it timestamps read
 * from the loop's own events (incident opened, action started, outcome recorded, incident
 * resolved), so the figures are the loop's, not the demo's guesses.
 */

export interface ActionTry {
  decisionId: string;
  action: string;
  /** The outcome's status: succeeded, failed, rolled-back, skipped, timed-out. */
  status: string;
  /** When the executor started the action (ms since the epoch). */
  startedAt: number;
}

export interface IncidentRecord {
  /** 1-based position in the run. */
  index: number;
  fault: string;
  injectedAt: number;
  incidentId: string | null;
  fingerprint: string | null;
  detectedAt: number | null;
  /** The first action the executor started for the incident. */
  actedAt: number | null;
  /** When an action's verification passed (the target healthy again). */
  recoveredAt: number | null;
  /** When the analyzer declared the incident over (its signals back to baseline). */
  resolvedAt: number | null;
  actions: ActionTry[];
  /** The fault was taken as a relapse of an incident still open (the same kind, after a verified fix), not a new incident. */
  relapse?: boolean;
  /** Why the incident is incomplete, when it is (e.g. not detected within the time limit). */
  problem?: string;
}

export interface IncidentRow {
  index: number;
  fault: string;
  /** 1-based occurrence of this fault kind in the run. */
  occurrence: number;
  fingerprint: string | null;
  actions: string[];
  firstAction: string | null;
  firstActionIsBest: boolean | null;
  recovered: boolean;
  /** Seconds from the fault's injection. */
  timeToDetectS: number | null;
  timeToActS: number | null;
  timeToRecoverS: number | null;
  timeToResolveS: number | null;
  relapse?: boolean;
  problem?: string;
}

export interface KindSummary {
  fault: string;
  incidents: number;
  recovered: number;
  bestAction: string | null;
  /** Time to recover of the first and of the last occurrence (seconds; null when it did not recover). */
  firstTimeToRecoverS: number | null;
  lastTimeToRecoverS: number | null;
  /** Fingerprints the analyzer gave this kind (one, when fingerprints are stable). */
  fingerprints: string[];
}

export interface DemoSummary {
  incidents: number;
  recovered: number;
  perKind: KindSummary[];
  /** Occurrences after the first `learningOccurrences` of each kind whose first action was the best one. */
  bestActionRate: { afterOccurrences: number; hits: number; of: number; rate: number | null };
  /** Seconds from fault injection to the first action. */
  faultToAction: { p50: number | null; p90: number | null; n: number };
  faultToRecovery: { p50: number | null; p90: number | null; n: number };
}

export interface DemoReport {
  rows: IncidentRow[];
  summary: DemoSummary;
}

const seconds = (from: number, to: number | null): number | null => (to === null ? null : Math.round((to - from) / 100) / 10);

/** Nearest-rank quantile of a non-empty list; null for an empty one. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? null;
}

/**
 * @param bestAction the action that fixes each fault kind best (the target's documented remedy);
 *   used only to score the run, never told to the loop.
 * @param learningOccurrences occurrences of each kind the loop may spend learning (2: the best-action
 *   rate counts the third occurrence on).
 */
export function buildReport(
  records: readonly IncidentRecord[],
  bestAction: Readonly<Record<string, string>>,
  learningOccurrences = 2,
): DemoReport {
  const seen = new Map<string, number>();
  const rows: IncidentRow[] = records.map((r) => {
    const occurrence = (seen.get(r.fault) ?? 0) + 1;
    seen.set(r.fault, occurrence);
    const firstAction = r.actions[0]?.action ?? null;
    const best = bestAction[r.fault];
    return {
      index: r.index,
      fault: r.fault,
      occurrence,
      fingerprint: r.fingerprint,
      actions: r.actions.map((a) => `${a.action}:${a.status}`),
      firstAction,
      firstActionIsBest: firstAction === null || best === undefined ? null : firstAction === best,
      recovered: r.recoveredAt !== null,
      timeToDetectS: seconds(r.injectedAt, r.detectedAt),
      timeToActS: seconds(r.injectedAt, r.actedAt),
      timeToRecoverS: seconds(r.injectedAt, r.recoveredAt),
      timeToResolveS: seconds(r.injectedAt, r.resolvedAt),
      ...(r.relapse ? { relapse: true } : {}),
      ...(r.problem ? { problem: r.problem } : {}),
    };
  });

  const kinds = [...new Set(rows.map((r) => r.fault))];
  const perKind = kinds.map((fault): KindSummary => {
    const of = rows.filter((r) => r.fault === fault);
    return {
      fault,
      incidents: of.length,
      recovered: of.filter((r) => r.recovered).length,
      bestAction: bestAction[fault] ?? null,
      firstTimeToRecoverS: of[0]?.timeToRecoverS ?? null,
      lastTimeToRecoverS: of[of.length - 1]?.timeToRecoverS ?? null,
      fingerprints: [...new Set(of.map((r) => r.fingerprint).filter((f): f is string => f !== null))],
    };
  });

  const scored = rows.filter((r) => r.occurrence > learningOccurrences);
  const hits = scored.filter((r) => r.firstActionIsBest === true).length;
  const acted = rows.map((r) => r.timeToActS).filter((s): s is number => s !== null);
  const recoveredIn = rows.map((r) => r.timeToRecoverS).filter((s): s is number => s !== null);
  return {
    rows,
    summary: {
      incidents: rows.length,
      recovered: rows.filter((r) => r.recovered).length,
      perKind,
      bestActionRate: {
        afterOccurrences: learningOccurrences,
        hits,
        of: scored.length,
        rate: scored.length === 0 ? null : hits / scored.length,
      },
      faultToAction: { p50: quantile(acted, 0.5), p90: quantile(acted, 0.9), n: acted.length },
      faultToRecovery: { p50: quantile(recoveredIn, 0.5), p90: quantile(recoveredIn, 0.9), n: recoveredIn.length },
    },
  };
}

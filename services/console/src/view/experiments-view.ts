import type { Experiment } from '@homeostat/contracts';
import type { ExperimentRecord, OutcomeRecorded } from './ledger.types';

/** Where an experiment stands: kept, rolled back (a guard broke or it did not help), or not judged. */
export type ExperimentVerdict = 'kept' | 'rolled-back' | 'running' | 'awaiting-approval' | 'dry-run' | 'not-run';

export interface GuardView {
  name: 'p99' | 'error ratio' | 'never cached';
  limit: string;
  /** held: not broken over the trial; broke: this one ended it; unknown: not judged (yet). */
  state: 'held' | 'broke' | 'unknown';
}

/** One experiment on a route: the change, what was measured, and the verdict. */
export interface ExperimentView {
  decisionId: string;
  incidentId: string;
  decidedAt: string;
  finishedAt: string | null;
  route: string;
  regime: string;
  knob: string;
  change: string;
  /** The regime's known-good config reused instead of searched for. */
  knownGood: boolean;
  action: string;
  mode: string;
  objective: string;
  expectedGain: number;
  baselineMs: number | null;
  trialMs: number | null;
  /** Hodges-Lehmann shift baseline − trial (ms; positive is better) with its interval. */
  shiftMs: number | null;
  shiftLowMs: number | null;
  shiftHighMs: number | null;
  /** The shift relative to the baseline's median. */
  relativeShift: number | null;
  pValue: number | null;
  alpha: number;
  minImprovement: number;
  buckets: { baseline: number | null; trial: number | null; planned: number };
  guards: GuardView[];
  verdict: ExperimentVerdict;
  /** Why: the verdict's reason, the broken guard, or the decider's words while it is not judged. */
  reason: string;
  rollback: { status: string; detail: string | null } | null;
}

export interface RouteExperiments {
  route: string;
  experiments: ExperimentView[];
  kept: number;
  rolledBack: number;
  /** The last kept change on the route: what it runs with now, as far as the loop knows. */
  current: string | null;
}

export interface ExperimentsView {
  loop: string;
  routes: RouteExperiments[];
  /** Changes kept, newest first, with their measured effects. */
  kept: ExperimentView[];
  rolledBack: ExperimentView[];
  totals: { experiments: number; kept: number; rolledBack: number; knownGood: number };
}

function guards(e: Experiment, o: OutcomeRecorded | null): GuardView[] {
  const breach = o?.experiment?.guardBreach ?? null;
  const judged = o !== null && o.experiment !== undefined;
  const broke = (pattern: RegExp): boolean => breach !== null && pattern.test(breach);
  const state = (pattern: RegExp): GuardView['state'] => (broke(pattern) ? 'broke' : judged ? 'held' : 'unknown');
  const list: GuardView[] = [
    { name: 'p99', limit: `≤ ${Math.round(e.guards.p99MaxMs)} ms (two buckets in a row)`, state: state(/p99/) },
    { name: 'error ratio', limit: `≤ ${(e.guards.errorRatioMax * 100).toFixed(1)} %`, state: state(/error ratio/) },
  ];
  if (e.guards.neverCached) list.push({ name: 'never cached', limit: 'no answer from a cache (not idempotent)', state: state(/cache/) });
  return list;
}

function verdictOf(mode: string, o: OutcomeRecorded | null): ExperimentVerdict {
  if (o === null) return mode === 'approval-required' ? 'awaiting-approval' : mode === 'escalate' ? 'not-run' : 'running';
  if (o.dryRun) return 'dry-run';
  if (o.experiment?.kept === true && o.status === 'succeeded') return 'kept';
  if (o.status === 'rolled-back' || o.experiment !== undefined) return 'rolled-back';
  return 'not-run';
}

export function experimentView(record: ExperimentRecord): ExperimentView | null {
  const d = record.decision.data;
  const e = d.experiment;
  if (e === undefined) return null;
  const o = record.outcome?.data ?? null;
  const r = o?.experiment;
  const verdict = verdictOf(d.mode, o);
  const reason = r?.reason ?? o?.error?.message ?? o?.verification.detail ?? d.explanation.chosenBecause;
  return {
    decisionId: d.decisionId,
    incidentId: d.incidentId,
    decidedAt: record.decision.time,
    finishedAt: o?.finishedAt ?? null,
    route: e.route,
    regime: e.regime,
    knob: e.knob,
    change: e.change,
    knownGood: e.knownGood,
    action: d.action?.name ?? '(none)',
    mode: d.mode,
    objective: e.objective,
    expectedGain: e.expectedGain,
    baselineMs: r?.baselineMedianMs ?? null,
    trialMs: r?.trialMedianMs ?? null,
    shiftMs: r?.effectMs ?? null,
    shiftLowMs: r?.effectLowMs ?? null,
    shiftHighMs: r?.effectHighMs ?? null,
    relativeShift:
      r && r.effectMs !== null && r.baselineMedianMs !== null && r.baselineMedianMs > 0 ? r.effectMs / r.baselineMedianMs : null,
    pValue: r?.pValue ?? null,
    alpha: e.alpha,
    minImprovement: e.minImprovement,
    buckets: { baseline: r?.baselineBuckets ?? null, trial: r?.trialBuckets ?? null, planned: e.trialBuckets },
    guards: guards(e, o),
    verdict,
    reason,
    rollback: o?.rollback ? { status: o.rollback.status, detail: o.rollback.detail ?? null } : null,
  };
}

/** An optimize loop's experiments per route (oldest first), and its kept and rolled-back changes (newest first). */
export function buildExperimentsView(loop: string, records: readonly ExperimentRecord[]): ExperimentsView {
  const all = records
    .map(experimentView)
    .filter((x): x is ExperimentView => x !== null)
    .sort((a, b) => Date.parse(a.decidedAt) - Date.parse(b.decidedAt));
  const byRoute = new Map<string, ExperimentView[]>();
  for (const x of all) byRoute.set(x.route, [...(byRoute.get(x.route) ?? []), x]);
  const newestFirst = (list: ExperimentView[]): ExperimentView[] => [...list].reverse();
  return {
    loop,
    routes: [...byRoute]
      .map(([route, experiments]) => ({
        route,
        experiments,
        kept: experiments.filter((x) => x.verdict === 'kept').length,
        rolledBack: experiments.filter((x) => x.verdict === 'rolled-back').length,
        current: experiments.filter((x) => x.verdict === 'kept').at(-1)?.change ?? null,
      }))
      .sort((a, b) => a.route.localeCompare(b.route)),
    kept: newestFirst(all.filter((x) => x.verdict === 'kept')),
    rolledBack: newestFirst(all.filter((x) => x.verdict === 'rolled-back')),
    totals: {
      experiments: all.length,
      kept: all.filter((x) => x.verdict === 'kept').length,
      rolledBack: all.filter((x) => x.verdict === 'rolled-back').length,
      knownGood: all.filter((x) => x.knownGood).length,
    },
  };
}

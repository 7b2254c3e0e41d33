import type { BuildFailure, RepairValidation } from '@homeostat/contracts';
import { candidateViews, type CandidateView } from './decision-view';
import type { DecisionMade, IncidentAnswer, IncidentSnapshot, LedgerEvent, OutcomeRecorded } from './ledger.types';
import { decisionProgress, type DecisionProgress } from './overview';

/** One fix the loop tried on the failed build, in the order it tried them. */
export interface RepairAttemptView {
  decisionId: string;
  attempt: number;
  decidedAt: string;
  /** The recipe (the loop's action) and the concrete fix it carried. */
  recipe: string;
  fixId: string | null;
  fixTitle: string | null;
  mode: string;
  progress: DecisionProgress;
  /** Why the decider took this one at this attempt. */
  chosenBecause: string;
  /** The fix as a diff (from the validation run), else the files it writes, whole. */
  diff: string | null;
  files: { path: string; content: string }[];
  validation: {
    passed: boolean;
    detail: string | null;
    commands: { command: string; exitCode: number | null; timedOut: boolean; durationMs: number | null; outputTail: string }[];
  } | null;
  remote: string | null;
  commit: string | null;
  pushed: { branch: string; commit: string } | null;
  error: { code: string; message: string } | null;
  /** From the decision to the validated fix (the executor's time, the run's own duration). */
  durationMs: number | null;
}

/** A failed build from the repair loop's side: what failed, why, what was tried, and where the fix went. */
export interface RepairView {
  incidentId: string;
  loop: string;
  title: string;
  status: string;
  openedAt: string;
  resolvedAt: string | null;
  /**
   * Where the diagnosis comes from: the incident's own snapshot, or, for an incident stored before
   * the ledger kept every incident event (migration 0009) whose rows have merged to its resolution,
   * what the decisions carried of it (no log line numbers, culprit evidence, similar failures or
   * proposed fixes with their priors then).
   */
  source: 'incident' | 'decisions';
  build: Pick<BuildFailure, 'repository' | 'branch' | 'commit'> & {
    baseBranch: string | null;
    pipeline: string | null;
    job: string | null;
    url: string | null;
    pullRequest: { number: number; url: string | null } | null;
  };
  diagnosis: {
    category: string;
    signature: string;
    reasonLines: [number, number][];
    reasonText: string[];
    culprit: { name: string; from: string | null; to: string | null; evidence: string[] } | null;
    similar: { incidentId: string; signature: string; score: number }[];
    notes: string[];
  };
  /** The fixes proposed for this failure, as the analyzer ranked them before any outcome (prior, best first). */
  proposed: { id: string; recipe: string; title: string; prior: number; explanation: string[]; files: string[] }[];
  /** How the decider ranked the candidates for the first try, and why each ranked where it did. */
  ranking: CandidateView[];
  attempts: RepairAttemptView[];
  result: {
    state: 'fixed' | 'not-fixed' | 'trying' | 'proposed' | 'escalated';
    /** The attempt whose fix passed, if one did. */
    fixedBy: string | null;
    pushed: { remote: string; branch: string; commit: string } | null;
    /** From the incident's opening to the validated fix. */
    timeToValidatedFixMs: number | null;
    candidatesTried: string[];
  };
}

interface FixParams {
  fix?: { id?: unknown; title?: unknown; files?: unknown };
  repository?: unknown;
  branch?: unknown;
  commit?: unknown;
  diagnosis?: { category?: unknown; signature?: unknown; culprit?: unknown; reasonText?: unknown };
}

/** What a repair decision carries of the failed build (libs/repair repairCatalog), when it is one. */
function buildOf(d: DecisionMade): { repository: string; branch: string; commit: string; diagnosis: RepairView['diagnosis'] } | undefined {
  const p = (d.action?.params ?? {}) as FixParams;
  const repository = str(p.repository);
  if (p.fix === undefined || repository === null) return undefined;
  const dg = p.diagnosis ?? {};
  // "name from → to", as repairCatalog writes it.
  const [, name, from, to] = /^(\S+) (\S+) → (\S+)$/.exec(str(dg.culprit) ?? '') ?? [];
  return {
    repository,
    branch: str(p.branch) ?? '?',
    commit: str(p.commit) ?? '?',
    diagnosis: {
      category: str(dg.category) ?? '?',
      signature: str(dg.signature) ?? d.fingerprint,
      reasonLines: [],
      reasonText: Array.isArray(dg.reasonText) ? dg.reasonText.filter((x): x is string => typeof x === 'string') : [],
      culprit:
        name !== undefined
          ? { name, from: from === undefined || from === '?' ? null : from, to: to === undefined || to === '?' ? null : to, evidence: [] }
          : null,
      similar: [],
      notes: [],
    },
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function fixOf(d: DecisionMade): {
  id: string | null;
  title: string | null;
  files: { path: string; content: string }[];
  repository: string | null;
} {
  const p = (d.action?.params ?? {}) as FixParams;
  const files = Array.isArray(p.fix?.files)
    ? (p.fix.files as unknown[]).flatMap((f) => {
        const file = f as { path?: unknown; content?: unknown };
        return typeof file.path === 'string' && typeof file.content === 'string' ? [{ path: file.path, content: file.content }] : [];
      })
    : [];
  return { id: str(p.fix?.id), title: str(p.fix?.title), files, repository: str(p.repository) };
}

/**
 * The commands of a validation run. Outcomes written before they carried `repair` have them only
 * as verification checks (name: the command; observed: the exit; detail: "<ms> ms; <output tail>").
 */
function commandsOf(o: OutcomeRecorded): NonNullable<RepairAttemptView['validation']>['commands'] {
  if (o.repair) return o.repair.steps.map((s) => ({ ...s }));
  return o.verification.checks.map((c) => {
    const m = /^(\d+) ms; ([\s\S]*)$/.exec(c.detail ?? '');
    return {
      command: c.name,
      exitCode: typeof c.observed === 'number' ? c.observed : null,
      timedOut: c.observed === 'timed out',
      durationMs: m ? Number(m[1]) : null,
      outputTail: m ? (m[2] ?? '') : (c.detail ?? ''),
    };
  });
}

function attemptView(
  event: LedgerEvent<DecisionMade>,
  outcomes: readonly LedgerEvent[],
): RepairAttemptView & { outcome: OutcomeRecorded | null } {
  const d = event.data;
  const mine = outcomes.filter((o) => (o.data as { decisionId?: string }).decisionId === d.decisionId);
  const started = mine.some((o) => o.type === 'homeostat.action.started.v1');
  const o =
    (mine.filter((e) => e.type === 'homeostat.outcome.recorded.v1').at(-1) as LedgerEvent<OutcomeRecorded> | undefined)?.data ?? null;
  const fix = fixOf(d);
  const repair: RepairValidation | undefined = o?.repair;
  return {
    decisionId: d.decisionId,
    attempt: d.attempt,
    decidedAt: event.time,
    recipe: d.action?.name ?? '(none)',
    fixId: fix.id,
    fixTitle: fix.title,
    mode: d.mode,
    progress: decisionProgress({ mode: d.mode, status: 'made', outcome: o?.status ?? (started ? 'started' : '') }),
    chosenBecause: d.explanation.chosenBecause,
    diff: repair?.diff ?? null,
    files: fix.files,
    validation: o && !o.dryRun ? { passed: o.verification.passed, detail: o.verification.detail ?? null, commands: commandsOf(o) } : null,
    remote: repair?.remote ?? fix.repository,
    commit: repair?.commit ?? null,
    pushed: repair?.pushed ?? null,
    error: o?.error ?? null,
    durationMs: o ? Math.max(0, Date.parse(o.finishedAt) - Date.parse(o.startedAt)) : null,
    outcome: o,
  };
}

type BuildAndDiagnosis = Pick<RepairView, 'source' | 'build' | 'diagnosis'>;

function fromIncident(failure: BuildFailure): BuildAndDiagnosis {
  return {
    source: 'incident',
    build: {
      repository: failure.repository,
      branch: failure.branch,
      commit: failure.commit,
      baseBranch: failure.baseBranch,
      pipeline: failure.pipeline,
      job: failure.job,
      url: failure.url ?? null,
      pullRequest: failure.pullRequest ? { number: failure.pullRequest.number, url: failure.pullRequest.url ?? null } : null,
    },
    diagnosis: {
      category: failure.category,
      signature: failure.signature,
      reasonLines: failure.reasonLines.map(([a, b]) => [a, b]),
      reasonText: failure.reasonText,
      culprit: failure.culprit
        ? {
            name: failure.culprit.name,
            from: failure.culprit.from ?? null,
            to: failure.culprit.to ?? null,
            evidence: failure.culprit.evidence,
          }
        : null,
      similar: failure.similar,
      notes: failure.notes,
    },
  };
}

function fromDecisions(c: NonNullable<ReturnType<typeof buildOf>>): BuildAndDiagnosis {
  return {
    source: 'decisions',
    build: {
      repository: c.repository,
      branch: c.branch,
      commit: c.commit,
      baseBranch: null,
      pipeline: null,
      job: null,
      url: null,
      pullRequest: null,
    },
    diagnosis: c.diagnosis,
  };
}

/**
 * The repair view of an incident, or null when it is not a failed build: neither a snapshot of it
 * nor any of its decisions carries one.
 */
export function buildRepairView(answer: IncidentAnswer): RepairView | null {
  const snapshots = answer.events.filter(
    (e): e is LedgerEvent<IncidentSnapshot> => e.type === 'homeostat.incident.opened.v1' || e.type === 'homeostat.incident.updated.v1',
  );
  const failure = snapshots
    .map((s) => s.data.buildFailure)
    .filter((b): b is BuildFailure => b !== undefined)
    .at(-1);
  const made = answer.decisions
    .filter((e): e is LedgerEvent<DecisionMade> => e.type === 'homeostat.decision.made.v1')
    .sort((a, b) => a.data.attempt - b.data.attempt || Date.parse(a.time) - Date.parse(b.time));
  const carried = made.map((e) => buildOf(e.data)).find((b) => b !== undefined);
  if (failure === undefined && carried === undefined) return null;
  const attempts = made.map((e) => attemptView(e, answer.outcomes));
  const fixed = attempts.find((a) => a.outcome?.status === 'succeeded' && !a.outcome.dryRun);
  const tried = attempts.filter((a) => a.outcome !== null && a.outcome.applied && !a.outcome.dryRun);
  const last = attempts.at(-1);
  const state: RepairView['result']['state'] = fixed
    ? 'fixed'
    : last === undefined || last.progress === 'running' || last.progress === 'queued' || last.progress === 'awaiting-approval'
      ? 'trying'
      : last.mode === 'escalate'
        ? 'escalated'
        : last.mode === 'dry-run' && tried.length === 0
          ? 'proposed'
          : 'not-fixed';
  const fixedAt = fixed?.outcome ? Date.parse(fixed.outcome.finishedAt) : null;
  const first = made[0]?.data;
  return {
    incidentId: answer.incident.incidentId,
    loop: answer.incident.loop,
    title: answer.incident.title,
    status: answer.incident.status,
    openedAt: answer.incident.openedAt,
    resolvedAt: answer.incident.resolvedAt,
    ...(failure ? fromIncident(failure) : fromDecisions(carried as NonNullable<typeof carried>)),
    proposed: [...(failure?.fixes ?? [])]
      .sort((a, b) => b.prior - a.prior)
      .map((f) => ({
        id: f.id,
        recipe: f.recipe,
        title: f.title,
        prior: f.prior,
        explanation: f.explanation,
        files: f.files.map((x) => x.path),
      })),
    ranking: first ? candidateViews(first) : [],
    attempts: attempts.map(({ outcome: _o, ...a }) => a),
    result: {
      state,
      fixedBy: fixed?.decisionId ?? null,
      pushed: fixed?.pushed && fixed.remote ? { remote: fixed.remote, ...fixed.pushed } : null,
      timeToValidatedFixMs: fixedAt === null ? null : Math.max(0, fixedAt - Date.parse(answer.incident.openedAt)),
      candidatesTried: tried.map((a) => a.fixId ?? a.recipe),
    },
  };
}

/** Whether an incident is a failed build (the console links to its repair view then). */
export function isRepairIncident(answer: Pick<IncidentAnswer, 'events' | 'decisions'>): boolean {
  return (
    answer.events.some((e) => (e.data as { buildFailure?: unknown } | null)?.buildFailure !== undefined) ||
    answer.decisions.some((e) => e.type === 'homeostat.decision.made.v1' && buildOf(e.data as DecisionMade) !== undefined)
  );
}

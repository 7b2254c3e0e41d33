import type { LoopKind } from '@homeostat/contracts';
import type { ControlCommandRow, DecisionMade, DecisionSummary, IncidentSummary, LedgerEvent, LoopStatusAnswer } from './ledger.types';
import { deriveLoopStates, type LoopState } from './loop-state';

/** The first screen: every loop's state, what is open, what the loops decided, what waits for people. */
export interface Overview {
  generatedAt: string;
  /** kind: from the loop's spec, else from its latest decision (null when neither tells). */
  loops: (LoopState & { kind: LoopKind | null })[];
  /** The switch that stops every loop. */
  globalKillSwitch: { on: boolean; by: string | null; reason: string | null; at: string | null };
  openIncidents: IncidentSummary[];
  recentIncidents: IncidentSummary[];
  decisions: (DecisionSummary & { progress: DecisionProgress })[];
  approvals: DecisionSummary[];
  commands: ControlCommandRow[];
}

/** Where a decision stands, in one word people read at a glance. */
export type DecisionProgress =
  | 'awaiting-approval'
  | 'rejected'
  | 'not-acted-on'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'rolled-back'
  | 'timed-out'
  | 'skipped'
  | 'dry-run'
  | 'queued';

export function decisionProgress(d: Pick<DecisionSummary, 'mode' | 'status' | 'outcome'>): DecisionProgress {
  if (d.status === 'rejected') return 'rejected';
  if (d.mode === 'escalate') return 'not-acted-on';
  switch (d.outcome) {
    case 'started':
      return 'running';
    case 'succeeded':
      return d.mode === 'dry-run' ? 'dry-run' : 'succeeded';
    case 'failed':
    case 'rolled-back':
    case 'timed-out':
    case 'skipped':
      return d.outcome;
    default:
      return d.mode === 'approval-required' && d.status !== 'approved' ? 'awaiting-approval' : 'queued';
  }
}

/** A loop's kind as its decisions show it: an experiment is optimize's, a fix with its repository repair's. */
function kindOfDecision(d: LedgerEvent<DecisionMade> | undefined): LoopKind | null {
  if (d === undefined) return null;
  if (d.data.experiment !== undefined) return 'optimize';
  const params = d.data.action?.params as { fix?: unknown; repository?: unknown } | undefined;
  return params?.fix !== undefined && typeof params.repository === 'string' ? 'repair' : null;
}

export interface OverviewInput {
  /** Loops the console knows from its specs; loops seen in the ledger are added. */
  loops: readonly string[];
  /** The kinds of the loops the console has specs for. */
  kinds?: Readonly<Record<string, LoopKind>>;
  incidents: readonly IncidentSummary[];
  decisions: readonly DecisionSummary[];
  status: LoopStatusAnswer;
  commands: readonly ControlCommandRow[];
  now: number;
}

export function buildOverview(input: OverviewInput): Overview {
  const loops = new Set(input.loops);
  for (const i of input.incidents) loops.add(i.loop);
  for (const d of input.status.lastDecisions) loops.add(d.data.loop);
  for (const c of input.status.standing) if (c.loop !== '') loops.add(c.loop);
  const decisions = input.decisions.map((d) => ({ ...d, progress: decisionProgress(d) }));
  const global = input.status.standing
    .filter((c) => c.command === 'kill-switch' && c.loop === '')
    .sort((a, b) => Date.parse(b.issued_at) - Date.parse(a.issued_at))[0];
  return {
    generatedAt: new Date(input.now).toISOString(),
    loops: deriveLoopStates([...loops], input.status.standing, input.status.lastDecisions, input.now).map((l) => ({
      ...l,
      kind: input.kinds?.[l.loop] ?? kindOfDecision(input.status.lastDecisions.find((d) => d.data.loop === l.loop)),
    })),
    globalKillSwitch: global
      ? { on: global.state === 'on', by: global.actor, reason: global.reason, at: global.issued_at }
      : { on: false, by: null, reason: null, at: null },
    openIncidents: input.incidents.filter((i) => i.status !== 'resolved'),
    recentIncidents: input.incidents.slice(0, 20),
    decisions: decisions.slice(0, 20),
    approvals: decisions.filter((d) => d.progress === 'awaiting-approval'),
    commands: input.commands.slice(0, 20),
  };
}

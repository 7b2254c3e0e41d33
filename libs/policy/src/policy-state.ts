import type {
  ActionStarted,
  AutonomyLevel,
  ControlCommand,
  DecisionApproved,
  DecisionMade,
  DecisionRejected,
  KnowledgeUpdated,
  LoopSpec,
  OutcomeRecorded,
} from '@homeostat/contracts';

/** What the decider knows about one action against one fingerprint (its own copy of the learner's). */
export interface ActionStats {
  /** The loop the outcomes were measured in: fingerprints of the same loop are "similar". */
  loop?: string;
  tries: number;
  successes: number;
  failures: number;
  meanTimeToRecoverMs: number | null;
  p50TimeToRecoverMs: number | null;
  lastOutcomeAt?: string;
}

export interface BudgetEntry {
  at: number;
  loop: string;
  target: string;
  decisionId: string;
}

export interface RunningAction {
  loop: string;
  target: string;
  startedAt: number;
  /** After this the action no longer counts against the blast radius, even if its outcome was lost. */
  deadline: number;
}

export interface LoopPause {
  /** null: until a person resumes it. */
  until: number | null;
  reason: string;
  /** The actor, or `circuit-breaker`. */
  by: string;
}

export interface KillSwitch {
  /** The global switch: every loop stops. */
  on: boolean;
  by?: string;
  reason?: string;
  /** Loops stopped by their own switch, whatever the global one says. */
  loops?: string[];
}

export interface GuardState {
  /** Actions taken, for the budgets; pruned to the loop's window and capped. */
  actions: BudgetEntry[];
  running: Record<string /* decisionId */, RunningAction>;
  lastActionAt: Record<string /* loop|target */, number>;
  consecutiveFailures: Record<string /* loop */, number>;
  pausedLoops: Record<string /* loop */, LoopPause>;
  killSwitch: KillSwitch;
}

/** Everything the decider keeps between events. Plain JSON: it survives a restart as a snapshot. */
export interface PolicyState {
  knowledge: Record<string /* fingerprint */, Record<string /* action */, ActionStats>>;
  /** Levels that moved away from the spec's start, keyed `fingerprint|action`. */
  autonomy: Record<string, AutonomyLevel>;
  guard: GuardState;
}

/**
 * The events `evolve` folds, named after the contract types they carry. Events about a loop's
 * actions carry the loop's spec as the decider knows it, so the spec's thresholds (circuit breaker,
 * autonomy, budget window, verification deadline) apply without `evolve` looking anything up.
 */
export type PolicyEvent =
  | { type: 'homeostat.knowledge.updated.v1'; data: KnowledgeUpdated }
  | { type: 'homeostat.outcome.recorded.v1'; data: OutcomeRecorded; loop: LoopSpec }
  | { type: 'homeostat.action.started.v1'; data: ActionStarted }
  | { type: 'homeostat.decision.made.v1'; data: DecisionMade; loop: LoopSpec; /** epoch ms */ at: number }
  | { type: 'homeostat.decision.approved.v1'; data: DecisionApproved }
  | { type: 'homeostat.decision.rejected.v1'; data: DecisionRejected }
  | { type: 'homeostat.control.v1'; data: ControlCommand };

export const CIRCUIT_BREAKER = 'circuit-breaker';

/** Upper bound of budget entries kept, whatever the windows: the state stays small. */
export const MAX_BUDGET_ENTRIES = 1_000;

export function initialPolicyState(): PolicyState {
  return {
    knowledge: {},
    autonomy: {},
    guard: {
      actions: [],
      running: {},
      lastActionAt: {},
      consecutiveFailures: {},
      pausedLoops: {},
      killSwitch: { on: false },
    },
  };
}

export const targetKey = (loop: string, target: string): string => `${loop}|${target}`;

import type {
  ActionStarted,
  AutonomyLevel,
  BuildFailure,
  ControlCommand,
  DecisionMade,
  Evidence,
  Hypothesis,
  IncidentOpened,
  IncidentResolved,
  IncidentUpdated,
  KnowledgeUpdated,
  LoopSpec,
  OutcomeRecorded,
  RouteObservation,
  Severity,
  ActionParams,
} from '@homeostat/contracts';

/** What the learner knows about one action against one fingerprint, as its last knowledge update said. */
export interface ActionStats {
  /** The loop the outcomes were measured in: fingerprints of the same loop are "similar". */
  loop?: string;
  tries: number;
  successes: number;
  failures: number;
  meanTimeToRecoverMs: number | null;
  p50TimeToRecoverMs: number | null;
  lastOutcomeAt?: string;
  /** An optimize loop's: the params of the action's latest success against this regime (its known-good config). */
  params?: ActionParams;
}

/** An optimize outcome the decider saw itself that the learner's knowledge it holds does not count yet. */
export interface OutcomeAhead {
  decisionId: string;
  /** Epoch ms: the outcome's finishedAt, compared with the knowledge's lastOutcomeAt. */
  at: number;
  /** The change was kept. */
  held: boolean;
  /** A kept change's action params: the regime's known-good config. */
  params?: ActionParams;
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

export type AttemptStatus = 'pending' | 'succeeded' | 'failed' | 'rolled-back' | 'timed-out' | 'rejected' | 'skipped';

export interface Attempt {
  decisionId: string;
  action: string | null;
  status: AttemptStatus;
  /** Epoch ms when a succeeded attempt's outcome was verified: a relapse after it means the fix did not hold. */
  succeededAt?: number;
}

/** What a decision needs to know about the incident it is for. */
export interface IncidentInput {
  incidentId: string;
  fingerprint: string;
  target: string;
  severity: Severity;
  title: string;
  evidence: Evidence;
  hypothesis?: Hypothesis;
  /** A repair loop's incident: the failed build's diagnosis and proposed fixes. */
  buildFailure?: BuildFailure;
  /** An optimize loop's incident: the route and what was seen on it. */
  optimize?: RouteObservation;
}

/** One open incident the decider is remediating: its chain of attempts so far. */
export interface IncidentCase {
  loop: string;
  incident: IncidentInput;
  /** Epoch ms of the incident's opening: the oldest case is the one let go when there are too many. */
  openedAt: number;
  /** This incident's decisions that took an action (not escalations), oldest first. */
  attempts: Attempt[];
  /** Decisions whose action started, with the time (epoch ms) after which a missing outcome is overdue. */
  outcomeDeadlines: Record<string /* decisionId */, number>;
  /** An escalation that only waits for time (cooldown, budget, blast radius): when to decide again. */
  retryAt?: number;
  /**
   * The last decision escalated because the loop itself was stopped (kill switch, pause, circuit
   * breaker): the incident is decided again as soon as the loop runs again.
   */
  blocked?: true;
  /**
   * Epoch ms of the last escalation that waits for people (not for time, not for a stopped loop):
   * symptoms still failing after it are no news to decide on again (a new relapse is).
   */
  escalatedAt?: number;
  /** Epoch ms of the last time the analyzer saw the incident's symptoms come back after all had recovered. */
  relapsedAt?: number;
  /** Epoch ms of the last time the analyzer reported one of the incident's symptoms still failing. */
  failingAt?: number;
  /** Epoch ms since when, as of that report, they had been failing without a calm (the opening or the last relapse). */
  failingSince?: number;
}

/** Everything the decider keeps between events. Plain JSON: it survives a restart as a snapshot. */
export interface PolicyState {
  knowledge: Record<string /* fingerprint */, Record<string /* action */, ActionStats>>;
  /** Levels that moved away from the spec's start, keyed `fingerprint|action`. */
  autonomy: Record<string, AutonomyLevel>;
  guard: GuardState;
  /** Open incidents by id, in the order they were opened. */
  cases: Record<string /* incidentId */, IncidentCase>;
  /** Open cases let go because there were more than the decider keeps: their incidents get no further attempts. */
  evictedCases: number;
  /**
   * Optimize outcomes by fingerprint and action that the held knowledge does not count yet: a
   * regime that returns before the learner's update reaches the decider still goes straight to the
   * config just kept. Dropped once an update counts them. (Absent in snapshots written before it.)
   */
  outcomesAhead?: Record<string /* fingerprint */, Record<string /* action */, OutcomeAhead[]>>;
}

/**
 * The events `evolve` folds: the ones the decider consumes, named after the contract types they
 * carry, its own decisions, and what it concludes from the passing of time. Events about a loop's
 * actions carry the loop's spec as the decider knows it, so the spec's thresholds (circuit breaker,
 * autonomy, budget window, verification deadline) apply without `evolve` looking anything up; an
 * event of a loop the decider does not manage carries none.
 */
export type PolicyEvent =
  | { type: 'homeostat.incident.opened.v1'; data: IncidentOpened }
  | { type: 'homeostat.incident.updated.v1'; data: IncidentUpdated }
  | { type: 'homeostat.incident.resolved.v1'; data: IncidentResolved }
  | { type: 'homeostat.knowledge.updated.v1'; data: KnowledgeUpdated; loop?: LoopSpec }
  | { type: 'homeostat.outcome.recorded.v1'; data: OutcomeRecorded; loop?: LoopSpec }
  | { type: 'homeostat.action.started.v1'; data: ActionStarted }
  | {
      type: 'homeostat.decision.made.v1';
      data: DecisionMade;
      loop: LoopSpec;
      /** Epoch ms. */
      at: number;
      /** For an escalation that only waits for time: when to decide again. */
      retryAt?: number;
      /** For an escalation because the loop was stopped: decide again when it runs. */
      blocked?: true;
    }
  | { type: 'homeostat.control.v1'; data: ControlCommand }
  /** A started action's outcome did not come by its deadline (plus grace): the attempt counts as timed out. */
  | { type: 'outcome.overdue'; data: { incidentId: string; decisionId: string } }
  /** The decider let an open case go to stay within its bound on open cases. */
  | { type: 'case.evicted'; data: { incidentId: string } };

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
    cases: {},
    evictedCases: 0,
  };
}

export const targetKey = (loop: string, target: string): string => `${loop}|${target}`;

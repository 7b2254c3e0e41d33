import {
  knowledgeKey,
  parseDuration,
  type ControlCommand,
  type KnowledgeUpdated,
  type LoopSpec,
  type OutcomeRecorded,
  type OutcomeStatus,
} from '@homeostat/contracts';
import { autonomyLevel, stepAutonomy } from './autonomy';
import {
  CIRCUIT_BREAKER,
  MAX_BUDGET_ENTRIES,
  targetKey,
  type ActionStats,
  type BudgetEntry,
  type GuardState,
  type PolicyEvent,
  type PolicyState,
  type RunningAction,
} from './policy-state';

/** Verified outcomes: the action ran and verification said yes or no. */
const VERIFIED_SUCCESS: ReadonlySet<OutcomeStatus> = new Set(['succeeded']);
const VERIFIED_FAILURE: ReadonlySet<OutcomeStatus> = new Set(['failed', 'rolled-back', 'timed-out']);

/** Folds one event into the state; never mutates its input. */
export function evolve(state: PolicyState, event: PolicyEvent): PolicyState {
  switch (event.type) {
    case 'homeostat.knowledge.updated.v1':
      return onKnowledge(state, event.data);
    case 'homeostat.outcome.recorded.v1':
      return onOutcome(state, event.data, event.loop);
    case 'homeostat.action.started.v1': {
      const started = event.data;
      if (started.dryRun) return state;
      const at = Date.parse(started.startedAt);
      const entry: RunningAction = { loop: started.loop, target: started.target, startedAt: at, deadline: Date.parse(started.deadline) };
      return { ...state, guard: recordAction(state.guard, started.decisionId, entry) };
    }
    case 'homeostat.decision.made.v1': {
      const decision = event.data;
      // Only decisions that run now take budget here; approved ones take it when their action starts.
      if (decision.mode !== 'execute' || decision.action === null) return state;
      const guard = pruneGuard(state.guard, event.loop, event.at);
      const entry: RunningAction = {
        loop: decision.loop,
        target: decision.target,
        startedAt: event.at,
        deadline: event.at + runDurationMs(event.loop, decision.action.name),
      };
      return { ...state, guard: recordAction(guard, decision.decisionId, entry) };
    }
    case 'homeostat.decision.approved.v1':
    case 'homeostat.decision.rejected.v1':
      // Approval changes nothing here until the action starts; a rejection lives in the incident's chain.
      return state;
    case 'homeostat.control.v1':
      return { ...state, guard: onControl(state.guard, event.data) };
  }
}

/** How long an action can hold a blast-radius slot: its timeout plus the verification deadline. */
export function runDurationMs(loop: LoopSpec, action: string): number {
  const timeoutSeconds = loop.spec.actions.find((a) => a.name === action)?.timeoutSeconds ?? 0;
  return timeoutSeconds * 1_000 + parseDuration(loop.spec.verification.deadline);
}

function recordAction(guard: GuardState, decisionId: string, entry: RunningAction): GuardState {
  const key = targetKey(entry.loop, entry.target);
  const counted = guard.actions.some((a) => a.decisionId === decisionId);
  const budgetEntry: BudgetEntry = { at: entry.startedAt, loop: entry.loop, target: entry.target, decisionId };
  const actions = counted ? guard.actions : [...guard.actions, budgetEntry].slice(-MAX_BUDGET_ENTRIES);
  return {
    ...guard,
    actions,
    running: { ...guard.running, [decisionId]: guard.running[decisionId] ?? entry },
    lastActionAt: { ...guard.lastActionAt, [key]: Math.max(guard.lastActionAt[key] ?? entry.startedAt, entry.startedAt) },
  };
}

/** Drops budget entries of this loop that left its window, and running actions past their deadline. */
function pruneGuard(guard: GuardState, loop: LoopSpec, now: number): GuardState {
  const windowMs = parseDuration(loop.spec.guardrails.budget.window);
  const name = loop.metadata.name;
  const running = Object.fromEntries(Object.entries(guard.running).filter(([, r]) => r.deadline > now));
  return { ...guard, actions: guard.actions.filter((a) => a.loop !== name || a.at > now - windowMs), running };
}

function onKnowledge(state: PolicyState, k: KnowledgeUpdated): PolicyState {
  const current = state.knowledge[k.fingerprint]?.[k.action];
  // The learner's record is the truth, but not an older one than what the decider already counted.
  if (current?.lastOutcomeAt !== undefined && Date.parse(k.lastOutcomeAt) < Date.parse(current.lastOutcomeAt)) return state;
  const stats: ActionStats = {
    loop: k.loop,
    tries: k.tries,
    successes: k.successes,
    failures: k.failures,
    meanTimeToRecoverMs: k.meanTimeToRecoverMs,
    p50TimeToRecoverMs: k.p50TimeToRecoverMs,
    lastOutcomeAt: k.lastOutcomeAt,
  };
  return setStats(state, k.fingerprint, k.action, stats);
}

function setStats(state: PolicyState, fingerprint: string, action: string, stats: ActionStats): PolicyState {
  return { ...state, knowledge: { ...state.knowledge, [fingerprint]: { ...state.knowledge[fingerprint], [action]: stats } } };
}

function onOutcome(state: PolicyState, outcome: OutcomeRecorded, loop: LoopSpec): PolicyState {
  const { [outcome.decisionId]: _settled, ...running } = state.guard.running;
  let next: PolicyState = { ...state, guard: { ...state.guard, running } };
  const success = VERIFIED_SUCCESS.has(outcome.status);
  if (outcome.dryRun || (!success && !VERIFIED_FAILURE.has(outcome.status))) return next;

  const { fingerprint } = outcome;
  const action = outcome.action.name;
  const stats = countOutcome(next.knowledge[fingerprint]?.[action], outcome, success);
  next = setStats(next, fingerprint, action, stats);

  const step = stepAutonomy(autonomyLevel(next, loop, fingerprint, action), stats, loop.spec.autonomy);
  if (step.change !== null) next = { ...next, autonomy: { ...next.autonomy, [knowledgeKey(fingerprint, action)]: step.level } };

  return { ...next, guard: countVerification(next.guard, loop, success, Date.parse(outcome.finishedAt)) };
}

function countOutcome(current: ActionStats | undefined, outcome: OutcomeRecorded, success: boolean): ActionStats {
  const base: ActionStats = current ?? {
    loop: outcome.loop,
    tries: 0,
    successes: 0,
    failures: 0,
    meanTimeToRecoverMs: null,
    p50TimeToRecoverMs: null,
  };
  // The learner's knowledge may already include this outcome (it can arrive first): count it once.
  if (base.lastOutcomeAt !== undefined && Date.parse(outcome.finishedAt) <= Date.parse(base.lastOutcomeAt)) return base;
  const ttr = success ? outcome.timeToRecoverMs : null;
  const timed = base.successes; // recoveries behind the running mean
  return {
    ...base,
    loop: base.loop ?? outcome.loop,
    tries: base.tries + 1,
    successes: base.successes + (success ? 1 : 0),
    failures: base.failures + (success ? 0 : 1),
    meanTimeToRecoverMs:
      ttr === null ? base.meanTimeToRecoverMs : base.meanTimeToRecoverMs === null ? ttr : (base.meanTimeToRecoverMs * timed + ttr) / (timed + 1),
    // The exact median needs every sample: the learner sends it; until then the first recovery stands in.
    p50TimeToRecoverMs: base.p50TimeToRecoverMs ?? ttr,
    lastOutcomeAt: outcome.finishedAt,
  };
}

/** The circuit breaker: N failed verifications in a row pause the loop; a success closes it. */
function countVerification(guard: GuardState, loop: LoopSpec, success: boolean, at: number): GuardState {
  const name = loop.metadata.name;
  const pause = guard.pausedLoops[name];
  if (success) {
    const { [name]: _breaker, ...others } = guard.pausedLoops;
    const pausedLoops = pause?.by === CIRCUIT_BREAKER ? others : guard.pausedLoops;
    return { ...guard, consecutiveFailures: { ...guard.consecutiveFailures, [name]: 0 }, pausedLoops };
  }
  const failures = (guard.consecutiveFailures[name] ?? 0) + 1;
  const { consecutiveFailures: threshold, pauseFor } = loop.spec.guardrails.circuitBreaker;
  const next = { ...guard, consecutiveFailures: { ...guard.consecutiveFailures, [name]: failures } };
  // A person's pause stays as they set it; the breaker only pauses a loop nobody paused.
  if (failures < threshold || (pause !== undefined && pause.by !== CIRCUIT_BREAKER)) return next;
  return {
    ...next,
    pausedLoops: {
      ...next.pausedLoops,
      [name]: {
        until: pauseFor === undefined ? null : at + parseDuration(pauseFor),
        reason: `circuit breaker: ${failures} consecutive failed verifications (threshold ${threshold})`,
        by: CIRCUIT_BREAKER,
      },
    },
  };
}

function onControl(guard: GuardState, command: ControlCommand): GuardState {
  switch (command.command) {
    case 'pause-loop':
      return { ...guard, pausedLoops: { ...guard.pausedLoops, [command.loop]: { until: null, reason: command.reason, by: command.actor } } };
    case 'resume-loop': {
      // Resuming also closes the breaker: a person has looked at the failures.
      const { [command.loop]: _resumed, ...pausedLoops } = guard.pausedLoops;
      return { ...guard, pausedLoops, consecutiveFailures: { ...guard.consecutiveFailures, [command.loop]: 0 } };
    }
    case 'kill-switch': {
      const loops = guard.killSwitch.loops ?? [];
      if (command.loop === undefined) {
        // The global switch leaves per-loop switches as they were set.
        return { ...guard, killSwitch: { on: command.state === 'on', by: command.actor, reason: command.reason, loops } };
      }
      const others = loops.filter((l) => l !== command.loop);
      const next = command.state === 'on' ? [...others, command.loop] : others;
      return { ...guard, killSwitch: { ...guard.killSwitch, loops: next } };
    }
    case 'approve':
    case 'reject':
      return guard;
  }
}

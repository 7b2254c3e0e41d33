import {
  isVerifiedOutcome,
  knowledgeKey,
  parseDuration,
  type ControlCommand,
  type IncidentOpened,
  type IncidentUpdated,
  type KnowledgeUpdated,
  type LoopSpec,
  type OutcomeRecorded,
} from '@homeostat/contracts';
import { isUnchangedConfig } from '@homeostat/optimize';
import { autonomyLevel, stepAutonomy } from './autonomy';
import {
  CIRCUIT_BREAKER,
  MAX_BUDGET_ENTRIES,
  targetKey,
  type ActionStats,
  type AttemptStatus,
  type BudgetEntry,
  type GuardState,
  type IncidentCase,
  type IncidentInput,
  type OutcomeAhead,
  type PolicyEvent,
  type PolicyState,
  type RunningAction,
} from './policy-state';

/** A missing outcome is declared overdue this long after the action's own verification deadline. */
export const OUTCOME_GRACE_MS = 15_000;
/** Outcomes ahead of the learner kept per fingerprint × action: the newest, should its updates stop coming. */
export const MAX_OUTCOMES_AHEAD = 20;

const OUTCOME_TO_ATTEMPT: Record<OutcomeRecorded['status'], AttemptStatus> = {
  succeeded: 'succeeded',
  failed: 'failed',
  'rolled-back': 'rolled-back',
  'timed-out': 'timed-out',
  skipped: 'skipped',
};

/** Folds one event into the state; never mutates its input. */
export function evolve(state: PolicyState, event: PolicyEvent): PolicyState {
  switch (event.type) {
    case 'homeostat.incident.opened.v1':
      return state.cases[event.data.incidentId] === undefined ? withCase(state, event.data.incidentId, openCase(event.data)) : state;
    case 'homeostat.incident.updated.v1':
      return updateCase(state, event.data.incidentId, (c) => {
        const relapsedAt = event.data.relapsedAt === undefined ? undefined : Date.parse(event.data.relapsedAt);
        const failingAt = event.data.failingAt === undefined ? undefined : Date.parse(event.data.failingAt);
        const failingSince = event.data.failingSince === undefined ? undefined : Date.parse(event.data.failingSince);
        return {
          ...c,
          incident: updatedIncident(c.incident, event.data),
          ...(relapsedAt === undefined || relapsedAt <= (c.relapsedAt ?? -Infinity) ? {} : { relapsedAt }),
          ...(failingAt === undefined || failingAt <= (c.failingAt ?? -Infinity) ? {} : { failingAt, failingSince }),
        };
      });
    case 'homeostat.incident.resolved.v1':
      return withoutCase(state, event.data.incidentId);
    case 'homeostat.knowledge.updated.v1':
      return onKnowledge(state, event.data, event.loop);
    case 'homeostat.outcome.recorded.v1':
      return onOutcome(state, event.data, event.loop);
    case 'homeostat.action.started.v1': {
      const started = event.data;
      const deadline = Date.parse(started.deadline);
      const next = updateCase(state, started.incidentId, (c) => ({
        ...c,
        outcomeDeadlines: { ...c.outcomeDeadlines, [started.decisionId]: deadline + OUTCOME_GRACE_MS },
      }));
      if (started.dryRun) return next;
      const entry: RunningAction = { loop: started.loop, target: started.target, startedAt: Date.parse(started.startedAt), deadline };
      return { ...next, guard: recordAction(next.guard, started.decisionId, entry) };
    }
    case 'homeostat.decision.made.v1': {
      const decision = event.data;
      const next = updateCase(state, decision.incidentId, (c) => {
        const { retryAt: _previous, blocked: _wasBlocked, ...rest } = c;
        const attempts =
          decision.mode === 'escalate'
            ? c.attempts
            : [...c.attempts, { decisionId: decision.decisionId, action: decision.action?.name ?? null, status: 'pending' as const }];
        const waitsForPeople = decision.mode === 'escalate' && event.retryAt === undefined && event.blocked === undefined;
        return {
          ...rest,
          attempts,
          ...(event.retryAt === undefined ? {} : { retryAt: event.retryAt }),
          ...(event.blocked === undefined ? {} : { blocked: event.blocked }),
          ...(waitsForPeople ? { escalatedAt: event.at } : {}),
        };
      });
      // Only decisions that run now take budget here; approved ones take it when their action starts.
      if (decision.mode !== 'execute' || decision.action === null) return next;
      const guard = pruneGuard(next.guard, event.loop, event.at);
      const entry: RunningAction = {
        loop: decision.loop,
        target: decision.target,
        startedAt: event.at,
        deadline: event.at + runDurationMs(event.loop, decision.action.name),
      };
      return { ...next, guard: recordAction(guard, decision.decisionId, entry) };
    }
    case 'homeostat.control.v1': {
      const command = event.data;
      const next = { ...state, guard: onControl(state.guard, command) };
      if (command.command !== 'reject') return next;
      const incidentId = Object.keys(next.cases).find((id) => next.cases[id]?.attempts.some((a) => a.decisionId === command.decisionId));
      return incidentId === undefined ? next : settle(next, incidentId, command.decisionId, 'rejected');
    }
    case 'outcome.overdue':
      return settle(state, event.data.incidentId, event.data.decisionId, 'timed-out');
    case 'case.evicted': {
      const next = withoutCase(state, event.data.incidentId);
      return next === state ? state : { ...next, evictedCases: state.evictedCases + 1 };
    }
  }
}

function openCase(data: IncidentOpened): IncidentCase {
  const incident: IncidentInput = {
    incidentId: data.incidentId,
    fingerprint: data.fingerprint,
    target: data.target,
    severity: data.severity,
    title: data.title,
    evidence: data.evidence,
    ...(data.hypothesis ? { hypothesis: data.hypothesis } : {}),
    ...(data.buildFailure ? { buildFailure: data.buildFailure } : {}),
    ...(data.optimize ? { optimize: data.optimize } : {}),
  };
  return { loop: data.loop, incident, openedAt: Date.parse(data.openedAt), attempts: [], outcomeDeadlines: {} };
}

/** An update without a hypothesis keeps the one the incident had. */
function updatedIncident(incident: IncidentInput, data: IncidentUpdated): IncidentInput {
  return {
    ...incident,
    severity: data.severity,
    title: data.title,
    evidence: data.evidence,
    ...(data.hypothesis ? { hypothesis: data.hypothesis } : {}),
    ...(data.buildFailure ? { buildFailure: data.buildFailure } : {}),
    ...(data.optimize ? { optimize: data.optimize } : {}),
  };
}

function withCase(state: PolicyState, incidentId: string, c: IncidentCase): PolicyState {
  return { ...state, cases: { ...state.cases, [incidentId]: c } };
}

function withoutCase(state: PolicyState, incidentId: string): PolicyState {
  if (state.cases[incidentId] === undefined) return state;
  const { [incidentId]: _closed, ...cases } = state.cases;
  return { ...state, cases };
}

function updateCase(state: PolicyState, incidentId: string, change: (c: IncidentCase) => IncidentCase): PolicyState {
  const c = state.cases[incidentId];
  return c === undefined ? state : withCase(state, incidentId, change(c));
}

/** An attempt gets its final status once; its outcome is no longer awaited either way. */
function settle(state: PolicyState, incidentId: string, decisionId: string, status: AttemptStatus, at?: number): PolicyState {
  return updateCase(state, incidentId, (c) => {
    const { [decisionId]: _awaited, ...outcomeDeadlines } = c.outcomeDeadlines;
    const attempts = c.attempts.map((a) =>
      a.decisionId === decisionId && a.status === 'pending'
        ? { ...a, status, ...(status === 'succeeded' && at !== undefined ? { succeededAt: at } : {}) }
        : a,
    );
    return { ...c, attempts, outcomeDeadlines };
  });
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

/**
 * The learner's knowledge is the only count of outcomes per fingerprint × action: it recounts them
 * from its ledger (with FINAL, so a redelivered outcome counts once) and the latest update per pair
 * replaces what was held. An update with fewer tries than held is older than what the decider
 * already folded: the state file can be saved ahead of the committed offset, so after a restart
 * loop.knowledge redelivers updates the state already holds. Taking it would go back in time, and
 * its successor would then step autonomy a second time for the same outcome.
 */
function onKnowledge(state: PolicyState, k: KnowledgeUpdated, loop: LoopSpec | undefined): PolicyState {
  const held = state.knowledge[k.fingerprint]?.[k.action];
  if (held !== undefined && k.tries < held.tries) return state;
  const stats: ActionStats = {
    loop: k.loop,
    tries: k.tries,
    successes: k.successes,
    failures: k.failures,
    meanTimeToRecoverMs: k.meanTimeToRecoverMs,
    p50TimeToRecoverMs: k.p50TimeToRecoverMs,
    lastOutcomeAt: k.lastOutcomeAt,
    ...(k.params === undefined ? {} : { params: k.params }),
  };
  const next = withOutcomesAhead(
    { ...state, knowledge: { ...state.knowledge, [k.fingerprint]: { ...state.knowledge[k.fingerprint], [k.action]: stats } } },
    k.fingerprint,
    k.action,
    (ahead) => ahead.filter((o) => !countedBy(stats, o.at)),
  );
  // One step per update that counts new outcomes: a redelivered update (same tries) does not step again.
  if (loop === undefined || k.tries <= (held?.tries ?? 0)) return next;
  const step = stepAutonomy(autonomyLevel(next, loop, k.fingerprint, k.action), stats, loop.spec.autonomy);
  return step.change === null ? next : { ...next, autonomy: { ...next.autonomy, [knowledgeKey(k.fingerprint, k.action)]: step.level } };
}

/**
 * An outcome frees its blast-radius slot, counts for the circuit breaker and settles its attempt;
 * what it teaches about the action comes back as the learner's knowledge.
 */
function onOutcome(state: PolicyState, outcome: OutcomeRecorded, loop: LoopSpec | undefined): PolicyState {
  let guard = state.guard;
  // An action that was not applied holds no slot of its own: this may be a redelivered decision
  // answered ALREADY_CLAIMED while the first run still holds the slot. An experiment the executor
  // skipped as already live is its run's last word, sent nothing, and frees the slot.
  if (outcome.applied || isUnchangedConfig(outcome)) {
    const { [outcome.decisionId]: _settled, ...running } = guard.running;
    guard = { ...guard, running };
  }
  if (loop !== undefined && isVerifiedOutcome(outcome))
    guard = countVerification(guard, loop, outcome.status === 'succeeded', Date.parse(outcome.finishedAt));
  const next = aheadOfLearner(guard === state.guard ? state : { ...state, guard }, outcome);
  return settle(next, outcome.incidentId, outcome.decisionId, OUTCOME_TO_ATTEMPT[outcome.status], Date.parse(outcome.finishedAt));
}

/** Whether knowledge whose last counted outcome finished at `lastOutcomeAt` counts an outcome that finished at `at`. */
const countedBy = (stats: ActionStats | undefined, at: number): boolean =>
  stats?.lastOutcomeAt !== undefined && Date.parse(stats.lastOutcomeAt) >= at;

/**
 * An optimize experiment's verdict, held until the learner's knowledge counts it: the learner
 * publishes its update only after it has stored the outcome, and a regime that returns in between
 * would otherwise get a fresh experiment instead of the config just kept.
 */
function aheadOfLearner(state: PolicyState, outcome: OutcomeRecorded): PolicyState {
  if (outcome.experiment === undefined || !outcome.applied || !isVerifiedOutcome(outcome)) return state;
  const at = Date.parse(outcome.finishedAt);
  if (countedBy(state.knowledge[outcome.fingerprint]?.[outcome.action.name], at)) return state;
  const held = outcome.status === 'succeeded';
  const seen: OutcomeAhead = { decisionId: outcome.decisionId, at, held, ...(held ? { params: outcome.action.params } : {}) };
  return withOutcomesAhead(state, outcome.fingerprint, outcome.action.name, (ahead) =>
    ahead.some((o) => o.decisionId === seen.decisionId) ? ahead : [...ahead, seen].slice(-MAX_OUTCOMES_AHEAD),
  );
}

function withOutcomesAhead(
  state: PolicyState,
  fingerprint: string,
  action: string,
  change: (ahead: OutcomeAhead[]) => OutcomeAhead[],
): PolicyState {
  const before = state.outcomesAhead?.[fingerprint]?.[action] ?? [];
  const after = change(before);
  if (after === before || (after.length === 0 && before.length === 0)) return state;
  const { [action]: _was, ...otherActions } = state.outcomesAhead?.[fingerprint] ?? {};
  const actions = after.length === 0 ? otherActions : { ...otherActions, [action]: after };
  const { [fingerprint]: _fp, ...otherFingerprints } = state.outcomesAhead ?? {};
  return {
    ...state,
    outcomesAhead: Object.keys(actions).length === 0 ? otherFingerprints : { ...otherFingerprints, [fingerprint]: actions },
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
      return {
        ...guard,
        pausedLoops: { ...guard.pausedLoops, [command.loop]: { until: null, reason: command.reason, by: command.actor } },
      };
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

import type {
  ActionStarted,
  ControlCommand,
  DecisionMade,
  IncidentOpened,
  IncidentResolved,
  IncidentUpdated,
  KnowledgeUpdated,
  LoopSpec,
  OutcomeRecorded,
} from '@homeostat/contracts';
import { parseDuration } from '@homeostat/contracts';
import { isUnchangedConfig } from '@homeostat/optimize';
import { evolve } from './evolve';
import { planExperiment } from './optimize-plan';
import { planDecision, RULED_OUT, type PlanInput } from './plan';
import { circuitBreaker, killSwitch, loopPaused } from './guardrails';
import { initialPolicyState, type Attempt, type IncidentCase, type PolicyEvent, type PolicyState } from './policy-state';
import { createRng, seedFrom } from './rng';

/** The open cases a decider keeps; past it, the oldest is let go so the state stays bounded. */
export const MAX_OPEN_CASES = 10_000;

export interface DeciderSetup {
  /** The loops this decider manages, by name; incidents of other loops are not decided. */
  loops: ReadonlyMap<string, LoopSpec>;
  /** Decision ids: uuid v7 in the service, a counter in tests. */
  newId: () => string;
  /** Mixed into every decision's random seed. */
  seed: string;
  maxOpenCases?: number;
  /**
   * The candidates for one incident, where its loop's kind makes them per incident (a repair
   * loop's fixes): the loop as planned for it, and each action's prior chance to fix it. Without
   * it (or undefined), the loop's catalog as declared.
   */
  catalogFor?: (
    loop: LoopSpec,
    incident: IncidentCase['incident'],
  ) => { loop: LoopSpec; priors?: Readonly<Record<string, number>> } | undefined;
}

/** What a decider reacts to: the events of the topics it consumes, and time passing. */
export type DeciderInput =
  | { type: 'homeostat.incident.opened.v1'; data: IncidentOpened }
  | { type: 'homeostat.incident.updated.v1'; data: IncidentUpdated }
  | { type: 'homeostat.incident.resolved.v1'; data: IncidentResolved }
  | { type: 'homeostat.knowledge.updated.v1'; data: KnowledgeUpdated }
  | { type: 'homeostat.action.started.v1'; data: ActionStarted }
  | { type: 'homeostat.outcome.recorded.v1'; data: OutcomeRecorded }
  | { type: 'homeostat.control.v1'; data: ControlCommand }
  | { type: 'time.passed' };

/**
 * The decider in the decide/evolve form: `decide` turns an input into the events the decider
 * records (the input itself as it folds it, then what it concludes: overdue outcomes, evicted
 * cases, decisions), `evolve` folds each of them. A state is the fold of its events, so the same
 * events replay to the same state, and the same inputs with the same ids to the same decisions.
 */
export interface Decider {
  initialState(): PolicyState;
  decide(state: PolicyState, input: DeciderInput, now: number): PolicyEvent[];
  evolve(state: PolicyState, event: PolicyEvent): PolicyState;
}

export function createDecider(setup: DeciderSetup): Decider {
  const maxOpenCases = setup.maxOpenCases ?? MAX_OPEN_CASES;

  /** The input as the decider folds it: events of a loop it manages carry that loop's spec. */
  function observed(input: Exclude<DeciderInput, { type: 'time.passed' }>): PolicyEvent | undefined {
    switch (input.type) {
      case 'homeostat.incident.opened.v1':
        return setup.loops.has(input.data.loop) ? input : undefined;
      case 'homeostat.knowledge.updated.v1':
      case 'homeostat.outcome.recorded.v1': {
        const loop = setup.loops.get(input.data.loop);
        return loop === undefined ? input : { ...input, loop };
      }
      default:
        return input;
    }
  }

  function decide(state: PolicyState, input: DeciderInput, now: number): PolicyEvent[] {
    const events: PolicyEvent[] = [];
    let current = state;
    const record = (event: PolicyEvent): void => {
      events.push(event);
      current = evolve(current, event);
    };
    const decideFor = (incidentId: string): void => {
      const event = decisionFor(current, incidentId, now);
      if (event !== undefined) record(event);
    };
    /**
     * A pending attempt that ended without helping rules its action out: the next best is tried. So
     * does an experiment the executor skipped because its change was already live (`noOp`).
     */
    const settled = (incidentId: string, decisionId: string, noOp = false): void => {
      const before = state.cases[incidentId]?.attempts.find((a) => a.decisionId === decisionId);
      const after = current.cases[incidentId]?.attempts.find((a) => a.decisionId === decisionId);
      const over = after !== undefined && (RULED_OUT.has(after.status) || (noOp && after.status === 'skipped'));
      if (before?.status === 'pending' && over) decideFor(incidentId);
    };

    if (input.type === 'time.passed') {
      for (const [incidentId, c] of Object.entries(state.cases)) {
        for (const [decisionId, deadline] of Object.entries(c.outcomeDeadlines)) {
          if (now < deadline) continue;
          record({ type: 'outcome.overdue', data: { incidentId, decisionId } });
          settled(incidentId, decisionId);
        }
        const retryAt = current.cases[incidentId]?.retryAt;
        if (retryAt !== undefined && now >= retryAt) decideFor(incidentId);
        else if (runsAgain(current, incidentId, now)) decideFor(incidentId);
      }
      return events;
    }

    const event = observed(input);
    if (event === undefined) return events;
    record(event);
    switch (input.type) {
      case 'homeostat.incident.opened.v1': {
        const { incidentId } = input.data;
        if (state.cases[incidentId] !== undefined) return events;
        const oldest = oldestCaseBut(current, incidentId);
        if (Object.keys(current.cases).length > maxOpenCases && oldest !== undefined)
          record({ type: 'case.evicted', data: { incidentId: oldest } });
        decideFor(incidentId);
        return events;
      }
      case 'homeostat.incident.updated.v1': {
        // When the analyzer reports a relapse, or symptoms still failing, after a verified fix; an
        // escalation that waits for time decides again when it is due.
        const before = state.cases[input.data.incidentId];
        const after = current.cases[input.data.incidentId];
        const news = after?.relapsedAt !== before?.relapsedAt || after?.failingAt !== before?.failingAt;
        if (news && after?.retryAt === undefined && relapsed(current, input.data.incidentId) !== undefined)
          decideFor(input.data.incidentId);
        else if (news && awaitsAChange(current, input.data.incidentId)) {
          // Only a change to try is news: "still nothing to try" was said once, at the escalation.
          const event = decisionFor(current, input.data.incidentId, now);
          if (event?.type === 'homeostat.decision.made.v1' && event.data.mode !== 'escalate') record(event);
        }
        return events;
      }
      case 'homeostat.outcome.recorded.v1':
        settled(input.data.incidentId, input.data.decisionId, isUnchangedConfig(input.data));
        // An outcome frees a blast-radius slot: a case that waits for one goes now instead of at the
        // latest time the slot could free (the running action's deadline). Only a change to make is
        // news: one still waiting keeps the wait it was told.
        for (const [incidentId, c] of Object.entries(current.cases)) {
          if (incidentId === input.data.incidentId || c.retryAt === undefined || c.retryAt <= now || c.blocked === true) continue;
          const event = decisionFor(current, incidentId, now);
          if (event?.type === 'homeostat.decision.made.v1' && event.data.mode !== 'escalate') record(event);
        }
        return events;
      case 'homeostat.control.v1': {
        const command = input.data;
        // A resumed loop, a kill switch turned off: what escalated while it was stopped is decided now.
        for (const incidentId of Object.keys(current.cases)) if (runsAgain(current, incidentId, now)) decideFor(incidentId);
        if (command.command !== 'reject') return events;
        const incidentId = Object.keys(state.cases).find((id) =>
          state.cases[id]?.attempts.some((a) => a.decisionId === command.decisionId),
        );
        if (incidentId !== undefined) settled(incidentId, command.decisionId);
        return events;
      }
      default:
        return events;
    }
  }

  /**
   * An optimize case that escalated for want of a change to try, with nothing in flight: its
   * analyzer's updates carry what the route's window shows now, and a window that has caught up
   * with the regime (a retry storm's retries, a slow dependency's timeouts) can show a knob that
   * the opening, seen a bucket or two into the regime, could not. Without this the case waited for
   * people for as long as the regime lasted. Only a window wholly after the opening counts: one
   * that still holds buckets from before the regime would set the experiment's guards from a mix
   * of both (an outage's errors halved by the healthy seconds before it).
   */
  function awaitsAChange(state: PolicyState, incidentId: string): boolean {
    const c = state.cases[incidentId];
    const loop = c && setup.loops.get(c.loop);
    const seen = c?.incident.optimize;
    if (c === undefined || loop === undefined || loop.spec.kind !== 'optimize' || seen === undefined) return false;
    if (c.escalatedAt === undefined || c.retryAt !== undefined || c.blocked === true) return false;
    if (Date.parse(seen.windowStart) < c.openedAt) return false;
    const last = c.attempts[c.attempts.length - 1];
    return last === undefined || (last.status !== 'pending' && (last.succeededAt === undefined || c.escalatedAt >= last.succeededAt));
  }

  /** A case that escalated because its loop was stopped, now that nothing stops the loop any more. */
  function runsAgain(state: PolicyState, incidentId: string, now: number): boolean {
    const c = state.cases[incidentId];
    const loop = c?.blocked && setup.loops.get(c.loop);
    if (!loop) return false;
    const stopped = [killSwitch, loopPaused, circuitBreaker].some(
      (check) => check({ state, loop, now, target: c.incident.target }).effect === 'block',
    );
    return !stopped;
  }

  function decisionFor(state: PolicyState, incidentId: string, now: number): PolicyEvent | undefined {
    const c = state.cases[incidentId];
    const loop = c && setup.loops.get(c.loop);
    if (c === undefined || loop === undefined) return undefined;
    // Seeded by incident and attempt: the same decision, decided again after a restart, draws the same samples.
    const rng = createRng(seedFrom(setup.seed, incidentId, String(c.attempts.length + 1)));
    const catalog = setup.catalogFor?.(loop, c.incident);
    const plan = planFor({
      state,
      loop: catalog?.loop ?? loop,
      incident: c.incident,
      attempts: c.attempts,
      now,
      rng,
      ...(catalog?.priors === undefined ? {} : { priors: catalog.priors }),
    });
    const relapseOf = relapsed(state, incidentId);
    const data: DecisionMade = {
      decisionId: setup.newId(),
      incidentId,
      loop: loop.metadata.name,
      loopVersion: String(loop.metadata.version),
      target: c.incident.target,
      fingerprint: c.incident.fingerprint,
      action: plan.action,
      mode: plan.mode,
      autonomyLevel: plan.autonomyLevel,
      attempt: plan.attempt,
      ...(plan.previousDecisionId ? { previousDecisionId: plan.previousDecisionId } : {}),
      ...(relapseOf === undefined ? {} : { relapseOf: relapseOf.decisionId }),
      ...('experiment' in plan && plan.experiment !== undefined ? { experiment: plan.experiment } : {}),
      explanation:
        relapseOf === undefined
          ? plan.explanation
          : { ...plan.explanation, chosenBecause: `${relapseNote(relapseOf, c)}; ${plan.explanation.chosenBecause}` },
    };
    return {
      type: 'homeostat.decision.made.v1',
      data,
      loop,
      at: now,
      ...(plan.retryAt === undefined ? {} : { retryAt: plan.retryAt }),
      ...(plan.blocked === undefined ? {} : { blocked: plan.blocked }),
    };
  }

  /**
   * The attempt whose verified fix the incident outlived: the last attempt succeeded (so nothing is
   * in flight), and the analyzer has since seen the incident's symptoms come back. The incident is
   * an open problem again, so it is decided again, within the guardrails like any decision.
   */
  function relapsed(state: PolicyState, incidentId: string): Attempt | undefined {
    const c = state.cases[incidentId];
    const last = c?.attempts[c.attempts.length - 1];
    if (c === undefined || last === undefined || last.status !== 'succeeded' || last.succeededAt === undefined) return undefined;
    if (c.relapsedAt !== undefined && c.relapsedAt > last.succeededAt) return last;
    // Still failing a gathering window after the fix was verified (the analyzer's view lags the
    // target's by up to a bucket, and a fix that took shows within that), and failing since before
    // it without a calm: a failure that calmed and came back is the analyzer's to judge — the same
    // kind again (relapsedAt) or another kind, which opens an incident of its own.
    const loop = setup.loops.get(c.loop);
    const graceMs = loop === undefined ? Infinity : parseDuration(loop.spec.detection.gatherFor);
    const failingThrough = c.failingSince !== undefined && c.failingSince <= last.succeededAt;
    // Once the decider escalated after the fix (nothing left to try), the same failure going on is
    // no news: every update would escalate again.
    const escalatedSince = c.escalatedAt !== undefined && c.escalatedAt >= last.succeededAt;
    if (failingThrough && !escalatedSince && c.failingAt !== undefined && c.failingAt > last.succeededAt + graceMs) return last;
    return undefined;
  }

  return { initialState: initialPolicyState, decide, evolve };
}

function relapseNote(fix: Attempt, c: IncidentCase): string {
  const verified = `${fix.action ?? 'the fix'} was verified (decision ${fix.decisionId})`;
  if (fix.succeededAt !== undefined && c.relapsedAt !== undefined && c.relapsedAt > fix.succeededAt)
    return `relapse: the incident's symptoms came back ${Math.round((c.relapsedAt - fix.succeededAt) / 1000)} s after ${verified}`;
  const late = fix.succeededAt === undefined || c.failingAt === undefined ? '' : ` ${Math.round((c.failingAt - fix.succeededAt) / 1000)} s`;
  return `relapse: the incident's symptoms were still failing${late} after ${verified}`;
}

/** The one place the decider tells the kinds of loop apart: each kind plans its decision in its own lib. */
function planFor(input: PlanInput): ReturnType<typeof planDecision> | ReturnType<typeof planExperiment> {
  switch (input.loop.spec.kind) {
    case 'optimize':
      return planExperiment(input);
    case 'remediate':
    case 'repair':
      return planDecision(input);
  }
}

/** The case opened first, other than the one just opened (an incident can arrive late). */
function oldestCaseBut(state: PolicyState, incidentId: string): string | undefined {
  let oldest: [string, number] | undefined;
  for (const [id, c] of Object.entries(state.cases)) {
    if (id !== incidentId && (oldest === undefined || c.openedAt < oldest[1])) oldest = [id, c.openedAt];
  }
  return oldest?.[0];
}

export interface Reaction {
  state: PolicyState;
  /** Everything recorded for the input, in order. */
  events: PolicyEvent[];
  /** The decisions among them, to publish. */
  decisions: DecisionMade[];
}

/** One input through a decider: decide, then fold what was recorded. */
export function react(decider: Decider, state: PolicyState, input: DeciderInput, now: number): Reaction {
  const events = decider.decide(state, input, now);
  return {
    state: events.reduce((s, e) => decider.evolve(s, e), state),
    events,
    decisions: events.flatMap((e) => (e.type === 'homeostat.decision.made.v1' ? [e.data] : [])),
  };
}

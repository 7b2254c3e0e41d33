import type { ActionSpec, AutonomyLevel, Explanation, LoopSpec } from '@homeostat/contracts';
import { autonomyLevel } from './autonomy';
import { actionGuardrails, loopGuardrails, type GuardrailResult } from './guardrails';
import type { DecisionPlan, PlanMode } from './plan';
import type { Attempt, IncidentInput, PolicyState } from './policy-state';

/**
 * The guardrails over the action a planner chose (or over none), the same for every kind of loop:
 * the loop's checks (kill switch, pause, circuit breaker, in flight, budget, cooldown, blast
 * radius), the action's (approval, dry run, autonomy) at its autonomy level, and what they mean.
 */
export interface Gate {
  level: AutonomyLevel;
  /** The loop's checks, then the action's: what the explanation lists. */
  checks: GuardrailResult[];
  /** Loop checks that stop the loop itself: the decision escalates as `blocked`. */
  blocking: GuardrailResult[];
  /** Loop checks that only wait for time, and when the last of them passes. */
  waiting: GuardrailResult[];
  retryAt: number | undefined;
  /** For the chosen action: it runs, is only recorded, or waits for a person. */
  mode: Exclude<PlanMode, 'escalate'>;
  /** Why that mode, as the end of the explanation's chosenBecause. */
  modeWhy: string;
}

export function guardrailGate(input: {
  state: PolicyState;
  loop: LoopSpec;
  incident: IncidentInput;
  attempts: readonly Attempt[];
  now: number;
  action: ActionSpec | undefined;
}): Gate {
  const { state, loop, incident, attempts, now, action } = input;
  const pending = attempts.find((a) => a.status === 'pending');
  const loopChecks = loopGuardrails({
    state,
    loop,
    target: incident.target,
    now,
    ...(pending === undefined ? {} : { pendingDecisionId: pending.decisionId }),
  });
  const level = action === undefined ? loop.spec.autonomy.start : autonomyLevel(state, loop, incident.fingerprint, action.name);
  const actionChecks =
    action === undefined ? [] : actionGuardrails(loop, action, level, state.knowledge[incident.fingerprint]?.[action.name]);
  const waiting = loopChecks.filter((c) => c.effect === 'wait');
  const dryRunBy = actionChecks.filter((c) => c.effect === 'dry-run');
  const approvalBy = actionChecks.filter((c) => c.effect === 'approval');
  const mode = dryRunBy.length > 0 ? 'dry-run' : approvalBy.length > 0 ? 'approval-required' : 'execute';
  return {
    level,
    checks: [...loopChecks, ...actionChecks],
    blocking: loopChecks.filter((c) => c.effect === 'block'),
    waiting,
    retryAt: waiting.length > 0 ? Math.max(...waiting.map((w) => w.retryAt ?? now)) : undefined,
    mode,
    modeWhy:
      mode === 'dry-run'
        ? `; recorded only: ${describeGuardrails(dryRunBy)}`
        : mode === 'approval-required'
          ? `; waits for approval: ${describeGuardrails(approvalBy)}`
          : '; runs now: every guardrail passed',
  };
}

/** The escalation of a planner's decision: no action, the explanation's base with why. */
export function escalation(
  base: { autonomyLevel: AutonomyLevel; attempt: number; previousDecisionId?: string },
  explanation: Omit<Explanation, 'chosenBecause'>,
): (chosenBecause: string, retryAt?: number) => DecisionPlan {
  return (chosenBecause, retryAt) => ({
    action: null,
    mode: 'escalate',
    ...base,
    explanation: { ...explanation, chosenBecause },
    ...(retryAt === undefined ? {} : { retryAt }),
  });
}

export function describeGuardrails(results: readonly GuardrailResult[]): string {
  return results.map((r) => `${r.check.name} (${r.check.detail})`).join('; ');
}

import { AUTONOMY_LEVELS, knowledgeKey, type AutonomyLevel, type AutonomySpec, type LoopSpec } from '@homeostat/contracts';
import type { PolicyState } from './policy-state';

/** Where an action starts for a fingerprint never seen: the action's own level, else the loop's. */
export function startingAutonomy(loop: LoopSpec, action: string): AutonomyLevel {
  return loop.spec.actions.find((a) => a.name === action)?.autonomy ?? loop.spec.autonomy.start;
}

export function autonomyLevel(state: PolicyState, loop: LoopSpec, fingerprint: string, action: string): AutonomyLevel {
  return state.autonomy[knowledgeKey(fingerprint, action)] ?? startingAutonomy(loop, action);
}

export interface AutonomyStep {
  level: AutonomyLevel;
  change: 'promoted' | 'demoted' | null;
  rate: number | null;
  outcomes: number;
}

/**
 * One step when the learner's knowledge counts new verified outcomes: up one level when the success
 * rate is at least `promoteAt` over at least `minOutcomes` outcomes, down one level when it is below
 * `demoteBelow`. One level at a time, so shadow reaches auto only through propose (people see it
 * work before it runs alone).
 */
export function stepAutonomy(level: AutonomyLevel, stats: { successes: number; failures: number }, spec: AutonomySpec): AutonomyStep {
  const outcomes = stats.successes + stats.failures;
  const rate = outcomes > 0 ? stats.successes / outcomes : null;
  const index = AUTONOMY_LEVELS.indexOf(level);
  if (rate === null || outcomes < spec.minOutcomes) return { level, change: null, rate, outcomes };
  if (rate >= spec.promoteAt && index < AUTONOMY_LEVELS.length - 1) {
    return { level: AUTONOMY_LEVELS[index + 1] ?? level, change: 'promoted', rate, outcomes };
  }
  if (rate < spec.demoteBelow && index > 0) {
    return { level: AUTONOMY_LEVELS[index - 1] ?? level, change: 'demoted', rate, outcomes };
  }
  return { level, change: null, rate, outcomes };
}

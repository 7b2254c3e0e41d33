import { parseDuration, type ActionSpec, type LoopSpec, type Posterior, type RiskLevel } from '@homeostat/contracts';
import type { PolicyState } from './policy-state';
import { sampleBeta, type Rng } from './rng';

/**
 * How candidates are scored (see README.md, "Scoring"):
 *
 *   score = θ × utility,   θ ~ Beta(α, β)
 *   α = α_spec + α_similar + w · successes,   β = β_spec + β_similar + w · failures
 *   utility = 1 − timePenalty · min(1, E[TTR] / deadline) − costPenalty · cost / maxCost
 *
 * θ is a Thompson sample of the chance that the action fixes this fingerprint. The expected value of
 * trying an action is that chance times what a fix is worth, and a fix is worth less the longer the
 * target stays broken and the more the action costs; the penalties are bounded (utility ∈ [0.7, 1]) so
 * they break ties between similarly reliable actions but never outvote a clear difference in success.
 */
export const SCORING = {
  /**
   * Pseudo-outcomes in the spec's prior. Weak next to one real outcome (×outcomeWeight), yet enough
   * to keep the prior's upper tail thin: an untried action rarely samples above a proven fix.
   */
  specPriorStrength: 6,
  /**
   * Prior chance that one action of the catalog fixes a new kind of failure: a catalog holds several
   * actions and usually one fits, so about 1 in 4 to 1 in 10; low risk is the most optimistic, so a
   * new kind of failure is tried with the safe actions first.
   */
  specPriorMean: { low: 0.25, medium: 0.2, high: 0.15, critical: 0.1 } satisfies Record<RiskLevel, number>,
  /** Weight of one outcome of the same action on another fingerprint of the same loop. */
  similarWeight: 0.25,
  /** Cap on the similar-fingerprint prior: others' history must not drown this one's. */
  similarMaxStrength: 1.5,
  /**
   * Weight of one verified outcome on this fingerprint. A fingerprint names a kind of failure and
   * a remediation either fixes that kind or does not, so one outcome says much more than one flip
   * of an unknown coin: counting it as `outcomeWeight` pseudo-outcomes makes a fix the clear first
   * choice after one recovery, and a failed action drop out after one failure. At 12, a fix with
   * two recoveries (Beta(25, 5)) still lost the first try about once in 15 sixteen-incident runs
   * of the shop to an untried action whose sample landed in its upper tail (lifted by other
   * fingerprints' successes); the simulation (simulation.spec.ts) had 1 seed in 100 with a wrong
   * first choice from the third occurrence, and has none at 24.
   */
  outcomeWeight: 24,
  timePenalty: 0.2,
  costPenalty: 0.1,
} as const;

export interface PriorParts {
  spec: { alpha: number; beta: number; risk: RiskLevel };
  similar: { alpha: number; beta: number; successes: number; failures: number; fingerprints: number };
  observed: { successes: number; failures: number; weight: number };
}

export interface ActionEstimate {
  posterior: Posterior;
  parts: PriorParts;
  /** Expected time to recover and where it came from. */
  timeToRecoverMs: number | null;
  timeSource: 'this fingerprint' | 'similar fingerprints' | 'unknown';
}

export function estimate(state: PolicyState, loop: LoopSpec, fingerprint: string, action: ActionSpec): ActionEstimate {
  const specMean = SCORING.specPriorMean[action.risk];
  const spec = { alpha: SCORING.specPriorStrength * specMean, beta: SCORING.specPriorStrength * (1 - specMean), risk: action.risk };

  let simSuccesses = 0;
  let simFailures = 0;
  let simFingerprints = 0;
  let simTimeWeighted = 0;
  let simTimed = 0;
  for (const [other, actions] of Object.entries(state.knowledge)) {
    const stats = actions[action.name];
    if (other === fingerprint || stats === undefined || stats.loop !== loop.metadata.name) continue;
    simSuccesses += stats.successes;
    simFailures += stats.failures;
    simFingerprints += 1;
    if (stats.meanTimeToRecoverMs !== null && stats.successes > 0) {
      simTimeWeighted += stats.meanTimeToRecoverMs * stats.successes;
      simTimed += stats.successes;
    }
  }
  const simTotal = simSuccesses + simFailures;
  const scale = simTotal === 0 ? 0 : Math.min(SCORING.similarWeight, SCORING.similarMaxStrength / simTotal);
  const similar = {
    alpha: simSuccesses * scale,
    beta: simFailures * scale,
    successes: simSuccesses,
    failures: simFailures,
    fingerprints: simFingerprints,
  };

  const own = state.knowledge[fingerprint]?.[action.name];
  const observed = { successes: own?.successes ?? 0, failures: own?.failures ?? 0, weight: SCORING.outcomeWeight };
  const alpha = spec.alpha + similar.alpha + observed.weight * observed.successes;
  const beta = spec.beta + similar.beta + observed.weight * observed.failures;

  let timeToRecoverMs: number | null = null;
  let timeSource: ActionEstimate['timeSource'] = 'unknown';
  if (own?.meanTimeToRecoverMs !== undefined && own.meanTimeToRecoverMs !== null) {
    timeToRecoverMs = own.meanTimeToRecoverMs;
    timeSource = 'this fingerprint';
  } else if (simTimed > 0) {
    timeToRecoverMs = simTimeWeighted / simTimed;
    timeSource = 'similar fingerprints';
  }

  return {
    posterior: { alpha, beta, mean: alpha / (alpha + beta), tries: own?.tries ?? 0, meanTimeToRecoverMs: timeToRecoverMs },
    parts: { spec, similar, observed },
    timeToRecoverMs,
    timeSource,
  };
}

export interface Utility {
  value: number;
  /** The time to recover assumed (half the deadline when nothing is known). */
  timeMs: number;
  cost: number;
}

export function utility(loop: LoopSpec, action: ActionSpec, timeToRecoverMs: number | null): Utility {
  const deadlineMs = parseDuration(loop.spec.verification.deadline);
  const timeMs = timeToRecoverMs ?? deadlineMs / 2;
  const known = loop.spec.actions.flatMap((a) => (a.cost === undefined ? [] : [a.cost]));
  const maxCost = Math.max(0, ...known);
  // An action without a cost is assumed average rather than free, so leaving it out buys no advantage.
  const cost = action.cost ?? (known.length > 0 ? known.reduce((s, c) => s + c, 0) / known.length : 0);
  const timeTerm = deadlineMs > 0 ? Math.min(1, timeMs / deadlineMs) : 0;
  const costTerm = maxCost > 0 ? cost / maxCost : 0;
  return { value: 1 - SCORING.timePenalty * timeTerm - SCORING.costPenalty * costTerm, timeMs, cost };
}

export function thompsonSample(rng: Rng, posterior: Posterior): number {
  return sampleBeta(rng, posterior.alpha, posterior.beta);
}

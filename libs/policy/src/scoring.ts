import { parseDuration, type ActionSpec, type Hypothesis, type LoopSpec, type Posterior, type RiskLevel } from '@homeostat/contracts';
import type { PolicyState } from './policy-state';
import { sampleBeta, type Rng } from './rng';

/**
 * How candidates are scored (see README.md, "Scoring"):
 *
 *   score = θ × utility,   θ ~ Beta(α, β)
 *   α = α_spec + α_similar + w · successes,   β = β_spec + β_similar + w · failures
 *   (α_spec, β_spec) has mean p_risk + (hypothesisMean − p_risk) · h and strength specPriorStrength + hypothesisStrength · h,
 *   h = the hypothesis' confidence × how well the action's `addresses` fit its components (0 without either)
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
  /**
   * Prior chance that an action fixes a new kind of failure when it addresses exactly what a
   * hypothesis suspects with full confidence. Below 1: a hypothesis is often right but not always,
   * and an untried action must keep some chance to be explored.
   */
  hypothesisMean: 0.75,
  /**
   * Pseudo-outcomes the hypothesis adds to the prior at full fit and confidence: enough that the
   * action it points at is sampled first about 9 times in 10 against the shop's other actions
   * (with 6, and a mean of 0.7, about 85 in 100: too often a first occurrence began with a miss),
   * yet one real success elsewhere (outcomeWeight) still outweighs it, so learned outcomes take over.
   */
  hypothesisStrength: 10,
  timePenalty: 0.2,
  costPenalty: 0.1,
} as const;

/** How an action fits an incident's hypothesis: which suspected components it addresses and how much that weighs. */
export interface HypothesisFit {
  /** In [0, 1]: (the share of the suspicion, by component scores, the action addresses × the share of what it addresses that is suspected)². */
  fit: number;
  /** fit × the hypothesis' confidence: how far the hypothesis moves the action's prior. */
  weight: number;
  matched: string[];
  confidence: number;
}

/**
 * Fit of an action to a hypothesis: (coverage × precision)² over components. Coverage is the part of
 * the suspicion (weighted by each component's score) the action addresses, so an action that
 * addresses the main suspect fits better than one that addresses a side one; precision is the part
 * of what it addresses that is suspected, so among actions that cover the suspicion the most
 * specific fits best (a cache, which addresses a dependency, for a slow dependency; a retry policy,
 * which addresses a dependency and the retries, for a dependency kept down by retries). Squared:
 * an action that addresses half of what is suspected leaves the other half going, so it fixes far
 * less often than half as often. (Linear, the cache and the retry policy, which share `downstream`,
 * were each other's first choice about 1 time in 10 for those two faults; squared, about 1 in 17.)
 */
export function hypothesisFit(action: ActionSpec, hypothesis: Hypothesis | undefined): HypothesisFit {
  const none = { fit: 0, weight: 0, matched: [], confidence: hypothesis?.confidence ?? 0 };
  const addresses = action.addresses ?? [];
  if (hypothesis === undefined || addresses.length === 0) return none;
  const suspected = new Map<string, number>();
  for (const c of hypothesis.components ?? []) if (c.score > 0) suspected.set(c.name, Math.max(c.score, suspected.get(c.name) ?? 0));
  if (suspected.size === 0 && hypothesis.suspect.component !== undefined) suspected.set(hypothesis.suspect.component, 1);
  const total = [...suspected.values()].reduce((s, x) => s + x, 0);
  const matched = addresses.filter((a) => suspected.has(a));
  if (total <= 0 || matched.length === 0) return none;
  const coverage = matched.reduce((s, a) => s + (suspected.get(a) ?? 0), 0) / total;
  const fit = (coverage * (matched.length / addresses.length)) ** 2;
  return { fit, weight: fit * hypothesis.confidence, matched, confidence: hypothesis.confidence };
}

export interface PriorParts {
  spec: { alpha: number; beta: number; risk: RiskLevel };
  /** How the incident's hypothesis moved the spec's prior (weight 0: it did not). */
  hypothesis: HypothesisFit;
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

export function estimate(
  state: PolicyState,
  loop: LoopSpec,
  fingerprint: string,
  action: ActionSpec,
  hypothesis?: Hypothesis,
  priorMean?: number,
): ActionEstimate {
  const fit = hypothesisFit(action, hypothesis);
  // Kept inside (0, 1): a Beta prior needs both parameters positive.
  const riskMean = priorMean === undefined ? SCORING.specPriorMean[action.risk] : Math.min(0.95, Math.max(0.02, priorMean));
  const specMean = riskMean + (Math.max(riskMean, SCORING.hypothesisMean) - riskMean) * fit.weight;
  const strength = SCORING.specPriorStrength + SCORING.hypothesisStrength * fit.weight;
  const spec = { alpha: strength * specMean, beta: strength * (1 - specMean), risk: action.risk };

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
    parts: { spec, hypothesis: fit, similar, observed },
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

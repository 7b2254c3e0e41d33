import {
  parseDuration,
  type Experiment,
  type ExperimentResult,
  type OptimizeRoute,
  type OptimizeSpec,
  type RouteObservation,
} from '@homeostat/contracts';
import { bucketsNeeded } from './baseline';
import { lowerThan } from './rank-test';
import { median, usable, type RouteBucket } from './route-stats';

/**
 * An experiment's guards from the route's SLO and its baseline: p99 and the error ratio may not
 * go past the SLO, or (when the baseline already breaks it) past the baseline by more than the
 * tolerance; a non-idempotent route may never serve from a cache.
 */
export function experimentGuards(spec: OptimizeSpec, route: OptimizeRoute, baseline: RouteObservation): Experiment['guards'] {
  const tolerance = 1 + spec.guardTolerance;
  return {
    p99MaxMs: Math.max(parseDuration(route.slo.p99), baseline.p99Ms * tolerance),
    errorRatioMax: Math.min(1, Math.max(route.slo.errorRatio, baseline.errorRatio * tolerance)),
    neverCached: !route.idempotent,
  };
}

/**
 * The guard a trial broke so far, if any: at once for a cache hit on a non-idempotent route or a
 * bucket over the error ratio; for p99, two buckets in a row over it, so one GC pause does not
 * undo a change that works.
 */
export function guardBreach(experiment: Experiment, trial: readonly RouteBucket[]): string | undefined {
  const { guards, minRequestsPerBucket } = experiment;
  let slowInRow = 0;
  for (const b of trial) {
    if (guards.neverCached && b.cacheHits > 0)
      return `${b.cacheHits} answer(s) served from a cache on non-idempotent route ${experiment.route}`;
    if (b.requests < minRequestsPerBucket) continue;
    const errorRatio = b.errors / b.requests;
    if (errorRatio > guards.errorRatioMax)
      return `error ratio ${errorRatio.toFixed(3)} in a trial bucket, above the guard's ${guards.errorRatioMax.toFixed(3)}`;
    slowInRow = b.p99Ms > guards.p99MaxMs ? slowInRow + 1 : 0;
    if (slowInRow >= 2) return `p99 above ${Math.round(guards.p99MaxMs)} ms in two trial buckets in a row (last ${Math.round(b.p99Ms)} ms)`;
  }
  return undefined;
}

const objectiveOf =
  (experiment: Experiment) =>
  (b: RouteBucket): number =>
    experiment.objective === 'p50' ? b.p50Ms : b.p99Ms;

/**
 * The verdict on a trial that ran to its end without breaking a guard: kept when the objective's
 * per-bucket values are lower than the baseline's by the one-sided Mann-Whitney test at `alpha`
 * and the medians by at least `minImprovement`; noise is not kept. An experiment judged by its
 * guards (`judgedBy: 'guards'`) is kept once enough of its trial held them.
 */
export function judgeExperiment(experiment: Experiment, baseline: readonly RouteBucket[], trial: readonly RouteBucket[]): ExperimentResult {
  const breach = guardBreach(experiment, trial);
  const base = usable(baseline, experiment.minRequestsPerBucket);
  const tried = usable(trial, experiment.minRequestsPerBucket);
  const objective = objectiveOf(experiment);
  const empty = {
    baselineMedianMs: base.length > 0 ? median(base.map(objective)) : null,
    trialMedianMs: tried.length > 0 ? median(tried.map(objective)) : null,
    effectMs: null,
    effectLowMs: null,
    effectHighMs: null,
    pValue: null,
    baselineBuckets: base.length,
    trialBuckets: tried.length,
  };
  if (breach !== undefined) return { ...empty, kept: false, reason: `guard broken: ${breach}`, guardBreach: breach };
  if (experiment.judgedBy === 'guards') {
    if (tried.length < experiment.trialBuckets / 2)
      return {
        ...empty,
        kept: false,
        reason: `too few trial buckets with at least ${experiment.minRequestsPerBucket} requests to hold its guards (${tried.length} of ${experiment.trialBuckets})`,
      };
    const medians =
      empty.baselineMedianMs === null || empty.trialMedianMs === null
        ? ''
        : `; ${experiment.objective} ${round(empty.baselineMedianMs)} → ${round(empty.trialMedianMs)} ms`;
    return {
      ...empty,
      kept: true,
      reason: `held its guards over ${tried.length} trial bucket(s): p99 within ${Math.round(experiment.guards.p99MaxMs)} ms, errors within ${(experiment.guards.errorRatioMax * 100).toFixed(1)} %${medians}`,
    };
  }
  const needed = bucketsNeeded(experiment);
  if (base.length < needed || tried.length < needed)
    return {
      ...empty,
      kept: false,
      reason: `too few buckets with at least ${experiment.minRequestsPerBucket} requests (baseline ${base.length}, trial ${tried.length}; ${needed} needed)`,
    };
  const test = lowerThan(base.map(objective), tried.map(objective), experiment.alpha);
  const baseMedian = median(base.map(objective));
  const trialMedian = median(tried.map(objective));
  const improvement = baseMedian > 0 ? (baseMedian - trialMedian) / baseMedian : 0;
  const significant = test.pValue < experiment.alpha;
  const large = improvement >= experiment.minImprovement;
  const measured = `${experiment.objective} ${round(baseMedian)} → ${round(trialMedian)} ms, shift ${round(test.shift)} ms [${round(test.shiftLow)}, ${round(test.shiftHigh)}], Mann-Whitney p=${test.pValue.toPrecision(2)}`;
  return {
    kept: significant && large,
    reason:
      significant && large
        ? `improved beyond noise: ${measured}`
        : !significant
          ? `not beyond noise (p ≥ ${experiment.alpha}): ${measured}`
          : `improvement ${(improvement * 100).toFixed(1)} % below the ${(experiment.minImprovement * 100).toFixed(0)} % worth keeping: ${measured}`,
    baselineMedianMs: baseMedian,
    trialMedianMs: trialMedian,
    effectMs: test.shift,
    effectLowMs: test.shiftLow,
    effectHighMs: test.shiftHigh,
    pValue: Math.min(1, Math.max(0, test.pValue)),
    baselineBuckets: base.length,
    trialBuckets: tried.length,
  };
}

const round = (x: number): number => Math.round(x * 10) / 10;

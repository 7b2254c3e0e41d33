import type { Experiment, ExperimentResult } from '@homeostat/contracts';
import { guardBreach, judgeExperiment, type RouteBucket } from '@homeostat/optimize';
import type { VerificationCheck, VerifierClock } from './health-check';

/** Per-bucket series of one route of a target, read from the stored telemetry (the learner's query API). */
export type RouteMetrics = (query: {
  target: string;
  route: string;
  fromMs: number;
  toMs: number;
  bucketMs: number;
}) => Promise<RouteBucket[]>;

/** How long after a bucket closes its spans are stored and readable: export interval + collector + learner batch. */
export const TELEMETRY_LAG_MS = 3_000;

export interface ExperimentVerification {
  passed: boolean;
  aborted: boolean;
  checks: VerificationCheck[];
  recoveredAtMs: number | null;
  detail: string;
  result?: ExperimentResult;
}

/**
 * Verification of an optimize decision: the route's baseline window (the buckets before the
 * change) and its trial window (the buckets after), read bucket by bucket as they are stored.
 * A guard that breaks ends the trial at once (the caller rolls back); a trial that runs its
 * course is kept only when libs/optimize's verdict says it improved beyond noise.
 */
export async function verifyExperiment(
  experiment: Experiment,
  target: string,
  appliedMs: number,
  metrics: RouteMetrics | undefined,
  clock: VerifierClock,
  signal?: AbortSignal,
): Promise<ExperimentVerification> {
  const checks: VerificationCheck[] = [];
  const fail = (detail: string, result?: ExperimentResult): ExperimentVerification => ({
    passed: false,
    aborted: false,
    checks,
    recoveredAtMs: null,
    detail,
    ...(result ? { result } : {}),
  });
  if (metrics === undefined) return fail('this executor has no route metrics source: the experiment cannot be judged');
  const { bucketMs, route } = experiment;
  const baselineTo = Math.floor(appliedMs / bucketMs) * bucketMs;
  const baselineFrom = baselineTo - experiment.baselineBuckets * bucketMs;
  // The bucket the change landed in is mixed: the trial starts with the next one.
  const trialFrom = baselineTo + bucketMs;
  let baseline: RouteBucket[];
  try {
    baseline = await metrics({ target, route, fromMs: baselineFrom, toMs: baselineTo, bucketMs });
  } catch (error) {
    return fail(`the baseline window could not be read: ${String(error)}`);
  }
  checks.push({
    name: 'baseline',
    passed: true,
    observed: baseline.length,
    detail: `${baseline.length} bucket(s) of ${route} before the change`,
  });
  let trial: RouteBucket[] = [];
  for (let k = 1; k <= experiment.trialBuckets; k++) {
    const closes = trialFrom + k * bucketMs;
    const wait = closes + TELEMETRY_LAG_MS - clock.now();
    if (wait > 0) await clock.sleep(wait, signal);
    if (signal?.aborted) return { passed: false, aborted: true, checks, recoveredAtMs: null, detail: 'aborted' };
    try {
      trial = await metrics({ target, route, fromMs: trialFrom, toMs: closes, bucketMs });
    } catch (error) {
      checks.push({ name: 'trial', passed: false, detail: `reading the trial failed: ${String(error)}` });
      continue;
    }
    const breach = guardBreach(experiment, trial);
    if (breach !== undefined) {
      const result = judgeExperiment(experiment, baseline, trial);
      checks.push({ name: 'guard', passed: false, observed: trial.length, detail: breach });
      return fail(`guard broken after ${trial.length} trial bucket(s): ${breach}`, result);
    }
  }
  const result = judgeExperiment(experiment, baseline, trial);
  checks.push({ name: 'guard', passed: true, observed: trial.length, detail: 'no guard broken over the trial window' });
  checks.push({
    name: 'objective',
    passed: result.kept,
    ...(result.trialMedianMs === null ? {} : { observed: Math.round(result.trialMedianMs) }),
    detail: result.reason,
  });
  return result.kept
    ? { passed: true, aborted: false, checks, recoveredAtMs: clock.now(), detail: `kept: ${result.reason}`, result }
    : fail(`not kept: ${result.reason}`, result);
}

import type { Experiment, ExperimentResult } from '@homeostat/contracts';
import { baselineReady, cleanBaseline, guardBreach, judgeExperiment, type BaselineWindow, type RouteBucket } from '@homeostat/optimize';
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
 * How long an experiment's change may wait for a clean baseline: the route's buckets since the
 * live config went live, enough for a verdict. A route too quiet to fill one by then gets its
 * change anyway, and its verdict says the baseline was too short.
 */
export const maxBaselineWaitBuckets = (experiment: Experiment): number => experiment.baselineBuckets + 2;

/** The baseline window of a change made at `appliedMs`: the newest buckets before it that one config served. */
async function readBaseline(experiment: Experiment, target: string, beforeMs: number, metrics: RouteMetrics): Promise<BaselineWindow> {
  const { bucketMs, route } = experiment;
  const toMs = Math.floor(beforeMs / bucketMs) * bucketMs;
  const buckets = await metrics({ target, route, fromMs: toMs - experiment.baselineBuckets * bucketMs, toMs, bucketMs });
  return cleanBaseline(buckets, bucketMs);
}

/**
 * Before an experiment's change is applied: waits until the route has a baseline its verdict can
 * use, i.e. enough buckets served by the config live now alone. Right after another change (a
 * person's rollback, the previous experiment) the buckets before it were served by another
 * config, and a change applied at once would be judged against them. The newest bucket is read
 * once its telemetry is stored, so a change made just before the decision is seen. Returns what
 * it waited for, in words; gives up after `maxBaselineWaitBuckets`.
 */
export async function awaitCleanBaseline(
  experiment: Experiment,
  target: string,
  metrics: RouteMetrics | undefined,
  clock: VerifierClock,
  signal?: AbortSignal,
): Promise<{ waitedMs: number; ready: boolean; detail: string }> {
  if (metrics === undefined) return { waitedMs: 0, ready: false, detail: 'no route metrics source' };
  const started = clock.now();
  const { bucketMs } = experiment;
  let detail = 'no baseline read';
  for (let k = 0; k <= maxBaselineWaitBuckets(experiment); k++) {
    // The bucket the decision arrived in, then one more each round, each read once it is stored.
    const closes = (Math.floor(started / bucketMs) + 1 + k) * bucketMs;
    const wait = closes + TELEMETRY_LAG_MS - clock.now();
    if (wait > 0) await clock.sleep(wait, signal);
    if (signal?.aborted) return { waitedMs: clock.now() - started, ready: false, detail: 'aborted' };
    let window: BaselineWindow;
    try {
      window = await readBaseline(experiment, target, closes, metrics);
    } catch (error) {
      detail = `the baseline could not be read: ${String(error)}`;
      continue;
    }
    detail = window.detail;
    if (baselineReady(window, experiment)) return { waitedMs: clock.now() - started, ready: true, detail };
  }
  return { waitedMs: clock.now() - started, ready: false, detail };
}

/**
 * Verification of an optimize decision: the route's baseline window (the newest buckets before the
 * change that the config it replaced served alone: libs/optimize cleanBaseline) and its trial
 * window (the buckets after), read bucket by bucket as they are stored.
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
  // The bucket the change landed in is mixed: the trial starts with the next one.
  const trialFrom = (Math.floor(appliedMs / bucketMs) + 1) * bucketMs;
  /**
   * The verdict, with the baseline read only now: by the trial's end (or its breach) every baseline
   * bucket is stored, however far the telemetry lags. The guards need no baseline.
   */
  const judge = async (trial: readonly RouteBucket[]): Promise<ExperimentResult | string> => {
    let window: BaselineWindow;
    try {
      window = await readBaseline(experiment, target, appliedMs, metrics);
    } catch (error) {
      return `the baseline window could not be read: ${String(error)}`;
    }
    checks.push({ name: 'baseline', passed: true, observed: window.buckets.length, detail: `baseline of ${route}: ${window.detail}` });
    const baselineWindow = {
      start: window.fromMs === null ? null : new Date(window.fromMs).toISOString(),
      end: window.toMs === null ? null : new Date(window.toMs).toISOString(),
      configVersion: window.configVersion,
      leftOut: window.leftOut,
      detail: window.detail,
    };
    return { ...judgeExperiment(experiment, window.buckets, trial), baselineWindow };
  };
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
      const result = await judge(trial);
      checks.push({ name: 'guard', passed: false, observed: trial.length, detail: breach });
      return fail(`guard broken after ${trial.length} trial bucket(s): ${breach}`, typeof result === 'string' ? undefined : result);
    }
  }
  const result = await judge(trial);
  if (typeof result === 'string') return fail(result);
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

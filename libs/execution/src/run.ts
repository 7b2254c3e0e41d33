import type { ActionStarted } from '@homeostat/contracts';
import { describeCall, prepareCall, type ActionResponse, type ActionRunner, type RunMemo } from './adapters/action-runner';
import type { Environment } from './adapters/template';
import type { ClaimEntry } from './claims';
import { notStarted, type OutcomeInit } from './outcome';
import type { ExecutionLog } from './ports';
import { DEFAULT_ACTION_TIMEOUT_SECONDS, type PreparedRun } from './prepare';
import { nextStep, statusAfterRollback, type InverseCall } from './rollback';
import { verifyHealth, type Probe, type VerificationCheck, type VerifierClock } from './verification/health-check';
import type { VerificationPlan } from './verification/verification-plan';
import { awaitCleanBaseline, verifyExperiment, type RouteMetrics } from './verification/experiment-check';
import type { ExperimentResult } from '@homeostat/contracts';
import { unchangedBy, UNCHANGED_CONFIG_CHECK } from '@homeostat/optimize';
import { IDEMPOTENCY_HEADER } from './adapters/action-request';

export interface RunDeps {
  runner: ActionRunner;
  probe: Probe;
  clock: VerifierClock;
  env: Environment;
  /** Publishes action.started; rejects when it could not. */
  started: (event: ActionStarted) => Promise<void>;
  /** Appends a step of the claimed decision to its journal; resolves once it is durable. */
  record: (entry: ClaimEntry) => Promise<void>;
  log: ExecutionLog;
  /** Where an optimize decision's route series are read from; without it an experiment cannot be judged. */
  routeMetrics?: RouteMetrics;
}

/**
 * A claimed run: action.started → adapter → verification → the inverse when verification fails.
 * Returns the outcome to report, or undefined when `signal` cut the run short: what was cut short
 * reports nothing now; its claim's journal says how far it got, and the next start finishes it
 * (recovery.ts).
 */
export async function runClaimed(run: PreparedRun, deps: RunDeps, signal: AbortSignal): Promise<OutcomeInit | undefined> {
  const { decision } = run;
  if (signal.aborted) return undefined;
  const unchanged = await unchangedConfig(run, fetchUntil(signal), deps.clock);
  if (signal.aborted) return undefined;
  if (unchanged !== undefined) {
    deps.log.info(`decision ${decision.decisionId} skipped: ${unchanged.verification.detail ?? 'its change is already live'}`, {
      decisionId: decision.decisionId,
    });
    return unchanged;
  }
  const waited = await awaitBaseline(run, deps, signal);
  if (signal.aborted) return undefined;
  const startedMs = deps.clock.now();
  const startedAt = new Date(startedMs).toISOString();
  const deadlineMs = startedMs + run.verification.deadlineMs;
  try {
    await deps.started({
      decisionId: decision.decisionId,
      incidentId: decision.incidentId,
      loop: decision.loop,
      target: decision.target,
      fingerprint: decision.fingerprint,
      action: decision.action,
      dryRun: false,
      startedAt,
      deadline: new Date(deadlineMs).toISOString(),
    });
  } catch (error) {
    return notStarted(startedAt, error);
  }

  // Durable before the call: a restart then knows the action may have reached the target, and
  // until when to verify it. (Should this write fail, the run stops here, having sent nothing,
  // and the restart reports it not applied.)
  await deps.record({ id: decision.decisionId, phase: 'calling', startedAt, deadline: new Date(deadlineMs).toISOString() });
  deps.log.info(`running ${decision.action.name} for decision ${decision.decisionId} on ${decision.target}`, {
    decisionId: decision.decisionId,
    call: describeCall(run.call),
  });
  const response = await deps.runner.run(run.call, { fetch: fetchUntil(signal), signal });
  if (signal.aborted) return undefined;
  const { memo, ...answer } = response;
  try {
    // Durable before verification, so a restart can still roll back with what the action left behind.
    await deps.record({ id: decision.decisionId, phase: 'answered', answer: { ...answer, memo } });
  } catch (error) {
    deps.log.error(`the answer to decision ${decision.decisionId} could not be recorded: ${String(error)}`, {
      decisionId: decision.decisionId,
    });
  }
  return finishApplied(run, { startedMs, deadlineMs, answer: response, ...(waited ? { checks: [waited] } : {}) }, deps, signal);
}

/**
 * An experiment whose patch changes nothing in the target's live config (read with a GET of the
 * URL the PUT goes to) is skipped without being sent: it would measure noise and, kept, teach the
 * regime a config that did nothing. The decider designs against the live knobs already; this is
 * the second line, for a config changed since, or a target whose telemetry does not name them.
 * When the live config cannot be read, the run goes ahead as before.
 */
export async function unchangedConfig(run: PreparedRun, fetchFn: typeof fetch, clock: VerifierClock): Promise<OutcomeInit | undefined> {
  const call = run.call;
  if (run.verification.kind !== 'experiment' || call.adapter === 'kubernetes') return undefined;
  const { method, url, headers, body, timeoutMs } = call.request;
  if (method !== 'PUT' || body === undefined) return undefined;
  let patch: unknown;
  let described: unknown;
  try {
    // A replace sends the whole config: what it leaves out goes, which a merge comparison cannot see.
    if (new URL(url).searchParams.get('mode') === 'replace') return undefined;
    patch = JSON.parse(body);
    // The call's credentials, not its body's headers nor its idempotency key (a GET is not the action).
    const skip = new Set([IDEMPOTENCY_HEADER.toLowerCase(), 'content-type', 'content-length']);
    const get = Object.fromEntries(Object.entries(headers).filter(([name]) => !skip.has(name.toLowerCase())));
    const res = await fetchFn(url, { method: 'GET', headers: get, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    described = await res.json();
  } catch {
    return undefined;
  }
  const same = unchangedBy(described, patch);
  if (same === undefined) return undefined;
  const version = same.version === null ? '' : ` (version ${same.version})`;
  const detail = `not sent: ${run.decision.experiment?.change ?? 'the change'} is already live in the target's config${version}`;
  return {
    status: 'skipped',
    applied: false,
    startedAt: new Date(clock.now()).toISOString(),
    verification: {
      passed: false,
      checks: [{ name: UNCHANGED_CONFIG_CHECK, passed: false, observed: same.version ?? 'unknown', detail }],
      detail,
    },
    timeToRecoverMs: null,
  };
}

/** An experiment's change waits for a clean baseline (experiment-check.ts awaitCleanBaseline); other runs go at once. */
async function awaitBaseline(run: PreparedRun, deps: RunDeps, signal: AbortSignal): Promise<VerificationCheck | undefined> {
  const plan = run.verification;
  if (plan.kind !== 'experiment' || deps.routeMetrics === undefined) return undefined;
  // A verdict by the guards compares the trial with no baseline: waiting for one only delays it.
  if (plan.experiment.judgedBy === 'guards') return undefined;
  const waited = await awaitCleanBaseline(plan.experiment, plan.target, deps.routeMetrics, deps.clock, signal);
  const seconds = (waited.waitedMs / 1000).toFixed(1);
  deps.log.info(`decision ${run.decision.decisionId}: ${seconds} s for a clean baseline: ${waited.detail}`, {
    decisionId: run.decision.decisionId,
  });
  return {
    name: 'baseline-wait',
    passed: waited.ready,
    observed: waited.waitedMs,
    detail: waited.ready
      ? `applied after ${seconds} s, once the config live before it had served enough buckets: ${waited.detail}`
      : `applied after ${seconds} s without a full baseline: ${waited.detail}`,
  };
}

/** Where a run stands once its action was sent: when it started, its deadline, what the target answered. */
export interface AppliedRun {
  startedMs: number;
  deadlineMs: number;
  /** Undefined when it is not known (the executor stopped before the answer was recorded). */
  answer: (ActionResponse & { memo: RunMemo }) | undefined;
  /** Replaces the health-check plan's streak: a recovery that finds its deadline passed checks once. */
  singleCheck?: boolean;
  /** What was checked before the action was sent (an experiment's wait for its baseline). */
  checks?: VerificationCheck[];
}

/**
 * The rest of a run once its action was sent: verification, the inverse when it fails, the
 * outcome. Shared by a run and by its recovery after a restart. Undefined when `signal` cut it.
 */
export async function finishApplied(
  run: PreparedRun,
  applied: AppliedRun,
  deps: RunDeps,
  signal: AbortSignal,
): Promise<OutcomeInit | undefined> {
  const { startedMs, deadlineMs, answer } = applied;
  const startedAt = new Date(startedMs).toISOString();
  const actionChecks = [...(applied.checks ?? []), ...(answer ? [checkOf('action', answer)] : [])];
  if (answer && !answer.accepted) {
    return {
      status: 'failed',
      applied: true,
      startedAt,
      verification: {
        passed: false,
        checks: actionChecks,
        detail: 'the target did not accept the action, so it was neither verified nor rolled back',
      },
      timeToRecoverMs: null,
      error: { code: 'ADAPTER_FAILED', message: answer.detail },
    };
  }

  const verified = await verify(run.verification, deadlineMs, deps, signal, applied.singleCheck ?? false, startedMs);
  if (verified.aborted) return undefined;
  const experiment = verified.result === undefined ? {} : { experiment: verified.result };
  const verification = { passed: verified.passed, checks: [...actionChecks, ...verified.checks], detail: verified.detail };
  const step = nextStep(true, verified.passed, run.inverse);
  if (step.step === 'report') {
    return {
      status: step.status,
      applied: true,
      startedAt,
      verification,
      timeToRecoverMs: verified.recoveredAtMs !== null ? Math.max(0, verified.recoveredAtMs - startedMs) : null,
      ...(step.status === 'failed' ? { error: { code: step.code, message: verified.detail } } : {}),
      ...experiment,
    };
  }

  const rollback = await rollBack(run, step.inverse, answer?.memo ?? {}, deps, signal);
  if (signal.aborted) return undefined;
  const after = statusAfterRollback(rollback.accepted);
  return {
    status: after.status,
    applied: true,
    startedAt,
    verification,
    timeToRecoverMs: null,
    rollback: { action: step.inverse.call, status: rollback.accepted ? 'succeeded' : 'failed', detail: rollback.detail },
    ...experiment,
    ...(after.status === 'failed'
      ? { error: { code: after.code, message: `verification failed and so did the rollback: ${rollback.detail}` } }
      : {}),
  };
}

async function verify(
  plan: VerificationPlan,
  deadlineMs: number,
  deps: RunDeps,
  signal: AbortSignal,
  singleCheck: boolean,
  startedMs: number,
): Promise<{
  passed: boolean;
  aborted: boolean;
  checks: VerificationCheck[];
  recoveredAtMs: number | null;
  detail: string;
  result?: ExperimentResult;
}> {
  if (plan.kind === 'unsupported') return { passed: false, aborted: false, checks: [], recoveredAtMs: null, detail: plan.detail };
  if (plan.kind === 'experiment') return verifyExperiment(plan.experiment, plan.target, startedMs, deps.routeMetrics, deps.clock, signal);
  // One probe: a streak of one, within one interval from now.
  const result = singleCheck
    ? await verifyHealth(
        { ...plan.healthCheck, consecutive: 1 },
        deps.clock.now() + plan.healthCheck.intervalMs,
        deps.probe,
        deps.clock,
        signal,
      )
    : await verifyHealth(plan.healthCheck, deadlineMs, deps.probe, deps.clock, signal);
  return plan.note ? { ...result, detail: `${result.detail}; ${plan.note}` } : result;
}

async function rollBack(
  run: PreparedRun,
  inverse: InverseCall,
  memo: RunMemo,
  deps: RunDeps,
  signal: AbortSignal,
): Promise<{ accepted: boolean; detail: string }> {
  const built = prepareCall(inverse.call, {
    context: { ...run.templateContext, action: inverse.call.name },
    env: deps.env,
    idempotencyKey: `${run.decision.decisionId}:rollback`,
    timeoutMs: (inverse.timeoutSeconds ?? DEFAULT_ACTION_TIMEOUT_SECONDS) * 1000,
  });
  if (!built.ok) return { accepted: false, detail: `${built.code}: ${built.message}` };
  deps.log.warn(`verification failed for decision ${run.decision.decisionId}: rolling back with ${inverse.call.name}`, {
    decisionId: run.decision.decisionId,
    call: describeCall(built.prepared),
  });
  // The inverse sees what the action left behind (a scale's previous replica count).
  const response = await deps.runner.run(built.prepared, { fetch: fetchUntil(signal), signal, memo });
  return { accepted: response.accepted, detail: response.detail };
}

function checkOf(name: string, response: ActionResponse): VerificationCheck {
  return {
    name,
    passed: response.accepted,
    observed: response.status ?? 'no response',
    detail: `${response.detail} (${response.latencyMs} ms)`,
  };
}

/** fetch that also gives up when `signal` aborts (the executor shuts down). */
function fetchUntil(signal: AbortSignal): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
}

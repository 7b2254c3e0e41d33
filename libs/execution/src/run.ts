import type { ActionStarted } from '@homeostat/contracts';
import { describeCall, prepareCall, type ActionResponse, type ActionRunner, type RunMemo } from './adapters/action-runner';
import type { Environment } from './adapters/template';
import { notStarted, type OutcomeInit } from './outcome';
import type { ExecutionLog } from './ports';
import { DEFAULT_ACTION_TIMEOUT_SECONDS, type PreparedRun } from './prepare';
import { nextStep, statusAfterRollback, type InverseCall } from './rollback';
import { verifyHealth, type Probe, type VerificationCheck, type VerifierClock } from './verification/health-check';
import type { VerificationPlan } from './verification/verification-plan';

export interface RunDeps {
  runner: ActionRunner;
  probe: Probe;
  clock: VerifierClock;
  env: Environment;
  /** Publishes action.started; rejects when it could not. */
  started: (event: ActionStarted) => Promise<void>;
  log: ExecutionLog;
}

/**
 * A claimed run: action.started → adapter → verification → the inverse when verification fails.
 * Returns the outcome to report, or undefined when `signal` cut the run short: what was cut short
 * reports nothing, and the decider re-decides after the deadline announced in action.started.
 */
export async function runClaimed(run: PreparedRun, deps: RunDeps, signal: AbortSignal): Promise<OutcomeInit | undefined> {
  const { decision } = run;
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

  deps.log.info(`running ${decision.action.name} for decision ${decision.decisionId} on ${decision.target}`, {
    decisionId: decision.decisionId,
    call: describeCall(run.call),
  });
  const response = await deps.runner.run(run.call, { fetch: fetchUntil(signal), signal });
  if (signal.aborted) return undefined;
  const actionCheck = checkOf('action', response);
  if (!response.accepted) {
    return {
      status: 'failed',
      applied: true,
      startedAt,
      verification: {
        passed: false,
        checks: [actionCheck],
        detail: 'the target did not accept the action, so it was neither verified nor rolled back',
      },
      timeToRecoverMs: null,
      error: { code: 'ADAPTER_FAILED', message: response.detail },
    };
  }

  const verified = await verify(run.verification, deadlineMs, deps, signal);
  if (verified.aborted) return undefined;
  const verification = { passed: verified.passed, checks: [actionCheck, ...verified.checks], detail: verified.detail };
  const step = nextStep(true, verified.passed, run.inverse);
  if (step.step === 'report') {
    return {
      status: step.status,
      applied: true,
      startedAt,
      verification,
      timeToRecoverMs: verified.recoveredAtMs !== null ? Math.max(0, verified.recoveredAtMs - startedMs) : null,
      ...(step.status === 'failed' ? { error: { code: step.code, message: verified.detail } } : {}),
    };
  }

  const rollback = await rollBack(run, step.inverse, response.memo, deps, signal);
  if (signal.aborted) return undefined;
  const after = statusAfterRollback(rollback.accepted);
  return {
    status: after.status,
    applied: true,
    startedAt,
    verification,
    timeToRecoverMs: null,
    rollback: { action: step.inverse.call, status: rollback.accepted ? 'succeeded' : 'failed', detail: rollback.detail },
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
): Promise<{ passed: boolean; aborted: boolean; checks: VerificationCheck[]; recoveredAtMs: number | null; detail: string }> {
  if (plan.kind === 'unsupported') return { passed: false, aborted: false, checks: [], recoveredAtMs: null, detail: plan.detail };
  const result = await verifyHealth(plan.healthCheck, deadlineMs, deps.probe, deps.clock, signal);
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

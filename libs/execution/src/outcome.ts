import type { ActionCall, DecisionMade, OutcomeErrorCode, OutcomeRecorded } from '@homeostat/contracts';
import type { Verdict } from './executor-state';

/**
 * An outcome before it is addressed to its decision. `applied` says whether the action was sent
 * to the target: everything that learns reads it, so each outcome below states it.
 */
export type OutcomeInit = Pick<OutcomeRecorded, 'status' | 'applied' | 'verification' | 'timeToRecoverMs'> &
  Partial<Pick<OutcomeRecorded, 'startedAt' | 'dryRun' | 'rollback' | 'experiment' | 'repair'>> & {
    error?: { code: OutcomeErrorCode; message: string };
  };

/** The outcome of a decision that names an action, finished at `finishedAt`. */
export function outcomeOf(decision: DecisionMade & { action: ActionCall }, init: OutcomeInit, finishedAt: string): OutcomeRecorded {
  return {
    decisionId: decision.decisionId,
    incidentId: decision.incidentId,
    loop: decision.loop,
    target: decision.target,
    fingerprint: decision.fingerprint,
    action: decision.action,
    status: init.status,
    dryRun: init.dryRun ?? false,
    applied: init.applied,
    verification: init.verification,
    timeToRecoverMs: init.timeToRecoverMs,
    startedAt: init.startedAt ?? finishedAt,
    finishedAt,
    ...(init.rollback ? { rollback: init.rollback } : {}),
    ...(init.error ? { error: init.error } : {}),
    ...(init.experiment ? { experiment: init.experiment } : {}),
    ...(init.repair ? { repair: init.repair } : {}),
  };
}

// Outcomes of decisions whose action was never sent.

const notVerified = (detail: string): OutcomeInit['verification'] => ({ passed: false, checks: [], detail });

export function rejected(verdict: Pick<Verdict, 'actor' | 'reason'>): OutcomeInit {
  const why = `rejected by ${verdict.actor}: ${verdict.reason}`;
  return {
    status: 'skipped',
    applied: false,
    verification: notVerified(why),
    timeToRecoverMs: null,
    error: { code: 'REJECTED', message: why },
  };
}

/** `scope` as killSwitchScope says it: 'globally' or 'for loop x'. */
export function stoppedByKillSwitch(scope: string): OutcomeInit {
  return {
    status: 'skipped',
    applied: false,
    verification: notVerified(`the kill switch is on ${scope}: no action is started`),
    timeToRecoverMs: null,
    error: { code: 'KILL_SWITCH', message: `kill switch on ${scope}` },
  };
}

export function alreadyClaimed(decisionId: string): OutcomeInit {
  return {
    status: 'skipped',
    applied: false,
    verification: notVerified('claimed by an earlier run that reported no outcome; whether its action reached the target is unknown'),
    timeToRecoverMs: null,
    error: { code: 'ALREADY_CLAIMED', message: `decision ${decisionId} was already claimed: an action runs at most once` },
  };
}

/** A decision that could not run: what was checked before the claim failed. */
export function notRunnable(code: OutcomeErrorCode, message: string): OutcomeInit {
  return { status: 'failed', applied: false, verification: notVerified(message), timeToRecoverMs: null, error: { code, message } };
}

/** `wouldSend`: the call as describeCall shows it, or why it could not have run. */
export function dryRun(wouldSend: { call: Record<string, unknown> } | { code: OutcomeErrorCode; message: string }): OutcomeInit {
  const detail =
    'call' in wouldSend
      ? `dry run, nothing was sent; would send ${JSON.stringify(wouldSend.call)}`
      : `dry run, nothing was sent; the action could not run: ${wouldSend.code}: ${wouldSend.message}`;
  return { status: 'skipped', dryRun: true, applied: false, verification: notVerified(detail), timeToRecoverMs: null };
}

/** action.started could not be published, so the adapter was never called. */
export function notStarted(startedAt: string, error: unknown): OutcomeInit {
  return {
    status: 'failed',
    applied: false,
    startedAt,
    verification: notVerified('the action was not started: action.started could not be published'),
    timeToRecoverMs: null,
    error: { code: 'PUBLISH_FAILED', message: String(error) },
  };
}

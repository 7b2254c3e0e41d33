import type { Claim } from './claims';
import type { OutcomeInit } from './outcome';
import type { PreparedRun } from './prepare';
import { finishApplied, type AppliedRun, type RunDeps } from './run';

/** Said in every outcome a restart finished, so people and the ledger can tell. */
export const RECOVERED_NOTE = 'recovered after a restart';

/**
 * What a restart does with a claim it finds: nothing when its outcome was published; report it
 * not applied when the executor stopped before calling the adapter; otherwise finish the run
 * from where its journal says it got (the action may have reached the target).
 */
export type RecoveryPlan = { step: 'nothing' } | { step: 'report'; outcome: OutcomeInit } | { step: 'finish'; applied: AppliedRun };

/** The recovery transition: pure, from the claim, whether its outcome is out, and the time now. */
export function planRecovery(claim: Claim, outcomePublished: boolean, nowMs: number): RecoveryPlan {
  if (outcomePublished || claim.finished) return { step: 'nothing' };
  const id = claim.decision.decisionId;
  if (claim.call === undefined) {
    const detail = `${RECOVERED_NOTE}: the executor stopped after claiming decision ${id} and before calling the target, so the action was not applied`;
    return {
      step: 'report',
      outcome: {
        status: 'skipped',
        applied: false,
        startedAt: claim.claimedAt,
        verification: { passed: false, checks: [], detail },
        timeToRecoverMs: null,
        error: { code: 'ALREADY_CLAIMED', message: `${detail}; an action runs at most once, so it is not sent now` },
      },
    };
  }
  const startedMs = Date.parse(claim.call.startedAt);
  const deadlineMs = Date.parse(claim.call.deadline);
  return {
    step: 'finish',
    applied: {
      startedMs,
      deadlineMs,
      answer: claim.answer,
      // The deadline is past: what the target is now is all there is to see.
      ...(nowMs >= deadlineMs ? { singleCheck: true } : {}),
    },
  };
}

/**
 * Finishes a claimed run after a restart: verifies it (until its original deadline, or once when
 * that has passed), rolls it back with the recorded memo when verification fails, and returns
 * the outcome, marked as recovered. Never sends the action again. Undefined when `signal` cut it.
 */
export async function recoverApplied(
  run: PreparedRun,
  applied: AppliedRun,
  deps: RunDeps,
  signal: AbortSignal,
): Promise<OutcomeInit | undefined> {
  const id = run.decision.decisionId;
  deps.log.warn(
    `decision ${id} was in flight when the executor stopped: ${applied.answer ? 'the target answered' : 'the target may have received it'}; ` +
      `${applied.singleCheck ? 'its deadline has passed, checking its health once' : `verifying until ${new Date(applied.deadlineMs).toISOString()}`}`,
    { decisionId: id },
  );
  const outcome = await finishApplied(run, applied, deps, signal);
  return outcome && markRecovered(outcome, applied);
}

/** A recovered run's outcome says so, in its verification detail (the contract has no field for it). */
export function markRecovered(outcome: OutcomeInit, applied?: Pick<AppliedRun, 'answer'>): OutcomeInit {
  const unknownAnswer = applied !== undefined && applied.answer === undefined ? ' (what the target answered to the action is unknown)' : '';
  const detail = outcome.verification.detail;
  return {
    ...outcome,
    verification: { ...outcome.verification, detail: `${RECOVERED_NOTE}${unknownAnswer}${detail ? `: ${detail}` : ''}` },
  };
}

import type { OutcomeInit } from '../outcome';

/**
 * A repair the executor was running when it stopped (its claim left in phase `calling`): what is
 * on the remote decides, not what the journal says, because the push is the one step that must
 * not happen twice and the journal cannot say whether git got that far. Free of git: the VCS
 * adapter reads the push branch and hands what it found to planRepairResume.
 */

/** The trailer that ties a fix commit to its decision, so a restart can find it on the remote. */
export const DECISION_TRAILER = 'Homeostat-Decision';

/** The message with the decision's trailer, unless it already carries it. */
export function withDecisionTrailer(message: string, decisionId: string): string {
  if (decisionOfMessage(message) === decisionId) return message;
  return `${message.trimEnd()}\n\n${DECISION_TRAILER}: ${decisionId}\n`;
}

/**
 * The decision a commit message names in its trailer block (the last paragraph, as git reads
 * trailers), or undefined: a `Homeostat-Decision:` line in the body's prose does not count.
 */
export function decisionOfMessage(message: string): string | undefined {
  const paragraphs = message.trim().split(/\n\s*\n/);
  if (paragraphs.length < 2) return undefined; // a subject alone has no trailers
  const last = paragraphs.at(-1) ?? '';
  const pattern = new RegExp(`^${DECISION_TRAILER}:\\s*(\\S+)\\s*$`, 'i');
  for (const line of last.split('\n')) {
    const id = pattern.exec(line.trim())?.[1];
    if (id !== undefined) return id;
  }
  return undefined;
}

/** A commit of the push branch on the remote, newest first as git log gives them. */
export interface RemoteCommit {
  readonly commit: string;
  readonly message: string;
}

/** The fix commit of `decisionId` among the branch's commits, when one was pushed. */
export function findDecisionCommit(commits: readonly RemoteCommit[], decisionId: string): RemoteCommit | undefined {
  return commits.find((c) => decisionOfMessage(c.message) === decisionId);
}

/** What the remote's push branch holds for the decision, as the VCS adapter read it. */
export type RemoteFinding = { readonly pushed: { readonly branch: string; readonly commit: string } } | { readonly pushed: undefined };

/**
 * What resuming an interrupted repair does: report the fix pushed before the stop as it is (no
 * validation, no second push); else, within the claim's deadline, validate again from the
 * build's commit (every step before the push is idempotent: a fresh clone, the same commit);
 * past it, report the repair failed without running anything.
 */
export type RepairResumePlan =
  | { readonly step: 'pushed'; readonly branch: string; readonly commit: string }
  | { readonly step: 'validate'; readonly deadlineMs: number }
  | { readonly step: 'expired'; readonly reason: string };

export function planRepairResume(found: RemoteFinding, decisionId: string, nowMs: number, deadlineMs: number): RepairResumePlan {
  if (found.pushed !== undefined) return { step: 'pushed', branch: found.pushed.branch, commit: found.pushed.commit };
  if (nowMs >= deadlineMs) {
    return {
      step: 'expired',
      reason:
        `the repair of decision ${decisionId} was interrupted before its fix was pushed, and its deadline ` +
        `(${new Date(deadlineMs).toISOString()}) passed before the executor came back: it is not validated again`,
    };
  }
  return { step: 'validate', deadlineMs };
}

/**
 * The outcome of a fix found pushed: it passed the project's commands before the stop (the push
 * comes only after they pass), so it succeeded. The commands' output went with the stopped
 * process: the checks are empty, and when the tests passed is not known.
 */
export function pushedBeforeStopOutcome(plan: Extract<RepairResumePlan, { step: 'pushed' }>, remote: string): OutcomeInit {
  return {
    status: 'succeeded',
    applied: true,
    verification: {
      passed: true,
      checks: [],
      detail:
        `the fix commit ${plan.commit} is on ${plan.branch}: it passed the project's commands and was pushed before the ` +
        `executor stopped, so it is reported from the remote, neither validated nor pushed again`,
    },
    timeToRecoverMs: null,
    repair: { remote, commit: plan.commit, pushed: { branch: plan.branch, commit: plan.commit }, steps: [] },
  };
}

/**
 * The outcome of a repair whose deadline passed while the executor was down: nothing ran again.
 * Not applied: nothing reached the remote, and the interrupted tests gave no verdict, so the
 * learner must not count it against the fix (isVerifiedOutcome); the code says why it did not run.
 */
export function expiredRepairOutcome(plan: Extract<RepairResumePlan, { step: 'expired' }>): OutcomeInit {
  return {
    status: 'failed',
    applied: false,
    verification: { passed: false, checks: [], detail: plan.reason },
    timeToRecoverMs: null,
    error: { code: 'ALREADY_CLAIMED', message: plan.reason },
  };
}

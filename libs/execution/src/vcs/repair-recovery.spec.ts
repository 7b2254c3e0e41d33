import { isVerifiedOutcome, outcomeRecordedSchema, type ActionCall } from '@homeostat/contracts';
import { sampleDecisionMade } from '@homeostat/contracts/testing';
import { outcomeOf } from '../outcome';
import {
  decisionOfMessage,
  expiredRepairOutcome,
  findDecisionCommit,
  planRepairResume,
  pushedBeforeStopOutcome,
  withDecisionTrailer,
} from './repair-recovery';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');

describe('the decision trailer of a fix commit', () => {
  it('given a fix message, then the trailer goes in its own last paragraph, once', () => {
    const message = withDecisionTrailer('revert(deps): @acme/connector back to 1.4.2\n\nThe update broke the tests.\n', 'd-1');
    expect(message).toBe('revert(deps): @acme/connector back to 1.4.2\n\nThe update broke the tests.\n\nHomeostat-Decision: d-1\n');
    expect(withDecisionTrailer(message, 'd-1')).toBe(message);
    expect(decisionOfMessage(message)).toBe('d-1');
  });

  it('given a message naming another decision, or naming one only in its prose, then it is not that decision’s commit', () => {
    expect(decisionOfMessage(withDecisionTrailer('fix', 'd-2'))).toBe('d-2');
    expect(decisionOfMessage('fix\n\nHomeostat-Decision: d-1 was wrong, so this reverts it\n\nSigned-off-by: a <a@b>')).toBeUndefined();
    expect(decisionOfMessage('Homeostat-Decision: d-1')).toBeUndefined(); // a subject is not a trailer
    const commits = [
      { commit: 'c3', message: 'a person’s commit on top' },
      { commit: 'c2', message: withDecisionTrailer('fix', 'd-1') },
      { commit: 'c1', message: withDecisionTrailer('fix', 'd-0') },
    ];
    expect(findDecisionCommit(commits, 'd-1')).toEqual(commits[1]);
    expect(findDecisionCommit(commits, 'd-9')).toBeUndefined();
  });
});

describe('planRepairResume (the transition)', () => {
  const pushed = { pushed: { branch: 'homeostat/fix/deps/x', commit: 'abc123' } };

  it('given the fix on the remote, then it is reported from there, even past the deadline', () => {
    expect(planRepairResume(pushed, 'd-1', T0 + 60_000, T0 + 1_000)).toEqual({
      step: 'pushed',
      branch: 'homeostat/fix/deps/x',
      commit: 'abc123',
    });
  });

  it('given no fix on the remote and time left, then it is validated again until the claim’s deadline', () => {
    expect(planRepairResume({ pushed: undefined }, 'd-1', T0 + 500, T0 + 1_000)).toEqual({ step: 'validate', deadlineMs: T0 + 1_000 });
  });

  it('given no fix on the remote and the deadline past, then nothing runs and the reason names the decision and the deadline', () => {
    const plan = planRepairResume({ pushed: undefined }, 'd-1', T0 + 1_000, T0 + 1_000);
    expect(plan).toMatchObject({ step: 'expired' });
    expect(plan.step === 'expired' && plan.reason).toMatch(/decision d-1 .*before its fix was pushed.*2026-03-02T10:00:01\.000Z/);
  });
});

describe('the outcomes of a resumed repair', () => {
  const action: ActionCall = { name: 'revert-update', adapter: 'ci', params: {} };
  const decision = { ...sampleDecisionMade(), action };

  it('pushed before the stop: succeeded, applied, with the pushed commit; valid for the contract and counted by the learner', () => {
    const init = pushedBeforeStopOutcome({ step: 'pushed', branch: 'fix/x', commit: 'abc123' }, '/srv/git/app.git');
    const outcome = outcomeOf(decision, init, new Date(T0).toISOString());
    expect(outcomeRecordedSchema.safeParse(outcome).success).toBe(true);
    expect(outcome).toMatchObject({ status: 'succeeded', applied: true, repair: { pushed: { branch: 'fix/x', commit: 'abc123' } } });
    expect(isVerifiedOutcome(outcome)).toBe(true);
  });

  it('expired: failed, but not applied, so the learner does not count it against the fix', () => {
    const plan = planRepairResume({ pushed: undefined }, 'd-1', T0 + 2_000, T0 + 1_000);
    if (plan.step !== 'expired') throw new Error(plan.step);
    const outcome = outcomeOf(decision, expiredRepairOutcome(plan), new Date(T0).toISOString());
    expect(outcomeRecordedSchema.safeParse(outcome).success).toBe(true);
    expect(outcome).toMatchObject({ status: 'failed', applied: false, error: { code: 'ALREADY_CLAIMED' } });
    expect(isVerifiedOutcome(outcome)).toBe(false);
  });
});

import { sampleDecisionMade } from '@homeostat/contracts/testing';
import {
  emptyExecutorState,
  evolve,
  killSwitchScope,
  MAX_EARLY_VERDICTS,
  onApprovalRequired,
  onVerdict,
  type ExecutorState,
  type StateChange,
  type Verdict,
} from './executor-state';

const AT = '2026-01-01T00:00:00.000Z';
const decision = (decisionId = 'd-1') => ({ ...sampleDecisionMade(), decisionId, mode: 'approval-required' as const });
const verdict = (v: Verdict['verdict'], decisionId = 'd-1'): Verdict => ({ decisionId, verdict: v, actor: 'alice', reason: 'r', at: AT });
const fold = (changes: StateChange[], state: ExecutorState = emptyExecutorState()): ExecutorState => changes.reduce(evolve, state);

describe('the approval inbox', () => {
  it('given no verdict yet, when a decision needs approval, then it waits (once)', () => {
    const d = decision();
    const first = onApprovalRequired(emptyExecutorState(), d, 'tp', AT);
    expect(first.effect).toEqual({ effect: 'wait' });
    const waiting = fold(first.changes);
    expect(waiting.pending).toEqual([{ decision: d, receivedAt: AT, traceparent: 'tp' }]);
    expect(onApprovalRequired(waiting, d, 'tp', AT)).toEqual({ effect: { effect: 'ignore' }, changes: [] });
  });

  it('given a waiting decision, when approved, then it is settled with its trace and leaves the inbox', () => {
    const d = decision();
    const waiting = fold(onApprovalRequired(emptyExecutorState(), d, 'tp', AT).changes);
    const { effect, changes } = onVerdict(waiting, verdict('approve'), false);
    expect(effect).toEqual({ effect: 'settle', decision: d, verdict: verdict('approve'), traceparent: 'tp' });
    expect(fold(changes, waiting).pending).toEqual([]);
  });

  it('given a verdict before its decision, then it is kept, and settles the decision when it comes', () => {
    const kept = onVerdict(emptyExecutorState(), verdict('reject'), false);
    expect(kept.effect).toEqual({ effect: 'keep' });
    const state = fold(kept.changes);
    const d = decision();
    const { effect, changes } = onApprovalRequired(state, d, undefined, AT);
    expect(effect).toEqual({ effect: 'settle', decision: d, verdict: verdict('reject') });
    expect(fold(changes, state)).toEqual(emptyExecutorState());
  });

  it('given a decision already run or reported, a verdict changes nothing', () => {
    expect(onVerdict(emptyExecutorState(), verdict('approve'), true)).toEqual({ effect: { effect: 'ignore' }, changes: [] });
  });

  it('keeps one verdict per decision (the last), and a bounded number of them', () => {
    const twice = fold([
      { type: 'verdict-kept', verdict: verdict('approve') },
      { type: 'verdict-kept', verdict: verdict('reject') },
    ]);
    expect(twice.verdicts).toEqual([verdict('reject')]);
    const many = fold(
      Array.from({ length: MAX_EARLY_VERDICTS + 5 }, (_, i): StateChange => ({
        type: 'verdict-kept',
        verdict: verdict('approve', `d-${i}`),
      })),
    );
    expect(many.verdicts).toHaveLength(MAX_EARLY_VERDICTS);
    expect(many.verdicts[0]?.decisionId).toBe('d-5');
  });
});

describe('the kill switch', () => {
  it('stops every loop when on globally, or one loop when on for it', () => {
    expect(killSwitchScope(emptyExecutorState(), 'shop')).toBeUndefined();
    const global = fold([{ type: 'kill-switch-set', state: 'on' }]);
    expect(killSwitchScope(global, 'shop')).toBe('globally');
    const one = fold([
      { type: 'kill-switch-set', state: 'on', loop: 'shop' },
      { type: 'kill-switch-set', state: 'on', loop: 'shop' },
    ]);
    expect(one.killSwitch).toEqual({ global: false, loops: ['shop'] });
    expect(killSwitchScope(one, 'shop')).toBe('for loop shop');
    expect(killSwitchScope(one, 'other')).toBeUndefined();
    expect(fold([{ type: 'kill-switch-set', state: 'off', loop: 'shop' }], one).killSwitch).toEqual({ global: false, loops: [] });
  });

  it('leaves the approval inbox as it is', () => {
    const waiting = fold(onApprovalRequired(emptyExecutorState(), decision(), undefined, AT).changes);
    expect(fold([{ type: 'kill-switch-set', state: 'on' }], waiting).pending).toEqual(waiting.pending);
  });
});

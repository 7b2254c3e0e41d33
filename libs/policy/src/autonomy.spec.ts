import { autonomyLevel, stepAutonomy } from './autonomy';
import { planDecision } from './plan';
import { evolve } from './evolve';
import { initialPolicyState } from './policy-state';
import { createRng } from './rng';
import { T0, incident, knowledgeUpdate, outcome, shopLoop, withOutcome, withOutcomes } from './testing/fixtures';
import { TestLearner } from './testing/learner';

const FP = 'shop|pool-leak';
const spec = { start: 'shadow' as const, promoteAt: 0.8, minOutcomes: 3, demoteBelow: 0.5 };

describe('autonomy', () => {
  it('given fewer outcomes than minOutcomes, when stepping, then the level stays', () => {
    expect(stepAutonomy('shadow', { successes: 2, failures: 0 }, spec)).toMatchObject({ level: 'shadow', change: null });
  });

  it('given a success rate at promoteAt over minOutcomes, when stepping, then it is promoted one level', () => {
    expect(stepAutonomy('shadow', { successes: 4, failures: 1 }, spec)).toMatchObject({ level: 'propose', change: 'promoted', rate: 0.8 });
    expect(stepAutonomy('propose', { successes: 3, failures: 0 }, spec)).toMatchObject({ level: 'auto', change: 'promoted' });
    expect(stepAutonomy('auto', { successes: 9, failures: 0 }, spec)).toMatchObject({ level: 'auto', change: null });
  });

  it('given a rate just under promoteAt, when stepping, then the level stays', () => {
    expect(stepAutonomy('propose', { successes: 3, failures: 1 }, spec)).toMatchObject({ level: 'propose', change: null, rate: 0.75 });
  });

  it('given a rate below demoteBelow over minOutcomes, when stepping, then it is demoted one level', () => {
    expect(stepAutonomy('auto', { successes: 1, failures: 2 }, spec)).toMatchObject({ level: 'propose', change: 'demoted' });
    expect(stepAutonomy('shadow', { successes: 0, failures: 5 }, spec)).toMatchObject({ level: 'shadow', change: null });
    expect(stepAutonomy('auto', { successes: 1, failures: 1 }, spec)).toMatchObject({ level: 'auto', change: null }); // exactly 0.5 is not below
  });

  it('given the spec starts at shadow, when an action was never measured, then decisions are dry-run', () => {
    const loop = shopLoop({ autonomy: { start: 'shadow' } });
    const plan = planDecision({ state: initialPolicyState(), loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    expect(plan).toMatchObject({ mode: 'dry-run', autonomyLevel: 'shadow' });
  });

  it("given an action's own autonomy, when it starts, then it overrides the loop's start", () => {
    const loop = shopLoop({ actions: [{ name: 'restart', adapter: 'http', params: {}, risk: 'low', autonomy: 'propose' }] });
    expect(autonomyLevel(initialPolicyState(), loop, FP, 'restart')).toBe('propose');
    const plan = planDecision({ state: initialPolicyState(), loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    expect(plan).toMatchObject({ mode: 'approval-required', autonomyLevel: 'propose' });
  });

  it('given verified outcomes per fingerprint × action, when they reach promoteAt, then the level rises to propose then auto', () => {
    // Given a loop starting in propose
    const loop = shopLoop({ autonomy: { start: 'propose', promoteAt: 0.8, minOutcomes: 3, demoteBelow: 0.5 } });
    const learner = new TestLearner();
    // When two successes: not enough outcomes yet
    let state = withOutcomes(initialPolicyState(), loop, FP, 'restart', [true, true], T0 - 3_600_000, learner);
    expect(autonomyLevel(state, loop, FP, 'restart')).toBe('propose');
    // When the third success: promoted
    state = withOutcomes(state, loop, FP, 'restart', [true], T0, learner);
    expect(autonomyLevel(state, loop, FP, 'restart')).toBe('auto');
    // Then only that fingerprint × action moved
    expect(autonomyLevel(state, loop, 'shop|other', 'restart')).toBe('propose');
    expect(autonomyLevel(state, loop, FP, 'recycle-pool')).toBe('propose');
    expect(state.autonomy).toEqual({ 'shop|pool-leak|restart': 'auto' });
  });

  it('given an auto action, when its success rate falls below demoteBelow, then it is demoted to propose and decisions wait for approval', () => {
    const loop = shopLoop({ actions: [{ name: 'restart', adapter: 'http', params: {}, risk: 'low' }] });
    const state = withOutcomes(initialPolicyState(), loop, FP, 'restart', [true, false, false]);
    expect(autonomyLevel(state, loop, FP, 'restart')).toBe('propose');
    const plan = planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    expect(plan).toMatchObject({ mode: 'approval-required', autonomyLevel: 'propose' });
    const check = plan.explanation.guardrails.find((g) => g.name === 'autonomy');
    expect(check).toMatchObject({
      passed: false,
      values: { level: 'propose', successes: 1, failures: 2, promoteAt: 0.8, demoteBelow: 0.5, minOutcomes: 3 },
    });
  });

  it('given dry-run or skipped outcomes, when folded, then autonomy and knowledge do not move', () => {
    const loop = shopLoop({ autonomy: { start: 'shadow' } });
    const learner = new TestLearner();
    let state = initialPolicyState();
    for (let i = 0; i < 5; i++) {
      state = withOutcome(
        state,
        loop,
        learner,
        outcome({
          decisionId: `d-${i}`,
          fingerprint: FP,
          action: 'restart',
          succeeded: false,
          status: 'skipped',
          at: T0 + i,
          dryRun: true,
        }),
      );
    }
    expect(state.autonomy).toEqual({});
    expect(state.knowledge).toEqual({});
  });

  it('given knowledge updates, when one counts new outcomes, then autonomy steps once; a redelivered or older one does not step it again', () => {
    const loop = shopLoop({ autonomy: { start: 'shadow' } });
    const learned = (successes: number) => ({
      type: 'homeostat.knowledge.updated.v1' as const,
      loop,
      data: knowledgeUpdate({ fingerprint: FP, action: 'restart', successes, failures: 0 }),
    });
    const three = evolve(initialPolicyState(), learned(3));
    expect(autonomyLevel(three, loop, FP, 'restart')).toBe('propose');
    // Then a redelivery of the same update, or an older one followed by it again, leaves the level
    expect(autonomyLevel(evolve(three, learned(3)), loop, FP, 'restart')).toBe('propose');
    const replayed = evolve(evolve(three, learned(2)), learned(3));
    expect(autonomyLevel(replayed, loop, FP, 'restart')).toBe('propose');
    expect(replayed.knowledge[FP]?.['restart']?.tries).toBe(3);
    // And the next new outcome steps again
    expect(autonomyLevel(evolve(three, learned(4)), loop, FP, 'restart')).toBe('auto');
  });

  it("given verified outcomes, when folded without the learner's knowledge, then autonomy does not move", () => {
    const loop = shopLoop({ autonomy: { start: 'shadow' } });
    const state = [0, 1, 2].reduce(
      (s, i) =>
        evolve(s, {
          type: 'homeostat.outcome.recorded.v1',
          loop,
          data: outcome({ decisionId: `d-${i}`, fingerprint: FP, action: 'restart', succeeded: true, at: T0 + i }),
        }),
      initialPolicyState(),
    );
    expect(state.autonomy).toEqual({});
    expect(state.knowledge).toEqual({});
  });
});

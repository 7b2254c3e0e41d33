import { autonomyLevel, stepAutonomy } from './autonomy';
import { decide } from './decide';
import { evolve } from './evolve';
import { initialPolicyState } from './policy-state';
import { createRng } from './rng';
import { T0, incident, outcome, shopLoop, withOutcomes } from './testing/fixtures';

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
    const plan = decide({ state: initialPolicyState(), loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    expect(plan).toMatchObject({ mode: 'dry-run', autonomyLevel: 'shadow' });
  });

  it("given an action's own autonomy, when it starts, then it overrides the loop's start", () => {
    const loop = shopLoop({ actions: [{ name: 'restart', adapter: 'http', params: {}, risk: 'low', autonomy: 'propose' }] });
    expect(autonomyLevel(initialPolicyState(), loop, FP, 'restart')).toBe('propose');
    const plan = decide({ state: initialPolicyState(), loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    expect(plan).toMatchObject({ mode: 'approval-required', autonomyLevel: 'propose' });
  });

  it('given verified outcomes per fingerprint × action, when they reach promoteAt, then the level rises to propose then auto', () => {
    // Given a loop starting in propose
    const loop = shopLoop({ autonomy: { start: 'propose', promoteAt: 0.8, minOutcomes: 3, demoteBelow: 0.5 } });
    // When two successes: not enough outcomes yet
    let state = withOutcomes(initialPolicyState(), loop, FP, 'restart', [true, true]);
    expect(autonomyLevel(state, loop, FP, 'restart')).toBe('propose');
    // When the third success: promoted
    state = withOutcomes(state, loop, FP, 'restart', [true], T0);
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
    const plan = decide({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    expect(plan).toMatchObject({ mode: 'approval-required', autonomyLevel: 'propose' });
    const check = plan.explanation.guardrails.find((g) => g.name === 'autonomy');
    expect(check).toMatchObject({ passed: false, values: { level: 'propose', successes: 1, failures: 2, promoteAt: 0.8, demoteBelow: 0.5, minOutcomes: 3 } });
  });

  it('given dry-run or skipped outcomes, when folded, then autonomy and knowledge do not move', () => {
    const loop = shopLoop({ autonomy: { start: 'shadow' } });
    let state = initialPolicyState();
    for (let i = 0; i < 5; i++) {
      state = evolve(state, { type: 'homeostat.outcome.recorded.v1', loop, data: outcome({ decisionId: `d-${i}`, fingerprint: FP, action: 'restart', succeeded: false, status: 'skipped', at: T0 + i, dryRun: true }) });
    }
    expect(state.autonomy).toEqual({});
    expect(state.knowledge).toEqual({});
  });
});

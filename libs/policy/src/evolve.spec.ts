import { planDecision } from './plan';
import { evolve } from './evolve';
import { initialPolicyState, MAX_BUDGET_ENTRIES, type PolicyState } from './policy-state';
import { createRng } from './rng';
import { T0, decisionMade, incident, knowledgeUpdate, outcome, shopLoop, withOutcome, withOutcomes } from './testing/fixtures';
import { TestLearner } from './testing/learner';

const FP = 'shop|pool-leak';

describe('evolve', () => {
  it('given knowledge from the learner, when folded, then it replaces the stats of that fingerprint × action', () => {
    const state = evolve(initialPolicyState(), {
      type: 'homeostat.knowledge.updated.v1',
      data: {
        loop: 'shop-heal',
        fingerprint: FP,
        action: 'restart',
        tries: 5,
        successes: 4,
        failures: 1,
        meanTimeToRecoverMs: 30_000,
        p50TimeToRecoverMs: 25_000,
        lastOutcomeAt: new Date(T0).toISOString(),
        posterior: { alpha: 5, beta: 2 },
      },
    });
    expect(state.knowledge[FP]?.['restart']).toEqual({
      loop: 'shop-heal',
      tries: 5,
      successes: 4,
      failures: 1,
      meanTimeToRecoverMs: 30_000,
      p50TimeToRecoverMs: 25_000,
      lastOutcomeAt: new Date(T0).toISOString(),
    });
  });

  it('given knowledge that already counts an outcome, when that outcome arrives late, then it is not counted twice', () => {
    const loop = shopLoop();
    const known = evolve(initialPolicyState(), {
      type: 'homeostat.knowledge.updated.v1',
      data: {
        loop: 'shop-heal',
        fingerprint: FP,
        action: 'restart',
        tries: 1,
        successes: 1,
        failures: 0,
        meanTimeToRecoverMs: 15_000,
        p50TimeToRecoverMs: 15_000,
        lastOutcomeAt: new Date(T0).toISOString(),
        posterior: { alpha: 2, beta: 1 },
      },
    });
    const late = evolve(known, {
      type: 'homeostat.outcome.recorded.v1',
      loop,
      data: outcome({ decisionId: 'd-1', fingerprint: FP, action: 'restart', succeeded: true, at: T0 }),
    });
    expect(late.knowledge[FP]?.['restart']?.tries).toBe(1);
  });

  it("given outcomes and the learner's knowledge of them, when folded, then tries, successes, failures and the mean time to recover follow", () => {
    const loop = shopLoop();
    const learner = new TestLearner();
    let state = initialPolicyState();
    for (const [i, ttr] of [
      [0, 10_000],
      [1, 20_000],
    ] as const) {
      state = withOutcome(
        state,
        loop,
        learner,
        outcome({ decisionId: `d-${i}`, fingerprint: FP, action: 'restart', succeeded: true, timeToRecoverMs: ttr, at: T0 + i * 1_000 }),
      );
    }
    state = withOutcome(
      state,
      loop,
      learner,
      outcome({ decisionId: 'd-2', fingerprint: FP, action: 'restart', succeeded: false, status: 'rolled-back', at: T0 + 5_000 }),
    );
    expect(state.knowledge[FP]?.['restart']).toMatchObject({
      tries: 3,
      successes: 2,
      failures: 1,
      meanTimeToRecoverMs: 15_000,
      loop: 'shop-heal',
    });
  });

  it('given an event, when folded, then the input state is not mutated', () => {
    const loop = shopLoop();
    const before = withOutcomes(initialPolicyState(), loop, FP, 'restart', [true]);
    const snapshot = JSON.stringify(before);
    evolve(before, {
      type: 'homeostat.outcome.recorded.v1',
      loop,
      data: outcome({ decisionId: 'd-9', fingerprint: FP, action: 'restart', succeeded: false, at: T0 }),
    });
    evolve(before, { type: 'homeostat.control.v1', data: { command: 'kill-switch', state: 'on', actor: 'ana', reason: 'why' } });
    expect(JSON.stringify(before)).toBe(snapshot);
  });

  it('given a state built from every kind of event, when it round-trips through JSON, then decisions from it are identical', () => {
    // Given
    const loop = shopLoop({ guardrails: { circuitBreaker: { consecutiveFailures: 2, pauseFor: '5m' } } });
    let state: PolicyState = withOutcomes(initialPolicyState(), loop, FP, 'restart', [true, false]);
    const p = planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    state = evolve(state, decisionMade(loop, p, { decisionId: 'd-1', fingerprint: FP, at: T0 }));
    state = evolve(state, {
      type: 'homeostat.control.v1',
      data: { command: 'kill-switch', state: 'on', loop: 'other', actor: 'ana', reason: 'why' },
    });
    state = evolve(state, { type: 'homeostat.control.v1', data: { command: 'pause-loop', loop: 'x', actor: 'ana', reason: 'why' } });
    // When
    const copy = JSON.parse(JSON.stringify(state)) as PolicyState;
    // Then
    expect(copy).toEqual(state);
    const a = planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0 + 1_000, rng: createRng(5) });
    const b = planDecision({ state: copy, loop, incident: incident(FP), attempts: [], now: T0 + 1_000, rng: createRng(5) });
    expect(b).toEqual(a);
  });

  it('given many decisions, when folded, then the budget log stays bounded', () => {
    const loop = shopLoop({ guardrails: { budget: { maxActions: 100_000, window: '30d', perTarget: true } } });
    const p = planDecision({ state: initialPolicyState(), loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    let state = initialPolicyState();
    for (let i = 0; i < MAX_BUDGET_ENTRIES + 50; i++)
      state = evolve(state, decisionMade(loop, p, { decisionId: `d-${i}`, fingerprint: FP, at: T0 + i }));
    expect(state.guard.actions).toHaveLength(MAX_BUDGET_ENTRIES);
    expect(state.guard.actions[0]?.decisionId).toBe('d-50');
  });

  it('given an approved decision whose action starts, when folded, then it takes budget once', () => {
    const started = {
      type: 'homeostat.action.started.v1' as const,
      data: {
        decisionId: 'd-1',
        incidentId: 'i',
        loop: 'shop-heal',
        target: 'shop',
        fingerprint: FP,
        action: { name: 'restart', adapter: 'http' as const, params: {} },
        dryRun: false,
        startedAt: new Date(T0).toISOString(),
        deadline: new Date(T0 + 60_000).toISOString(),
      },
    };
    const state = evolve(evolve(initialPolicyState(), started), started);
    expect(state.guard.actions).toEqual([{ at: T0, loop: 'shop-heal', target: 'shop', decisionId: 'd-1' }]);
    expect(state.guard.running['d-1']).toEqual({ loop: 'shop-heal', target: 'shop', startedAt: T0, deadline: T0 + 60_000 });
    expect(state.guard.lastActionAt['shop-heal|shop']).toBe(T0);
  });

  it('given knowledge held, when an update with fewer tries arrives (a stale redelivery), then it is ignored; one with as many replaces', () => {
    const learned = (successes: number, failures: number, at: number) => ({
      type: 'homeostat.knowledge.updated.v1' as const,
      data: knowledgeUpdate({ fingerprint: FP, action: 'restart', successes, failures, at }),
    });
    const held = evolve(initialPolicyState(), learned(2, 1, T0));
    expect(evolve(held, learned(1, 1, T0 + 5_000))).toBe(held);
    // An outcome that finished earlier but was counted later is in the recount, whatever its timestamp
    expect(evolve(held, learned(2, 2, T0 - 60_000)).knowledge[FP]?.['restart']).toMatchObject({ tries: 4, failures: 2 });
    expect(evolve(held, learned(3, 0, T0)).knowledge[FP]?.['restart']).toMatchObject({ tries: 3, successes: 3, failures: 0 });
  });

  it('given outcomes, when folded, then they drive the circuit breaker only when verified, and free the slot only when applied', () => {
    const loop = shopLoop({ guardrails: { circuitBreaker: { consecutiveFailures: 1, pauseFor: '5m' } } });
    const started = (decisionId: string) => ({
      type: 'homeostat.action.started.v1' as const,
      data: {
        decisionId,
        incidentId: 'i',
        loop: 'shop-heal',
        target: 'shop',
        fingerprint: FP,
        action: { name: 'restart', adapter: 'http' as const, params: {} },
        dryRun: false,
        startedAt: new Date(T0).toISOString(),
        deadline: new Date(T0 + 60_000).toISOString(),
      },
    });
    const running = evolve(initialPolicyState(), started('d-1'));
    const notApplied = evolve(running, {
      type: 'homeostat.outcome.recorded.v1',
      loop,
      data: outcome({ decisionId: 'd-1', fingerprint: FP, action: 'restart', succeeded: false, applied: false, at: T0 + 1_000 }),
    });
    expect(notApplied.guard.consecutiveFailures).toEqual({});
    expect(Object.keys(notApplied.guard.running)).toEqual(['d-1']);
    const failed = evolve(running, {
      type: 'homeostat.outcome.recorded.v1',
      loop,
      data: outcome({ decisionId: 'd-1', fingerprint: FP, action: 'restart', succeeded: false, at: T0 + 1_000 }),
    });
    expect(failed.guard.consecutiveFailures).toEqual({ 'shop-heal': 1 });
    expect(failed.guard.pausedLoops['shop-heal']?.by).toBe('circuit-breaker');
    expect(failed.guard.running).toEqual({});
    expect(failed.knowledge).toEqual({});
  });
});

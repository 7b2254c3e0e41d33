import type { GuardrailCheck } from '@homeostat/contracts';
import { planDecision, type DecisionPlan } from './plan';
import { evolve } from './evolve';
import { initialPolicyState, type PolicyState } from './policy-state';
import { createRng } from './rng';
import { T0, decisionMade, incident, outcome, shopLoop } from './testing/fixtures';

const FP = 'shop|pool-leak';
const iso = (ms: number): string => new Date(ms).toISOString();

function check(plan: DecisionPlan, name: string): GuardrailCheck {
  const found = plan.explanation.guardrails.find((g) => g.name === name);
  if (found === undefined) throw new Error(`no ${name} check`);
  return found;
}

const plan = (state: PolicyState, loop = shopLoop(), now = T0, target = 'shop'): DecisionPlan =>
  planDecision({ state, loop, incident: incident(FP, `inc-${now}`, target), attempts: [], now, rng: createRng(9) });

/** Records executed decisions at the given times (as the decider would after publishing them). */
function executed(loop: ReturnType<typeof shopLoop>, times: number[], target = 'shop', settle = true): PolicyState {
  return times.reduce((s, at, i) => {
    const p = plan(s, loop, at, target);
    let next = evolve(s, decisionMade(loop, p, { decisionId: `d-${target}-${i}`, fingerprint: FP, at, target }));
    if (settle)
      next = evolve(next, {
        type: 'homeostat.outcome.recorded.v1',
        loop,
        data: outcome({ decisionId: `d-${target}-${i}`, fingerprint: FP, action: p.action!.name, succeeded: true, at: at + 1_000, target }),
      });
    return next;
  }, initialPolicyState());
}

describe('guardrails', () => {
  describe('budget', () => {
    const loop = shopLoop({ guardrails: { budget: { maxActions: 2, window: '10m', perTarget: true } } });

    it('given 2 of 2 actions used on a target in the window, when deciding, then it escalates and says when the budget frees', () => {
      // Given
      const state = executed(loop, [T0, T0 + 60_000]);
      // When
      const p = plan(state, loop, T0 + 120_000);
      // Then
      expect(p.mode).toBe('escalate');
      expect(p.action).toBeNull();
      expect(check(p, 'budget')).toMatchObject({
        passed: false,
        values: { scope: 'target', used: 2, maxActions: 2, window: '10m', retryAt: iso(T0 + 600_000) },
      });
      expect(p.retryAt).toBe(T0 + 600_000);
      expect(p.explanation.chosenBecause).toContain(`allowed again at ${iso(T0 + 600_000)}`);
    });

    it('given the budget spent on one target, when another target of the loop needs an action, then per-target budgets keep it allowed', () => {
      const state = executed(loop, [T0, T0 + 60_000]);
      const p = plan(state, loop, T0 + 120_000, 'shop-eu');
      expect(p.mode).toBe('execute');
      expect(check(p, 'budget')).toMatchObject({ passed: true, values: { scope: 'target', used: 0 } });
    });

    it('given a per-loop budget, when another target asks, then actions on every target count', () => {
      const perLoop = shopLoop({ guardrails: { budget: { maxActions: 2, window: '10m', perTarget: false } } });
      const state = executed(perLoop, [T0, T0 + 60_000]);
      const p = plan(state, perLoop, T0 + 120_000, 'shop-eu');
      expect(p.mode).toBe('escalate');
      expect(check(p, 'budget')).toMatchObject({ passed: false, values: { scope: 'loop', used: 2, maxActions: 2 } });
    });

    it('given the window has passed, when deciding, then the budget is free again', () => {
      const state = executed(loop, [T0, T0 + 60_000]);
      const p = plan(state, loop, T0 + 660_001);
      expect(check(p, 'budget')).toMatchObject({ passed: true, values: { used: 0 } });
      expect(p.mode).toBe('execute');
    });
  });

  it('given an action on the target 30s ago and a 2m cooldown, when deciding, then it escalates until the cooldown ends', () => {
    const loop = shopLoop({ guardrails: { cooldown: '2m' } });
    const state = executed(loop, [T0]);
    const p = plan(state, loop, T0 + 30_000);
    expect(p.mode).toBe('escalate');
    expect(check(p, 'cooldown')).toMatchObject({
      passed: false,
      values: { cooldown: '2m', lastActionAt: iso(T0), elapsedMs: 30_000, retryAt: iso(T0 + 120_000) },
    });
    expect(p.retryAt).toBe(T0 + 120_000);
    expect(plan(state, loop, T0 + 120_000).mode).toBe('execute');
  });

  it('given 1 action running and maxConcurrent 1, when another incident asks, then the blast radius escalates it', () => {
    const loop = shopLoop({ guardrails: { blastRadius: { maxConcurrent: 1 } } });
    const state = executed(loop, [T0], 'shop', false);
    const p = plan(state, loop, T0 + 5_000, 'shop-eu');
    expect(p.mode).toBe('escalate');
    expect(check(p, 'blast-radius')).toMatchObject({ passed: false, values: { running: 1, maxConcurrent: 1 } });
    // When the outcome arrives the slot frees
    const settled = evolve(state, {
      type: 'homeostat.outcome.recorded.v1',
      loop,
      data: outcome({ decisionId: 'd-shop-0', fingerprint: FP, action: 'recycle-pool', succeeded: true, at: T0 + 6_000 }),
    });
    expect(check(plan(settled, loop, T0 + 7_000, 'shop-eu'), 'blast-radius')).toMatchObject({ passed: true, values: { running: 0 } });
  });

  it('given an action started whose outcome never came, when its deadline passed, then it no longer holds the blast radius', () => {
    const loop = shopLoop();
    const state = evolve(initialPolicyState(), {
      type: 'homeostat.action.started.v1',
      data: {
        decisionId: 'd-x',
        incidentId: 'i',
        loop: 'shop-heal',
        target: 'shop',
        fingerprint: FP,
        action: { name: 'restart', adapter: 'http', params: {} },
        dryRun: false,
        startedAt: iso(T0),
        deadline: iso(T0 + 120_000),
      },
    });
    expect(check(plan(state, loop, T0 + 1_000), 'blast-radius').passed).toBe(false);
    expect(check(plan(state, loop, T0 + 120_001), 'blast-radius').passed).toBe(true);
  });

  describe('circuit breaker', () => {
    const loop = shopLoop({ guardrails: { circuitBreaker: { consecutiveFailures: 3, pauseFor: '30m' } } });
    const fail = (s: PolicyState, i: number, succeeded = false): PolicyState =>
      evolve(s, {
        type: 'homeostat.outcome.recorded.v1',
        loop,
        data: outcome({ decisionId: `f-${i}`, fingerprint: `shop|k${i}`, action: 'restart', succeeded, at: T0 + i * 1_000 }),
      });

    it('given 2 consecutive failed verifications, when deciding, then the breaker is still closed', () => {
      const state = [1, 2].reduce((s, i) => fail(s, i), initialPolicyState());
      expect(check(plan(state, loop, T0 + 5_000), 'circuit-breaker')).toMatchObject({
        passed: true,
        values: { consecutiveFailures: 2, threshold: 3 },
      });
    });

    it('given 3 consecutive failed verifications, when deciding, then the loop is paused for pauseFor and the decision escalates', () => {
      // Given
      const state = [1, 2, 3].reduce((s, i) => fail(s, i), initialPolicyState());
      // Then the state shows the pause
      expect(state.guard.pausedLoops['shop-heal']).toMatchObject({ until: T0 + 3_000 + 1_800_000, by: 'circuit-breaker' });
      // When
      const p = plan(state, loop, T0 + 5_000);
      expect(p.mode).toBe('escalate');
      expect(p.action).toBeNull();
      expect(check(p, 'circuit-breaker')).toMatchObject({
        passed: false,
        values: { consecutiveFailures: 3, threshold: 3, pausedUntil: iso(T0 + 3_000 + 1_800_000) },
      });
      expect(p.explanation.chosenBecause).toContain('circuit-breaker');
    });

    it('given a success between failures, when counting, then the streak starts again', () => {
      const state = [1, 2].reduce((s, i) => fail(s, i), initialPolicyState());
      const reset = fail(fail(state, 3, true), 4);
      expect(reset.guard.consecutiveFailures['shop-heal']).toBe(1);
    });

    it('given the pause has ended, when one more attempt fails, then the breaker opens again (half-open)', () => {
      const open = [1, 2, 3].reduce((s, i) => fail(s, i), initialPolicyState());
      const later = T0 + 3_000 + 1_800_001;
      expect(check(plan(open, loop, later), 'circuit-breaker')).toMatchObject({ passed: true });
      const reopened = evolve(open, {
        type: 'homeostat.outcome.recorded.v1',
        loop,
        data: outcome({ decisionId: 'f-9', fingerprint: FP, action: 'restart', succeeded: false, at: later + 1_000 }),
      });
      expect(check(plan(reopened, loop, later + 2_000), 'circuit-breaker').passed).toBe(false);
    });

    it('given an open breaker, when a person resumes the loop, then it closes', () => {
      const open = [1, 2, 3].reduce((s, i) => fail(s, i), initialPolicyState());
      const resumed = evolve(open, {
        type: 'homeostat.control.v1',
        data: { command: 'resume-loop', loop: 'shop-heal', actor: 'ana', reason: 'fixed the database' },
      });
      expect(check(plan(resumed, loop, T0 + 5_000), 'circuit-breaker')).toMatchObject({ passed: true, values: { consecutiveFailures: 0 } });
      expect(plan(resumed, loop, T0 + 5_000).mode).toBe('execute');
    });
  });

  describe('approval', () => {
    it('given an action riskier than aboveRisk, when it is chosen, then the decision waits for approval', () => {
      const loop = shopLoop({
        guardrails: { approval: { aboveRisk: 'medium' } },
        actions: [{ name: 'restart', adapter: 'http', params: {}, risk: 'high' }],
      });
      const p = plan(initialPolicyState(), loop);
      expect(p).toMatchObject({ mode: 'approval-required', action: { name: 'restart' } });
      expect(check(p, 'approval')).toMatchObject({ passed: false, values: { risk: 'high', aboveRisk: 'medium', required: true } });
    });

    it('given an action at or below aboveRisk, when it is chosen, then it executes', () => {
      const loop = shopLoop({
        guardrails: { approval: { aboveRisk: 'medium' } },
        actions: [{ name: 'tune', adapter: 'http', params: {}, risk: 'medium' }],
      });
      const p = plan(initialPolicyState(), loop);
      expect(p.mode).toBe('execute');
      expect(check(p, 'approval')).toMatchObject({ passed: true, values: { required: false } });
    });

    it('given a rejected decision, when deciding again, then the rejected action is ruled out', () => {
      const loop = shopLoop({ guardrails: { approval: { aboveRisk: 'low' } } });
      const first = plan(initialPolicyState(), loop);
      const again = planDecision({
        state: initialPolicyState(),
        loop,
        incident: incident(FP),
        attempts: [{ decisionId: 'd-1', action: first.action!.name, status: 'rejected' }],
        now: T0,
        rng: createRng(9),
      });
      expect(again.action?.name).not.toBe(first.action?.name);
      expect(again.previousDecisionId).toBe('d-1');
    });
  });

  describe('kill switch', () => {
    const on = (loop?: string): PolicyState =>
      evolve(initialPolicyState(), {
        type: 'homeostat.control.v1',
        data: { command: 'kill-switch', state: 'on', actor: 'ana', reason: 'incident review', ...(loop === undefined ? {} : { loop }) },
      });

    it('given the global kill switch on, when any loop decides, then it escalates', () => {
      const p = plan(on(), shopLoop());
      expect(p.mode).toBe('escalate');
      expect(check(p, 'kill-switch')).toMatchObject({
        passed: false,
        values: { global: true, loop: false, by: 'ana', reason: 'incident review' },
      });
    });

    it('given the kill switch on for one loop, when that loop and another decide, then only that loop stops', () => {
      const state = on('shop-heal');
      expect(check(plan(state, shopLoop()), 'kill-switch')).toMatchObject({ passed: false, values: { global: false, loop: true } });
      const other = { ...shopLoop(), metadata: { name: 'other-loop', version: '1' } };
      expect(plan(state, other).mode).toBe('execute');
    });

    it('given the global switch turned off, when deciding, then loops run again', () => {
      const off = evolve(on(), {
        type: 'homeostat.control.v1',
        data: { command: 'kill-switch', state: 'off', actor: 'ana', reason: 'done' },
      });
      expect(plan(off, shopLoop()).mode).toBe('execute');
    });
  });

  it('given a person paused the loop, when deciding, then it escalates until the loop is resumed', () => {
    const paused = evolve(initialPolicyState(), {
      type: 'homeostat.control.v1',
      data: { command: 'pause-loop', loop: 'shop-heal', actor: 'ana', reason: 'deploy freeze' },
    });
    const p = plan(paused, shopLoop());
    expect(p.mode).toBe('escalate');
    expect(check(p, 'loop-paused')).toMatchObject({ passed: false, values: { paused: true, by: 'ana', until: null } });
    expect(p.explanation.chosenBecause).toContain('deploy freeze');
    const resumed = evolve(paused, {
      type: 'homeostat.control.v1',
      data: { command: 'resume-loop', loop: 'shop-heal', actor: 'ana', reason: 'freeze over' },
    });
    expect(plan(resumed, shopLoop()).mode).toBe('execute');
  });

  it('given a dry-run loop, when an action is chosen, then the mode is dry-run and nothing counts against the budget', () => {
    const loop = shopLoop({ guardrails: { dryRun: true, budget: { maxActions: 1, window: '10m', perTarget: true } } });
    const p = plan(initialPolicyState(), loop);
    expect(p.mode).toBe('dry-run');
    expect(p.action).not.toBeNull();
    expect(check(p, 'dry-run')).toMatchObject({ passed: false, values: { dryRun: true } });
    const after = evolve(initialPolicyState(), decisionMade(loop, p, { decisionId: 'd-1', fingerprint: FP, at: T0 }));
    expect(check(plan(after, loop, T0 + 1_000), 'budget')).toMatchObject({ values: { used: 0 } });
  });

  it('given a decision of this incident still pending, when deciding, then it escalates rather than run two at once', () => {
    const p = planDecision({
      state: initialPolicyState(),
      loop: shopLoop(),
      incident: incident(FP),
      attempts: [{ decisionId: 'd-1', action: 'restart', status: 'pending' }],
      now: T0,
      rng: createRng(1),
    });
    expect(p.mode).toBe('escalate');
    expect(check(p, 'in-flight')).toMatchObject({ passed: false, values: { pendingDecisionId: 'd-1' } });
  });
});

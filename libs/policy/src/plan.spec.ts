import { planDecision, summarizeEvidence } from './plan';
import type { Attempt } from './policy-state';
import { evolve } from './evolve';
import { initialPolicyState } from './policy-state';
import { createRng, seedFrom } from './rng';
import { T0, decisionMade, incident, outcome, shopLoop, withOutcome, withOutcomes } from './testing/fixtures';
import { TestLearner } from './testing/learner';

const FP = 'shop|pool-leak';

describe('planDecision: choosing an action', () => {
  it('given successes of one action for this fingerprint, when deciding, then Thompson sampling chooses it', () => {
    // Given
    const loop = shopLoop();
    const state = withOutcomes(initialPolicyState(), loop, FP, 'restart', [true, true]);
    // When: over many independent draws
    const choices = Array.from(
      { length: 200 },
      (_, seed) => planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(seed) }).action?.name,
    );
    // Then
    expect(choices.filter((c) => c === 'restart').length).toBeGreaterThanOrEqual(196);
  });

  it('given one success, when deciding again for the same fingerprint, then that action is the clear first choice', () => {
    const loop = shopLoop();
    const state = withOutcomes(initialPolicyState(), loop, FP, 'tune-cache', [true]);
    const choices = Array.from(
      { length: 200 },
      (_, seed) => planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(seed) }).action?.name,
    );
    expect(choices.filter((c) => c === 'tune-cache').length).toBeGreaterThanOrEqual(180);
  });

  it('given an action that failed for this fingerprint, when deciding, then it is almost never chosen again', () => {
    const loop = shopLoop();
    const state = withOutcomes(initialPolicyState(), loop, FP, 'recycle-pool', [false]);
    const share = (s: typeof state): number =>
      Array.from(
        { length: 200 },
        (_, seed) => planDecision({ state: s, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(seed) }).action?.name,
      ).filter((c) => c === 'recycle-pool').length;
    // Then: from the favourite of a new kind of failure (low risk, cheapest) to a rare exploration
    expect(share(initialPolicyState())).toBeGreaterThanOrEqual(50);
    expect(share(state)).toBeLessThanOrEqual(10);
  });

  it('given a failed attempt in this incident, when deciding again, then another action is chosen as attempt 2 linked to the first', () => {
    // Given
    const loop = shopLoop();
    let state = initialPolicyState();
    const first = planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(1) });
    expect(first.mode).toBe('execute');
    state = evolve(state, decisionMade(loop, first, { decisionId: 'dec-1', fingerprint: FP, at: T0 }));
    state = evolve(state, {
      type: 'homeostat.outcome.recorded.v1',
      loop,
      data: outcome({ decisionId: 'dec-1', fingerprint: FP, action: first.action!.name, succeeded: false, at: T0 + 30_000 }),
    });
    const attempts: Attempt[] = [{ decisionId: 'dec-1', action: first.action!.name, status: 'failed' }];
    // When
    const second = planDecision({ state, loop, incident: incident(FP), attempts, now: T0 + 31_000, rng: createRng(2) });
    // Then
    expect(second.mode).toBe('execute');
    expect(second.action?.name).not.toBe(first.action?.name);
    expect(second.attempt).toBe(2);
    expect(second.previousDecisionId).toBe('dec-1');
    const tried = second.explanation.candidates.find((c) => c.action === first.action?.name);
    expect(tried).toMatchObject({ eligible: false, score: 0 });
    expect(tried?.reason).toContain('attempt 1 failed');
  });

  it('given every action ruled out in this incident, when deciding, then it escalates with no action', () => {
    const loop = shopLoop();
    const attempts: Attempt[] = loop.spec.actions.map((a, i) => ({
      decisionId: `dec-${i}`,
      action: a.name,
      status: i % 2 === 0 ? 'failed' : 'rejected',
    }));
    const plan = planDecision({ state: initialPolicyState(), loop, incident: incident(FP), attempts, now: T0, rng: createRng(1) });
    expect(plan).toMatchObject({ action: null, mode: 'escalate', attempt: 6, previousDecisionId: 'dec-4' });
    expect(plan.explanation.chosenBecause).toContain('no candidate left');
  });

  it('given similar fingerprints of the same loop, when a new fingerprint appears, then their history leans the first choice', () => {
    // Given: restart fixed two other kinds of failure on shop many times
    const loop = shopLoop();
    let state = withOutcomes(initialPolicyState(), loop, 'shop|a', 'restart', [true, true, true]);
    state = withOutcomes(state, loop, 'shop|b', 'restart', [true, true, true]);
    const share = (s: typeof state): number =>
      Array.from(
        { length: 400 },
        (_, seed) =>
          planDecision({ state: s, loop, incident: incident('shop|new'), attempts: [], now: T0, rng: createRng(seed) }).action?.name,
      ).filter((c) => c === 'restart').length;
    // Then: chosen more often than with no history, but not always (down-weighted, still exploring)
    const before = share(initialPolicyState());
    const after = share(state);
    expect(after).toBeGreaterThan(before);
    expect(after).toBeLessThan(400);
    const candidate = planDecision({
      state,
      loop,
      incident: incident('shop|new'),
      attempts: [],
      now: T0,
      rng: createRng(1),
    }).explanation.candidates.find((c) => c.action === 'restart');
    expect(candidate?.reason).toContain('similar fingerprints 6✓ 0✗ over 2');
  });

  it('given two actions equally proven, when deciding, then the faster and cheaper one wins', () => {
    const loop = shopLoop();
    const learner = new TestLearner();
    let state = initialPolicyState();
    for (const [action, ttr] of [
      ['recycle-pool', 5_000],
      ['restart', 110_000],
    ] as const) {
      for (let i = 0; i < 20; i++) {
        state = withOutcome(
          state,
          loop,
          learner,
          outcome({ decisionId: `${action}-${i}`, fingerprint: FP, action, succeeded: true, timeToRecoverMs: ttr, at: T0 - 100_000 + i }),
        );
      }
    }
    const choices = Array.from(
      { length: 100 },
      (_, seed) => planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(seed) }).action?.name,
    );
    expect(choices.filter((c) => c === 'recycle-pool').length).toBeGreaterThanOrEqual(95);
  });

  it('given the same state and seed, when deciding twice, then the plans are identical', () => {
    const loop = shopLoop();
    const state = withOutcomes(initialPolicyState(), loop, FP, 'restart', [true, false]);
    const seed = seedFrom('inc-1', '1');
    const a = planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(seed) });
    const b = planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(seed) });
    expect(b).toEqual(a);
    const other = planDecision({ state, loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(seed + 1) });
    expect(other.explanation.candidates.map((c) => c.score)).not.toEqual(a.explanation.candidates.map((c) => c.score));
  });

  it('given a decision, when it is made, then the explanation carries evidence, hypothesis, every candidate and every guardrail', () => {
    const loop = shopLoop();
    const plan = planDecision({ state: initialPolicyState(), loop, incident: incident(FP), attempts: [], now: T0, rng: createRng(3) });
    const e = plan.explanation;
    expect(e.evidenceSummary).toContain('http.server.request.duration (score 0.97 observed 2.4 vs baseline 0.12)');
    expect(e.evidenceSummary).toContain('"timeout acquiring connection after <*> ms" ×212');
    expect(e.hypothesis).toBe('shop|pool-leak in shop (suspect shop/db-pool, confidence 0.8)');
    expect(e.candidates.map((c) => c.action)).toEqual(loop.spec.actions.map((a) => a.name));
    for (const c of e.candidates) {
      expect(c.posterior).toBeDefined();
      expect(c.reason).toMatch(/Beta\(/);
    }
    expect(e.candidates.find((c) => c.action === plan.action?.name)?.reason).toMatch(/^chosen: highest score/);
    expect(e.guardrails.map((g) => g.name)).toEqual([
      'kill-switch',
      'loop-paused',
      'circuit-breaker',
      'in-flight',
      'budget',
      'cooldown',
      'blast-radius',
      'approval',
      'dry-run',
      'autonomy',
    ]);
    expect(e.chosenBecause).toContain(`${plan.action?.name} has the highest score`);
    expect(plan.autonomyLevel).toBe('auto');
  });
});

describe('summarizeEvidence', () => {
  it('names the failing spans and the errors they failed with', () => {
    const base = incident('pool-leak');
    const span = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), service: 'shop', name: 'GET /checkout', statusMessage: 'HTTP 500' };
    const timeout = 'POOL_ACQUIRE_TIMEOUT: timeout acquiring connection after <*> ms';
    const summary = summarizeEvidence({
      ...base,
      evidence: { ...base.evidence, failingSpans: [{ ...span, error: timeout }, { ...span, error: timeout }, span] },
    });
    expect(summary).toContain(`3 failing span(s): shop GET /checkout, failing with "${timeout}"`);
    expect(summarizeEvidence({ ...base, evidence: { ...base.evidence, failingSpans: [span] } })).toMatch(
      /1 failing span\(s\): shop GET \/checkout$/,
    );
  });
});

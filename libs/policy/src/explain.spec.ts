import type { DecisionMade } from '@homeostat/contracts';
import { planDecision } from './plan';
import { formatExplanation } from './explain';
import { initialPolicyState } from './policy-state';
import { createRng } from './rng';
import { T0, incident, outcome, shopLoop, withOutcomes } from './testing/fixtures';

const FP = 'shop|pool-leak';

describe('formatExplanation', () => {
  const loop = shopLoop({ guardrails: { approval: { aboveRisk: 'medium' } } });
  const state = withOutcomes(initialPolicyState(), loop, FP, 'recycle-pool', [true, true]);
  const plan = planDecision({
    state,
    loop,
    incident: incident(FP),
    attempts: [{ decisionId: 'dec-0', action: 'restart', status: 'failed' }],
    now: T0,
    rng: createRng(4),
  });

  it('given a plan, when formatted, then it reads evidence, hypothesis, candidates, guardrails, autonomy and why', () => {
    const text = formatExplanation(plan);
    expect(text).toContain('Attempt 2 (retry after dec-0)');
    expect(text).toContain('Evidence: high incident on shop');
    expect(text).toContain('Hypothesis: shop|pool-leak in shop');
    for (const a of loop.spec.actions) expect(text).toContain(a.name);
    expect(text).toMatch(/restart\s+0\.000 .* no\s+already tried for this incident \(attempt 1 failed\)/);
    expect(text).toContain('[pass] budget: 0 of 1000 actions used for target shop in 1h');
    expect(text).toContain('Autonomy: auto');
    expect(text).toContain('Decision: execute recycle-pool (http)');
    expect(text).toContain('Because: recycle-pool has the highest score');
    expect(text).toContain('Outcome: not known yet');
  });

  it('given a decision event and its outcome, when formatted, then the header and the outcome are shown', () => {
    const made: DecisionMade = {
      decisionId: 'dec-1',
      incidentId: 'inc-1',
      loop: 'shop-heal',
      loopVersion: '1.0.0',
      target: 'shop',
      fingerprint: FP,
      action: plan.action,
      mode: plan.mode,
      autonomyLevel: plan.autonomyLevel,
      attempt: plan.attempt,
      previousDecisionId: 'dec-0',
      explanation: plan.explanation,
    };
    const text = formatExplanation(
      made,
      outcome({ decisionId: 'dec-1', fingerprint: FP, action: 'recycle-pool', succeeded: true, timeToRecoverMs: 12_300, at: T0 + 20_000 }),
    );
    expect(text.split('\n')[0]).toBe('Decision dec-1 for incident inc-1 (loop shop-heal v1.0.0, target shop)');
    expect(text).toContain('Outcome: succeeded, recovered in 12.3s; verification passed');
  });
});

import { type DecisionMade, type IncidentOpened, type LoopSpec, type OutcomeRecorded } from '@homeostat/contracts';
import { repairLoopSpec, sampleIncidentOpened } from '@homeostat/contracts/testing';
import { createDecider, react, type DeciderSetup } from './decider';
import type { PolicyState } from './policy-state';

// A loop whose candidates are made per incident (as a repair loop's fixes are): the decider plans
// over the catalog `catalogFor` gives, with its priors, under the same sampling and guardrails.
const LOOP = repairLoopSpec({ actions: ['move-dependency', 'revert-update', 'retry'], maxActions: 2, consecutiveFailures: 10 });

/** The incident's own candidates: all but move-dependency, each with its fix in the params and a prior. */
const catalogFor: DeciderSetup['catalogFor'] = (loop: LoopSpec) => ({
  loop: {
    ...loop,
    spec: {
      ...loop.spec,
      actions: loop.spec.actions.filter((a) => a.name !== 'move-dependency').map((a) => ({ ...a, params: { fix: `${a.name}-fix` } })),
    },
  },
  priors: { 'revert-update': 0.9, retry: 0.02 },
});

const incident = (id: string): IncidentOpened => ({
  ...sampleIncidentOpened(),
  incidentId: id,
  loop: 'app-repair',
  fingerprint: 'test: x',
});

function decide(seed: string): { state: PolicyState; decisions: DecisionMade[]; take: (o: OutcomeRecorded) => DecisionMade[] } {
  let n = 0;
  const decider = createDecider({ loops: new Map([['app-repair', LOOP]]), newId: () => `${seed}-${++n}`, seed, catalogFor });
  let state = decider.initialState();
  const first = react(decider, state, { type: 'homeostat.incident.opened.v1', data: incident(`i-${seed}`) }, 1_000);
  state = first.state;
  return {
    state,
    decisions: first.decisions,
    take: (o) => {
      const r = react(decider, state, { type: 'homeostat.outcome.recorded.v1', data: o }, 2_000);
      state = r.state;
      return r.decisions;
    },
  };
}

const failed = (d: DecisionMade): OutcomeRecorded => ({
  decisionId: d.decisionId,
  incidentId: d.incidentId,
  loop: d.loop,
  target: d.target,
  fingerprint: d.fingerprint,
  action: d.action!,
  status: 'failed',
  dryRun: false,
  applied: true,
  verification: { passed: false, checks: [] },
  timeToRecoverMs: null,
  startedAt: new Date(1_000).toISOString(),
  finishedAt: new Date(2_000).toISOString(),
});

describe('a per-incident catalog (DeciderSetup.catalogFor)', () => {
  it('plans over the incident’s candidates only, with their params, ranked from their priors', () => {
    const firsts = Array.from({ length: 50 }, (_, i) => decide(`s${i}`).decisions[0]!);
    for (const d of firsts) {
      expect(d.explanation.candidates.map((c) => c.action)).toEqual(['revert-update', 'retry']);
      expect(d.explanation.candidates[0]?.reason).toMatch(/the fix's prior for this failure 0\.9/);
    }
    expect(firsts.filter((d) => d.action?.name === 'revert-update').length).toBeGreaterThanOrEqual(48);
    expect(firsts.find((d) => d.action?.name === 'revert-update')?.action?.params).toEqual({ fix: 'revert-update-fix' });
  });

  it('tries the next candidate after a failure, then escalates when none is left', () => {
    const run = decide('budget');
    const first = run.decisions[0]!;
    const second = run.take(failed(first))[0]!;
    expect(second.action?.name).not.toBe(first.action?.name);
    expect(second.attempt).toBe(2);
    const third = run.take(failed(second))[0]!;
    expect(third.mode).toBe('escalate');
    expect(third.action).toBeNull();
  });
});

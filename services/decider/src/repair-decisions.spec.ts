import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLoopSpec, type BuildFailure, type DecisionMade, type IncidentOpened, type OutcomeRecorded } from '@homeostat/contracts';
import { sampleBuildFailure, sampleIncidentOpened } from '@homeostat/contracts/testing';
import { react, type DeciderInput, type PolicyState } from '@homeostat/policy';
import { deciderOf } from './decider-setup';

// The decider as the service runs it, on the example repair loop (examples/connector-app): its
// guardrails stop a repair as they stop any loop's actions, and what it learns reorders the fixes.
const parsed = parseLoopSpec(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'connector-app', 'loops', 'connector-app-repair.yaml'), 'utf8'),
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const LOOP = parsed.spec;
const HOUR = 3_600_000;

const fix = (id: string, prior: number): BuildFailure['fixes'][number] => ({
  id,
  recipe: id.split(':')[0]!,
  title: id,
  explanation: [],
  prior,
  files: [],
  regenerate: [],
  message: id,
});

const incident = (id: string, fixes: BuildFailure['fixes'], repository = '/srv/git/app.git'): IncidentOpened => ({
  ...sampleIncidentOpened(),
  incidentId: id,
  loop: LOOP.metadata.name,
  target: repository,
  fingerprint: 'test: not ok <n> - reads the port',
  buildFailure: sampleBuildFailure({ repository, branch: `deps/${id}`, fixes }),
});

const outcome = (d: DecisionMade, status: 'failed' | 'succeeded'): OutcomeRecorded => ({
  decisionId: d.decisionId,
  incidentId: d.incidentId,
  loop: d.loop,
  target: d.target,
  fingerprint: d.fingerprint,
  action: d.action!,
  status,
  dryRun: false,
  applied: true,
  verification: { passed: status === 'succeeded', checks: [] },
  timeToRecoverMs: status === 'succeeded' ? 1_000 : null,
  startedAt: new Date(0).toISOString(),
  finishedAt: new Date(1_000).toISOString(),
  ...(status === 'failed' ? { error: { code: 'VERIFICATION_FAILED', message: 'npm test failed' } } : {}),
});

/** A decider over the loop, fed inputs one after the other; returns each input's decisions. */
function run(seed: string): { feed: (input: DeciderInput, at: number) => DecisionMade[]; state: () => PolicyState } {
  let n = 0;
  const decider = deciderOf([LOOP], seed, () => `${seed}-${++n}`);
  let state = decider.initialState();
  return {
    feed: (input, at) => {
      const r = react(decider, state, input, at);
      state = r.state;
      return r.decisions;
    },
    state: () => state,
  };
}

const opened = (i: IncidentOpened): DeciderInput => ({ type: 'homeostat.incident.opened.v1', data: i });
const recorded = (o: OutcomeRecorded): DeciderInput => ({ type: 'homeostat.outcome.recorded.v1', data: o });
const FOUR = [fix('move-dependency:a@1.5.0', 0.7), fix('revert-update:a@1.4.2', 0.6), fix('refresh-lock', 0.3), fix('retry', 0.05)];

describe('the guardrails stop a repair', () => {
  it('the budget (3 fixes per hour): after three failed validations the fourth fix is not tried; the failure goes to people', () => {
    const d = run('budget');
    let decision = d.feed(opened(incident('i-1', FOUR)), 1_000)[0]!;
    const tried: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(decision.mode).toBe('execute');
      tried.push(decision.action!.name);
      decision = d.feed(recorded(outcome(decision, 'failed')), 1_000 + attempt * 60_000)[0]!;
    }
    expect(new Set(tried).size).toBe(3);
    expect(decision.mode).toBe('escalate');
    expect(decision.action).toBeNull();
    const budget = decision.explanation.guardrails.find((g) => g.name === 'budget')!;
    expect(budget.passed).toBe(false);
    expect(budget.detail).toMatch(/3 of 3 actions used .* in 1h/);

    // The budget is per repository: the same repository's next failure in the hour is not repaired, another's is.
    const again = d.feed(opened(incident('i-2', FOUR)), 10 * 60_000)[0]!;
    expect([again.mode, again.action]).toEqual(['escalate', null]);
    expect(d.feed(opened(incident('i-3', FOUR, '/srv/git/other.git')), 11 * 60_000)[0]?.mode).toBe('execute');
    // After the window the repository's failures are repaired again.
    expect(d.feed(opened(incident('i-4', FOUR)), 2 * HOUR)[0]?.mode).toBe('execute');
  });

  it('the kill switch: a failure while it is on is diagnosed but not repaired; switched on between attempts, the next fix waits until it is off', () => {
    const d = run('kill');
    const on: DeciderInput = {
      type: 'homeostat.control.v1',
      data: { command: 'kill-switch', state: 'on', actor: 'carol', reason: 'release freeze' },
    };
    const off: DeciderInput = {
      type: 'homeostat.control.v1',
      data: { command: 'kill-switch', state: 'off', actor: 'carol', reason: 'go' },
    };

    const first = d.feed(opened(incident('k-1', FOUR)), 1_000)[0]!;
    expect(first.mode).toBe('execute');
    d.feed(on, 2_000);
    const next = d.feed(recorded(outcome(first, 'failed')), 3_000);
    expect(next.map((x) => [x.mode, x.action])).toEqual([['escalate', null]]);
    expect(next[0]!.explanation.guardrails.find((g) => g.name === 'kill-switch')).toMatchObject({ passed: false });
    expect(next[0]!.explanation.chosenBecause).toMatch(/kill switch/);

    const during = d.feed(opened(incident('k-2', FOUR, '/srv/git/other.git')), 4_000);
    expect(during.map((x) => [x.mode, x.action])).toEqual([['escalate', null]]);
    // Off again: the stopped repair goes on with its next fix (not the one that failed); the other failure
    // waits for the loop's one concurrent repair (blast radius) instead of running beside it.
    const resumed = d.feed(off, 5_000);
    expect(resumed.map((x) => [x.incidentId, x.mode, x.attempt])).toEqual([
      ['k-1', 'execute', 2],
      ['k-2', 'escalate', 1],
    ]);
    expect(resumed[0]!.action?.name).not.toBe(first.action?.name);
    expect(resumed[1]!.explanation.chosenBecause).toMatch(/blast-radius .* allowed again at/);
  });
});

describe('learning reorders the fixes of a failure signature', () => {
  it('the prior ranks A first; A fails validation and B passes; the next failure of the signature tries B first', () => {
    // A (move-dependency) 0.9, B (revert-update) 0.3: with no outcomes yet, A is sampled first on every seed.
    const AB = [fix('move-dependency:a@1.5.0', 0.9), fix('revert-update:a@1.4.2', 0.3)];
    for (let s = 0; s < 20; s++) {
      const d = run(`learn-${s}`);
      const a = d.feed(opened(incident(`l-${s}`, AB)), 1_000)[0]!;
      expect(a.action?.name).toBe('move-dependency');
      const b = d.feed(recorded(outcome(a, 'failed')), 2_000)[0]!;
      expect(b.action?.name).toBe('revert-update');
      d.feed(recorded(outcome(b, 'succeeded')), 3_000);
      // The learner's knowledge per signature × fix, as it publishes it after those outcomes.
      for (const [action, successes, failures] of [
        ['move-dependency', 0, 1],
        ['revert-update', 1, 0],
      ] as const) {
        d.feed(
          {
            type: 'homeostat.knowledge.updated.v1',
            data: {
              loop: LOOP.metadata.name,
              fingerprint: a.fingerprint,
              action,
              tries: 1,
              successes,
              failures,
              meanTimeToRecoverMs: successes > 0 ? 1_000 : null,
              p50TimeToRecoverMs: successes > 0 ? 1_000 : null,
              lastOutcomeAt: new Date(3_000).toISOString(),
              posterior: { alpha: 1 + successes, beta: 1 + failures },
            },
          },
          3_500,
        );
      }
      const next = d.feed(opened(incident(`l-${s}-again`, AB, '/srv/git/another.git')), 10_000)[0]!;
      expect(next.action?.name).toBe('revert-update');
      const ranked = next.explanation.candidates.find((c) => c.action === 'revert-update')!;
      expect(ranked.reason).toMatch(/this fingerprint 1✓ 0✗/);
    }
  });
});

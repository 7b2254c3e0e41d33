import { parseLoopSpec, type DecisionMade, type IncidentOpened, type LoopSpec, type OutcomeRecorded } from '@homeostat/contracts';
import { sampleIncidentOpened } from '@homeostat/contracts/testing';
import { createDecider, react, type Decider, type DeciderInput } from './decider';
import type { PolicyEvent, PolicyState } from './policy-state';
import { at, deciderSpec, history } from './testing/decider-spec';
import { TestLearner } from './testing/learner';

const SPEC = `apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: shop-pool-exhaustion, version: 1.2.0 }
spec:
  target: { service: shop }
  signals: [{ kind: span, name: "*" }]
  actions:
    - { name: recycle-pool, adapter: http, params: { method: POST, url: "http://127.0.0.1:3000/actuator/pool/recycle" }, risk: low }
    - { name: enable-cache, adapter: http, params: { method: PUT, url: "http://127.0.0.1:3000/actuator/config" }, risk: low }
    - { name: restart, adapter: http, params: { method: POST, url: "http://127.0.0.1:3000/actuator/restart" }, risk: high, cost: 5 }
  guardrails:
    budget: { maxActions: 20, window: 10m }
    cooldown: 0s
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: 10 }
    approval: { aboveRisk: high }
    dryRun: false
  verification:
    healthCheck: { url: "http://127.0.0.1:3000/health", consecutive: 2, interval: 1s }
    deadline: 30s
`;

function loop(): LoopSpec {
  const parsed = parseLoopSpec(SPEC);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

function decider(maxOpenCases?: number, spec: LoopSpec = loop()): Decider {
  let n = 0;
  return createDecider({
    loops: new Map([['shop-pool-exhaustion', spec]]),
    newId: () => `dec-${++n}`,
    seed: 'seed',
    ...(maxOpenCases === undefined ? {} : { maxOpenCases }),
  });
}

function outcome(d: DecisionMade, status: 'succeeded' | 'failed', finishedAt = 1000): OutcomeRecorded {
  return {
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
    timeToRecoverMs: status === 'succeeded' ? 3000 : null,
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
  };
}

const incident = (id: string, openedAt = 0): IncidentOpened => ({
  ...sampleIncidentOpened(),
  incidentId: id,
  openedAt: new Date(openedAt).toISOString(),
});
const opened = (id: string, openedAt = 0): DeciderInput => ({ type: 'homeostat.incident.opened.v1', data: incident(id, openedAt) });
const outcomeOf =
  (n: number, status: 'succeeded' | 'failed', finishedAt?: number) =>
  (decisions: readonly DecisionMade[]): DeciderInput => ({
    type: 'homeostat.outcome.recorded.v1',
    data: outcome(decisions[n]!, status, finishedAt),
  });
/**
 * The analyzer's update of an open incident; with `relapsedAt` when its symptoms came back after all
 * had recovered, `failingAt` when one was last seen failing (while one is).
 */
const updated = (id: string, updatedAt: number, relapsedAt?: number, failingAt?: number, failingSince = 0): DeciderInput => ({
  type: 'homeostat.incident.updated.v1',
  data: {
    ...incident(id),
    updatedAt: new Date(updatedAt).toISOString(),
    ...(relapsedAt === undefined ? {} : { relapsedAt: new Date(relapsedAt).toISOString() }),
    ...(failingAt === undefined
      ? {}
      : { failingAt: new Date(failingAt).toISOString(), failingSince: new Date(failingSince).toISOString() }),
  },
});

describe('decider', () => {
  it('given an open incident, when its first action fails, then it tries the next best one, linked to the first', () => {
    const d = decider();
    const first = deciderSpec(d)
      .given([])
      .when(at(1_000, opened('inc-1')))
      .then([{ incidentId: 'inc-1', attempt: 1, mode: 'execute', loopVersion: '1.2.0' }]);
    expect(first.decisions[0]!.explanation.candidates).toHaveLength(3);

    const second = deciderSpec(d)
      .given(first.events)
      .when(at(2_000, outcomeOf(0, 'failed')))
      .then([{ attempt: 2, previousDecisionId: 'dec-1' }]);
    expect(second.decisions[0]!.action?.name).not.toBe(first.decisions[0]!.action?.name);

    deciderSpec(d)
      .given([...first.events, ...second.events])
      .when(at(3_000, outcomeOf(1, 'succeeded')))
      .then([]);
  });

  it('learns: after a kind of failure was fixed by one action, the next incident of that kind starts with it', () => {
    const d = decider();
    const learner = new TestLearner();
    let state = d.initialState();
    const events: PolicyEvent[] = [];
    const take = (input: DeciderInput, now: number): DecisionMade | undefined => {
      const r = react(d, state, input, now);
      state = r.state;
      events.push(...r.events);
      return r.decisions[0];
    };
    /** The executor's outcome, then the learner's knowledge recounted with it, as the decider receives them. */
    const settle = (decision: DecisionMade, status: 'succeeded' | 'failed', now: number): DecisionMade | undefined => {
      const o = outcome(decision, status);
      const next = take({ type: 'homeostat.outcome.recorded.v1', data: o }, now);
      const knowledge = learner.record(o);
      if (knowledge !== undefined) take({ type: 'homeostat.knowledge.updated.v1', data: knowledge }, now);
      return next;
    };
    let fixer: string | undefined;
    for (let i = 0; i < 2; i++) {
      let decision = take(opened(`inc-${i}`), i * 100_000);
      while (decision && decision.action?.name !== 'enable-cache') decision = settle(decision, 'failed', i * 100_000 + 1);
      fixer = decision?.action?.name;
      settle(decision!, 'succeeded', i * 100_000 + 2);
      take(
        {
          type: 'homeostat.incident.resolved.v1',
          data: {
            incidentId: `inc-${i}`,
            loop: 'shop-pool-exhaustion',
            target: 'shop',
            fingerprint: decision!.fingerprint,
            openedAt: new Date(0).toISOString(),
            resolvedAt: new Date(1).toISOString(),
            resolution: 'recovered',
          },
        },
        i * 100_000 + 3,
      );
    }
    expect(fixer).toBe('enable-cache');
    deciderSpec(d)
      .given(events)
      .when(at(300_000, opened('inc-3')))
      .then([{ action: { name: 'enable-cache' } }]);
  });

  it('given a rejected decision, then the next candidate is proposed', () => {
    const d = decider();
    const past = history(d, [at(0, opened('inc-r'))]);
    deciderSpec(d)
      .given(past.events)
      .when(at(1, { type: 'homeostat.control.v1', data: { command: 'reject', decisionId: 'dec-1', actor: 'alice', reason: 'not now' } }))
      .then([{ previousDecisionId: 'dec-1' }]);
  });

  it('given an action whose outcome never comes, when its deadline passes, then it is timed out and re-decided', () => {
    const d = decider();
    const past = history(d, [
      at(0, opened('inc-t')),
      at(0, ([first]) => ({
        type: 'homeostat.action.started.v1',
        data: {
          decisionId: first!.decisionId,
          incidentId: 'inc-t',
          loop: first!.loop,
          target: 'shop',
          fingerprint: first!.fingerprint,
          action: first!.action!,
          dryRun: false,
          startedAt: new Date(0).toISOString(),
          deadline: new Date(30_000).toISOString(),
        },
      })),
    ]);
    deciderSpec(d)
      .given(past.events)
      .when(at(40_000, { type: 'time.passed' }))
      .then([]);
    const overdue = deciderSpec(d)
      .given(past.events)
      .when(at(46_000, { type: 'time.passed' }))
      .then([{ attempt: 2, previousDecisionId: 'dec-1' }]);
    expect(overdue.events[0]).toEqual({ type: 'outcome.overdue', data: { incidentId: 'inc-t', decisionId: 'dec-1' } });
    expect(overdue.state.cases['inc-t']?.attempts.map((a) => a.status)).toEqual(['timed-out', 'pending']);
  });

  it('given the kill switch, then it escalates instead of acting; incidents of unknown loops are not decided', () => {
    const d = decider();
    const past = history(d, [
      at(0, { type: 'homeostat.control.v1', data: { command: 'kill-switch', state: 'on', actor: 'carol', reason: 'stop' } }),
    ]);
    const escalated = deciderSpec(d)
      .given(past.events)
      .when(at(1, opened('inc-k')))
      .then([{ mode: 'escalate', action: null }]);
    expect(escalated.decisions[0]!.explanation.guardrails.find((g) => g.name === 'kill-switch')?.passed).toBe(false);
    const unmanaged = deciderSpec(d)
      .given(past.events)
      .when(at(2, { type: 'homeostat.incident.opened.v1', data: { ...incident('inc-u'), loop: 'unmanaged' } }))
      .then([]);
    expect(unmanaged.events).toEqual([]);
  });

  it('given an incident escalated while the loop was stopped, when the loop runs again, then it is decided again at once', () => {
    const d = decider();
    const past = history(d, [
      at(0, { type: 'homeostat.control.v1', data: { command: 'pause-loop', loop: 'shop-pool-exhaustion', actor: 'ana', reason: 'look' } }),
      at(1_000, opened('inc-p')),
      at(2_000, { type: 'homeostat.control.v1', data: { command: 'kill-switch', state: 'on', actor: 'carol', reason: 'stop' } }),
      at(3_000, {
        type: 'homeostat.control.v1',
        data: { command: 'resume-loop', loop: 'shop-pool-exhaustion', actor: 'ana', reason: 'go' },
      }),
    ]);
    // Paused, then still stopped by the kill switch when resumed: one escalation, nothing decided on resume or as time passes.
    expect(past.decisions.map((x) => x.mode)).toEqual(['escalate']);
    deciderSpec(d)
      .given(past.events)
      .when(at(4_000, { type: 'time.passed' }))
      .then([]);
    const resumed = deciderSpec(d)
      .given(past.events)
      .when(at(5_000, { type: 'homeostat.control.v1', data: { command: 'kill-switch', state: 'off', actor: 'carol', reason: 'go' } }))
      .then([{ incidentId: 'inc-p', mode: 'execute', attempt: 1 }]);
    expect(resumed.state.cases['inc-p']?.blocked).toBeUndefined();
  });

  it('given an incident escalated while the circuit breaker paused the loop, when the pause ends, then it is decided again', () => {
    const d = decider();
    const breaker = { until: 50_000, reason: 'three failed verifications', by: 'circuit-breaker' };
    const state = { ...d.initialState(), guard: { ...d.initialState().guard, pausedLoops: { 'shop-pool-exhaustion': breaker } } };
    const past = history(d, [at(1_000, opened('inc-b'))], state);
    expect(past.decisions.map((x) => x.mode)).toEqual(['escalate']);
    deciderSpec(d)
      .givenState(past.state)
      .when(at(49_000, { type: 'time.passed' }))
      .then([]);
    deciderSpec(d)
      .givenState(past.state)
      .when(at(50_000, { type: 'time.passed' }))
      .then([{ incidentId: 'inc-b', mode: 'execute' }]);
  });

  it('continues from a snapshot', () => {
    const d = decider();
    const past = history(d, [at(0, opened('inc-s'))]);
    const restored = JSON.parse(JSON.stringify(past.state)) as PolicyState;
    deciderSpec(d)
      .givenState(restored, past.decisions)
      .when(at(1, outcomeOf(0, 'failed')))
      .then([{ previousDecisionId: 'dec-1' }]);
  });

  it('given an incident opened again (a redelivery), then nothing is decided twice', () => {
    const d = decider();
    const past = history(d, [at(0, opened('inc-1'))]);
    deciderSpec(d)
      .given(past.events)
      .when(at(1, opened('inc-1')))
      .then([]);
  });

  it('given a resolved incident, when a late failure of its action arrives, then nothing more is tried', () => {
    const d = decider();
    const past = history(d, [
      at(0, opened('inc-1')),
      at(1, {
        type: 'homeostat.incident.resolved.v1',
        data: {
          incidentId: 'inc-1',
          loop: 'shop-pool-exhaustion',
          target: 'shop',
          fingerprint: 'f',
          openedAt: new Date(0).toISOString(),
          resolvedAt: new Date(1).toISOString(),
          resolution: 'self-healed',
        },
      }),
    ]);
    expect(past.state.cases).toEqual({});
    deciderSpec(d)
      .given(past.events)
      .when(at(2, outcomeOf(0, 'failed')))
      .then([]);
  });

  describe('a relapse after a verified fix', () => {
    it('given a fix verified for an open incident, when its symptoms come back, then it is decided again, as a relapse of that fix', () => {
      const d = decider();
      const past = history(d, [at(0, opened('inc-1')), at(10_000, outcomeOf(0, 'succeeded', 10_000))]);
      deciderSpec(d)
        .given(past.events)
        .when(at(15_000, updated('inc-1', 15_000)))
        .then([]);
      const again = deciderSpec(d)
        .given(past.events)
        .when(at(40_000, updated('inc-1', 40_000, 38_000)))
        .then([{ incidentId: 'inc-1', attempt: 2, mode: 'execute', previousDecisionId: 'dec-1', relapseOf: 'dec-1' }]);
      expect(again.decisions[0]!.explanation.chosenBecause).toMatch(/^relapse: the incident's symptoms came back 28 s after/);
      // The same relapse reported again by the next update is not a new one.
      deciderSpec(d)
        .given([...past.events, ...again.events])
        .when(at(50_000, updated('inc-1', 50_000, 38_000)))
        .then([]);
    });

    it('given a fix verified, when its symptoms are still failing a gathering window later, then it is decided again', () => {
      const d = decider();
      const past = history(d, [at(0, opened('inc-1')), at(10_000, outcomeOf(0, 'succeeded', 10_000))]);
      // The analyzer lags: failing up to a gathering window (20 s) after the verification is not news.
      deciderSpec(d)
        .given(past.events)
        .when(at(32_000, updated('inc-1', 32_000, undefined, 29_000)))
        .then([]);
      const again = deciderSpec(d)
        .given(past.events)
        .when(at(40_000, updated('inc-1', 40_000, undefined, 38_000)))
        .then([{ incidentId: 'inc-1', attempt: 2, mode: 'execute', relapseOf: 'dec-1' }]);
      expect(again.decisions[0]!.explanation.chosenBecause).toMatch(/^relapse: the incident's symptoms were still failing 28 s after/);
      // While the next attempt is in flight, more of the same is not news.
      deciderSpec(d)
        .given([...past.events, ...again.events])
        .when(at(50_000, updated('inc-1', 50_000, undefined, 49_000)))
        .then([]);
    });

    it('given symptoms failing again after a calm that followed the fix, then the decider leaves it to the analyzer to judge', () => {
      const d = decider();
      const past = history(d, [at(0, opened('inc-1')), at(10_000, outcomeOf(0, 'succeeded', 10_000))]);
      // Failing since 30 s, after the fix: another kind may have come (the analyzer opens an
      // incident of its own for it), or the same again (the analyzer reports relapsedAt).
      deciderSpec(d)
        .given(past.events)
        .when(at(40_000, updated('inc-1', 40_000, undefined, 38_000, 30_000)))
        .then([]);
    });

    it('given a relapse reported for a time before the fix was verified, then nothing more is decided', () => {
      const d = decider();
      const past = history(d, [at(0, opened('inc-1')), at(10_000, outcomeOf(0, 'succeeded', 10_000))]);
      deciderSpec(d)
        .given(past.events)
        .when(at(12_000, updated('inc-1', 12_000, 9_000)))
        .then([]);
    });

    it('given an action in flight, when a relapse is reported, then the decider waits for its outcome', () => {
      const d = decider();
      const past = history(d, [at(0, opened('inc-1'))]);
      deciderSpec(d)
        .given(past.events)
        .when(at(5_000, updated('inc-1', 5_000, 4_000)))
        .then([]);
    });

    it('given a target that keeps relapsing, then it never acts more often than the cooldown and the budget allow', () => {
      const tight = parseLoopSpec(
        SPEC.replace('budget: { maxActions: 20, window: 10m }', 'budget: { maxActions: 3, window: 10m }').replace(
          'cooldown: 0s',
          'cooldown: 30s',
        ),
      );
      if (!tight.ok) throw new Error(JSON.stringify(tight.errors));
      const d = decider(undefined, tight.spec);
      let state = d.initialState();
      const decisions: DecisionMade[] = [];
      const times: number[] = [];
      const take = (input: DeciderInput, now: number): void => {
        const r = react(d, state, input, now);
        state = r.state;
        decisions.push(...r.decisions);
        for (const x of r.decisions) if (x.mode === 'execute') times.push(now);
      };
      take(opened('inc-f'), 0);
      // For 15 minutes: every action's fix is verified 5 s after it, and 5 s later the symptoms are back.
      for (let t = 5_000; t < 900_000; t += 5_000) {
        const running = state.cases['inc-f']?.attempts.find((a) => a.status === 'pending');
        const decision = decisions.find((x) => x.decisionId === running?.decisionId);
        if (decision !== undefined) take({ type: 'homeostat.outcome.recorded.v1', data: outcome(decision, 'succeeded', t) }, t);
        else take(updated('inc-f', t, t), t);
        take({ type: 'time.passed' }, t);
      }
      const executed = decisions.filter((x) => x.mode === 'execute');
      expect(executed.slice(1).every((x) => x.relapseOf !== undefined)).toBe(true);
      // At most 3 actions in any 10 minutes, at least 30 s apart; the relapses in between are escalations.
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(30_000);
      for (const t of times) expect(times.filter((u) => u > t - 600_000 && u <= t).length).toBeLessThanOrEqual(3);
      expect(times.length).toBeGreaterThanOrEqual(4);
      expect(decisions.some((x) => x.mode === 'escalate' && /cooldown|budget/.test(x.explanation.chosenBecause))).toBe(true);
    });
  });

  describe('replay', () => {
    const steps = [
      at(0, opened('inc-1')),
      at(1_000, opened('inc-2', 500)),
      at(2_000, outcomeOf(0, 'failed')),
      at(3_000, {
        type: 'homeostat.control.v1',
        data: { command: 'pause-loop', loop: 'shop-pool-exhaustion', actor: 'ana', reason: 'look first' },
      }),
      at(4_000, {
        type: 'homeostat.control.v1',
        data: { command: 'resume-loop', loop: 'shop-pool-exhaustion', actor: 'ana', reason: 'go on' },
      }),
      at(60_000, { type: 'time.passed' }),
    ] as const;

    it('given the same inputs and ids, when run twice, then the same events, decisions and state', () => {
      const a = history(decider(), [...steps]);
      const b = history(decider(), [...steps]);
      expect(a.decisions.length).toBeGreaterThanOrEqual(3);
      expect(b.events).toEqual(a.events);
      expect(b.state).toEqual(a.state);
    });

    it('given the events it recorded, when folded with evolve alone, then the same state', () => {
      const d = decider();
      const run = history(d, [...steps]);
      expect(run.events.reduce((s, e) => d.evolve(s, e), d.initialState())).toEqual(run.state);
      expect(JSON.parse(JSON.stringify(run.state))).toEqual(run.state);
    });

    it('given any event, when folded, then the state it was folded into is unchanged', () => {
      const d = decider();
      const run = history(d, [...steps]);
      let state = d.initialState();
      for (const event of run.events) {
        const before = JSON.stringify(state);
        const next = d.evolve(state, event);
        expect(JSON.stringify(state)).toBe(before);
        state = next;
      }
    });
  });

  describe('a bound on open cases', () => {
    it('given as many open cases as the bound, when one more incident opens, then the oldest is let go and counted', () => {
      const d = decider(2);
      const past = history(d, [at(0, opened('inc-b', 2_000)), at(1, opened('inc-a', 1_000))]);
      const third = deciderSpec(d)
        .given(past.events)
        .when(at(2, opened('inc-c', 3_000)))
        .then([{ incidentId: 'inc-c', attempt: 1 }]);
      expect(third.events.map((e) => e.type)).toEqual(['homeostat.incident.opened.v1', 'case.evicted', 'homeostat.decision.made.v1']);
      expect(third.events[1]).toEqual({ type: 'case.evicted', data: { incidentId: 'inc-a' } });
      expect(Object.keys(third.state.cases)).toEqual(['inc-b', 'inc-c']);
      expect(third.state.evictedCases).toBe(1);
    });

    it('given an evicted case, when the failure of its action arrives, then nothing more is tried for it, and the case waiting for its slot goes', () => {
      const d = decider(1);
      const past = history(d, [at(0, opened('inc-a')), at(1, opened('inc-b', 1))]);
      expect(past.state.evictedCases).toBe(1);
      deciderSpec(d)
        .given(past.events)
        .when(at(2, outcomeOf(0, 'failed')))
        .then([{ incidentId: 'inc-b', mode: 'execute' }]);
    });
  });
});

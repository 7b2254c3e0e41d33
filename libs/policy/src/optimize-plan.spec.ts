import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLoopSpec, type IncidentOpened, type LoopSpec, type OutcomeRecorded, type RouteObservation } from '@homeostat/contracts';
import { createDecider, react, type DeciderInput } from './decider';
import { knownOutcomes } from './optimize-plan';
import type { PolicyState } from './policy-state';

const EXAMPLE = join(__dirname, '../../../examples/gateway/loops/gateway-optimize.yaml');
const parsed = parseLoopSpec(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const loop: LoopSpec = parsed.spec;
const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const REGIME = 'rate=64-128,keys=hot,upstream=ok';
const FINGERPRINT = `optimize:catalog:${REGIME}`;

function observation(over: Partial<RouteObservation> = {}): RouteObservation {
  return {
    kind: 'opportunity',
    route: 'catalog',
    regime: REGIME,
    windowStart: '2026-12-03T09:59:40.000Z',
    windowEnd: '2026-12-03T10:00:00.000Z',
    buckets: 10,
    rps: 100,
    p50Ms: 40,
    p99Ms: 120,
    errorRatio: 0,
    cacheHitRatio: 0,
    retryRatio: 0,
    repeatRatio: 0.8,
    replicaP50Ms: { a: 20, b: 22, c: 60 },
    ...over,
  };
}

const opened = (incidentId: string, over: Partial<RouteObservation> = {}): DeciderInput => {
  const data: IncidentOpened = {
    incidentId,
    loop: loop.metadata.name,
    target: 'gateway',
    fingerprint: FINGERPRINT,
    severity: 'low',
    title: 'opportunity on route catalog',
    openedAt: new Date(T0).toISOString(),
    evidence: { series: [], logTemplates: [], failingSpans: [] },
    optimize: observation(over),
  };
  return { type: 'homeostat.incident.opened.v1', data };
};

const outcome = (decisionId: string, incidentId: string, action: string, status: OutcomeRecorded['status']): DeciderInput => ({
  type: 'homeostat.outcome.recorded.v1',
  data: {
    decisionId,
    incidentId,
    loop: loop.metadata.name,
    target: 'gateway',
    fingerprint: FINGERPRINT,
    action: { name: action, adapter: 'http', params: {} },
    status,
    dryRun: false,
    verification: { passed: status === 'succeeded', checks: [] },
    timeToRecoverMs: null,
    startedAt: new Date(T0).toISOString(),
    finishedAt: new Date(T0 + 25_000).toISOString(),
    applied: true,
    ...(status === 'rolled-back'
      ? { rollback: { action: { name: 'rollback-config', adapter: 'http' as const, params: {} }, status: 'succeeded' as const } }
      : {}),
  },
});

let ids = 0;
const decider = createDecider({ loops: new Map([[loop.metadata.name, loop]]), newId: () => `d${++ids}`, seed: 't' });
const run = (inputs: Array<[number, DeciderInput]>, state: PolicyState = decider.initialState()) =>
  inputs.reduce(
    (acc, [now, input]) => {
      const r = react(decider, acc.state, input, now);
      return { state: r.state, decisions: [...acc.decisions, ...r.decisions] };
    },
    { state, decisions: [] as ReturnType<typeof react>['decisions'] },
  );

describe('the decider on an optimize loop', () => {
  beforeEach(() => (ids = 0));

  it('drains the example loop’s slow catalog replica when P2C-EWMA is live and nothing else is left, judged by its guards', () => {
    const { decisions } = run([
      [
        T0,
        opened('i1', {
          kind: 'regression',
          p99Ms: 430,
          repeatRatio: 0,
          replicaP50Ms: { a: 25, b: 24, c: 65 },
          replicaRecentMs: { a: 431, b: 26, c: 63 },
          live: { balancer: 'p2c-ewma', cacheEnabled: true, cacheTtlMs: 22_500, cacheStaleWhileRevalidateMs: 7_500, drainedReplicas: [] },
        }),
      ],
    ]);
    expect(decisions[0]).toMatchObject({
      mode: 'execute',
      action: { name: 'drain-replica', params: { method: 'PUT', body: { upstreams: { catalog: { drained: ['a'] } } } } },
      experiment: { knob: 'replicas', judgedBy: 'guards' },
    });
    expect(decisions[0]?.explanation.chosenBecause).toMatch(/kept if the trial's 10 buckets of 2s hold its guards/);
  });

  it('decides an experiment that waited for the running one’s slot as soon as that one’s outcome frees it', () => {
    const other = opened('i2', { route: 'pricing', regime: 'rate=32-64,keys=spread,upstream=ok', repeatRatio: 0.8 }) as Extract<
      DeciderInput,
      { type: 'homeostat.incident.opened.v1' }
    >;
    const first = run([
      [T0, opened('i1')],
      [T0 + 2_000, { ...other, data: { ...other.data, fingerprint: 'optimize:pricing:rate=32-64,keys=spread,upstream=ok' } }],
    ]);
    expect(first.decisions.map((d) => [d.incidentId, d.mode])).toEqual([
      ['i1', 'execute'],
      ['i2', 'escalate'],
    ]);
    expect(first.decisions[1]?.explanation.chosenBecause).toMatch(/blast-radius/);
    const freed = run([[T0 + 25_000, outcome(first.decisions[0]!.decisionId, 'i1', 'tune-cache', 'succeeded')]], first.state);
    expect(freed.decisions.map((d) => [d.incidentId, d.mode, d.action?.name])).toEqual([['i2', 'execute', 'tune-cache']]);
  });

  it('decides an experiment: the designed change through the actuator, with its guards, measure and alternatives', () => {
    const { decisions } = run([[T0, opened('i1')]]);
    expect(decisions).toHaveLength(1);
    const d = decisions[0]!;
    expect(d).toMatchObject({
      mode: 'execute',
      action: {
        name: 'tune-cache',
        adapter: 'http',
        params: {
          method: 'PUT',
          url: '${GATEWAY_URL:-http://127.0.0.1:8000}/actuator/config',
          body: { routes: { catalog: { cache: { enabled: true, ttlMs: 22_500, staleWhileRevalidateMs: 7_500 } } } },
        },
      },
      experiment: {
        route: 'catalog',
        knob: 'cache',
        knownGood: false,
        trialBuckets: 10,
        bucketMs: 2_000,
        guards: { p99MaxMs: 250, neverCached: false },
      },
    });
    expect(d.explanation.chosenBecause).toMatch(/Mann-Whitney/);
    expect(d.explanation.chosenBecause).toMatch(/alternatives: balance catalog/);
    expect(d.explanation.guardrails.map((g) => g.name)).toEqual(expect.arrayContaining(['kill-switch', 'budget', 'cooldown', 'autonomy']));
  });

  it('after a rollback tries the next change, and escalates when none is left', () => {
    const first = run([[T0, opened('i1')]]);
    const next = run([[T0 + 25_000, outcome('d1', 'i1', 'tune-cache', 'rolled-back')]], first.state);
    expect(next.decisions).toMatchObject([{ mode: 'execute', action: { name: 'set-balancer' }, experiment: { knob: 'balancer' } }]);
    const done = run(
      [
        [T0 + 60_000, outcome('d2', 'i1', 'set-balancer', 'rolled-back')],
        [T0 + 70_000, { type: 'time.passed' }],
      ],
      next.state,
    );
    expect(done.decisions.at(-1)).toMatchObject({
      mode: 'escalate',
      action: null,
      explanation: { chosenBecause: expect.stringMatching(/no experiment left.*tune-cache, set-balancer/) },
    });
  });

  it('runs no experiment once the budget is spent, nor under the kill switch', () => {
    const tight: LoopSpec = {
      ...loop,
      spec: { ...loop.spec, guardrails: { ...loop.spec.guardrails, budget: { maxActions: 0, window: '1h', perTarget: true } } },
    };
    const broke = createDecider({ loops: new Map([[tight.metadata.name, tight]]), newId: () => 'x', seed: 't' });
    const spent = react(broke, broke.initialState(), opened('i1'), T0);
    expect(spent.decisions).toMatchObject([
      { mode: 'escalate', action: null, explanation: { chosenBecause: expect.stringMatching(/budget/) } },
    ]);

    const killed = run([
      [T0 - 1, { type: 'homeostat.control.v1', data: { command: 'kill-switch', state: 'on', actor: 'ops', reason: 'test' } }],
      [T0, opened('i1')],
    ]);
    expect(killed.decisions).toMatchObject([
      { mode: 'escalate', action: null, explanation: { chosenBecause: expect.stringMatching(/kill/) } },
    ]);
  });

  it('runs no experiment on a paused loop, and a person approves one under the propose autonomy level', () => {
    const paused = run([
      [T0 - 1, { type: 'homeostat.control.v1', data: { command: 'pause-loop', loop: loop.metadata.name, actor: 'ops', reason: 'freeze' } }],
      [T0, opened('i1')],
    ]);
    expect(paused.decisions).toMatchObject([
      { mode: 'escalate', action: null, explanation: { chosenBecause: expect.stringMatching(/loop-paused/) } },
    ]);

    const proposing: LoopSpec = { ...loop, spec: { ...loop.spec, autonomy: { ...loop.spec.autonomy, start: 'propose' } } };
    const careful = createDecider({ loops: new Map([[proposing.metadata.name, proposing]]), newId: () => 'p', seed: 't' });
    const proposed = react(careful, careful.initialState(), opened('i1'), T0);
    expect(proposed.decisions).toMatchObject([
      { mode: 'approval-required', autonomyLevel: 'propose', action: { name: 'tune-cache' }, experiment: { knob: 'cache' } },
    ]);
  });

  it('goes straight to the known-good config when the regime returns', () => {
    const knowledge: DeciderInput = {
      type: 'homeostat.knowledge.updated.v1',
      data: {
        loop: loop.metadata.name,
        fingerprint: FINGERPRINT,
        action: 'set-balancer',
        tries: 2,
        successes: 2,
        failures: 0,
        meanTimeToRecoverMs: null,
        p50TimeToRecoverMs: null,
        lastOutcomeAt: new Date(T0).toISOString(),
        posterior: { alpha: 3, beta: 1 },
        params: { method: 'PUT', url: 'http://gw/actuator/config', body: { upstreams: { catalog: { balancer: 'p2c-ewma' } } } },
      },
    };
    const { decisions } = run([
      [T0 - 1, knowledge],
      [T0, opened('i2')],
    ]);
    expect(decisions).toMatchObject([
      {
        action: { name: 'set-balancer', params: { body: { upstreams: { catalog: { balancer: 'p2c-ewma' } } } } },
        experiment: { knownGood: true, knob: 'balancer' },
        explanation: { chosenBecause: expect.stringMatching(/known-good config of this regime/) },
      },
    ]);
  });

  it('goes straight to the config it saw kept when the regime returns before the learner’s knowledge does, and counts it once', () => {
    const cache = {
      method: 'PUT' as const,
      url: 'http://gw/actuator/config',
      body: { routes: { catalog: { cache: { enabled: true, ttlMs: 22_500, staleWhileRevalidateMs: 7_500 } } } },
    };
    const experimentResult = {
      kept: true,
      reason: 'improved beyond noise',
      baselineMedianMs: 40,
      trialMedianMs: 1,
      effectMs: 39,
      effectLowMs: 35,
      effectHighMs: 41,
      pValue: 0.001,
      baselineBuckets: 10,
      trialBuckets: 10,
    };
    const kept = outcome('d1', 'i1', 'tune-cache', 'succeeded');
    if (kept.type !== 'homeostat.outcome.recorded.v1') throw new Error('an outcome');
    kept.data = { ...kept.data, action: { ...kept.data.action, params: cache }, experiment: experimentResult };
    const resolved: DeciderInput = {
      type: 'homeostat.incident.resolved.v1',
      data: {
        incidentId: 'i1',
        loop: loop.metadata.name,
        target: 'gateway',
        fingerprint: FINGERPRINT,
        openedAt: new Date(T0).toISOString(),
        resolvedAt: new Date(T0 + 40_000).toISOString(),
        resolution: 'recovered',
      },
    };
    const searched = run([
      [T0, opened('i1')],
      [T0 + 25_000, kept],
      // Redelivered: still one kept outcome.
      [T0 + 25_001, kept],
      [T0 + 40_000, resolved],
    ]);
    expect(searched.state.outcomesAhead?.[FINGERPRINT]?.['tune-cache']).toEqual([
      { decisionId: 'd1', at: T0 + 25_000, held: true, params: cache },
    ]);
    // The regime returns; no knowledge update has reached the decider yet.
    const returned = run([[T0 + 60_000, opened('i2')]], searched.state);
    expect(returned.decisions).toMatchObject([
      {
        action: { name: 'tune-cache', params: { method: 'PUT', body: cache.body } },
        experiment: { knownGood: true, knob: 'cache' },
        explanation: { chosenBecause: expect.stringMatching(/seen before: tune-cache kept 1✓ 0✗/) },
      },
    ]);
    // The learner's update counts that outcome: the decider's own record of it goes, nothing is counted twice.
    const learned: DeciderInput = {
      type: 'homeostat.knowledge.updated.v1',
      data: {
        loop: loop.metadata.name,
        fingerprint: FINGERPRINT,
        action: 'tune-cache',
        tries: 1,
        successes: 1,
        failures: 0,
        meanTimeToRecoverMs: null,
        p50TimeToRecoverMs: null,
        lastOutcomeAt: new Date(T0 + 25_000).toISOString(),
        posterior: { alpha: 2, beta: 1 },
        params: cache,
      },
    };
    const caughtUp = run([[T0 + 61_000, learned]], searched.state);
    expect(caughtUp.state.outcomesAhead).toEqual({});
    expect(knownOutcomes(caughtUp.state, FINGERPRINT)).toEqual([{ action: 'tune-cache', successes: 1, failures: 0, params: cache }]);
    // An outcome the held knowledge already counts (its update came first) is not held ahead again.
    expect(run([[T0 + 62_000, kept]], caughtUp.state).state.outcomesAhead).toEqual({});
  });

  it('holds a rolled-back experiment against its action until the learner counts it', () => {
    const rolledBack = outcome('d1', 'i1', 'tune-cache', 'rolled-back');
    if (rolledBack.type !== 'homeostat.outcome.recorded.v1') throw new Error('an outcome');
    rolledBack.data = {
      ...rolledBack.data,
      experiment: {
        kept: false,
        reason: 'guard broken',
        baselineMedianMs: 40,
        trialMedianMs: null,
        effectMs: null,
        effectLowMs: null,
        effectHighMs: null,
        pValue: null,
        baselineBuckets: 10,
        trialBuckets: 2,
        guardBreach: 'error ratio',
      },
    };
    const { state } = run([
      [T0, opened('i1')],
      [T0 + 25_000, rolledBack],
    ]);
    expect(knownOutcomes(state, FINGERPRINT)).toEqual([{ action: 'tune-cache', successes: 0, failures: 1 }]);
    // Not an optimize outcome (no experiment): the learner's knowledge alone counts it.
    expect(run([[T0 + 25_000, outcome('d9', 'i9', 'tune-cache', 'succeeded')]]).state.outcomesAhead).toBeUndefined();
  });

  it('after a kept experiment that left the route out of its SLO, takes the next knob, then escalates once when none is left', () => {
    // The analyzer's update of the open incident: still failing, with what it sees now.
    const updated = (at: number, over: Partial<RouteObservation> = {}): DeciderInput => ({
      type: 'homeostat.incident.updated.v1',
      data: {
        incidentId: 'i1',
        loop: loop.metadata.name,
        target: 'gateway',
        fingerprint: FINGERPRINT,
        severity: 'medium',
        title: 'regression on route catalog',
        openedAt: new Date(T0).toISOString(),
        updatedAt: new Date(at).toISOString(),
        failingAt: new Date(at).toISOString(),
        failingSince: new Date(T0).toISOString(),
        evidence: { series: [], logTemplates: [], failingSpans: [] },
        optimize: observation({ kind: 'regression', p99Ms: 400, cacheHitRatio: 0.2, ...over }),
      },
    });
    const first = run([[T0, opened('i1')]]);
    expect(first.decisions).toMatchObject([{ action: { name: 'tune-cache' } }]);
    const kept = run([[T0 + 25_000, outcome('d1', 'i1', 'tune-cache', 'succeeded')]], first.state);
    expect(kept.decisions).toEqual([]);
    // Within the loop's gathering window (4 s) of the verdict the analyzer may still see the old config: no news.
    expect(run([[T0 + 28_000, updated(T0 + 28_000)]], kept.state).decisions).toEqual([]);
    const next = run([[T0 + 50_000, updated(T0 + 50_000)]], kept.state);
    // Not the kept cache again (the update's observation still shows few hits): the next knob.
    expect(next.decisions).toMatchObject([
      { mode: 'execute', attempt: 2, relapseOf: 'd1', action: { name: 'set-balancer' }, experiment: { knob: 'balancer' } },
    ]);
    // So too when the telemetry names the live knobs and the kept cache is still live; when a
    // person has switched it off since, it is made again.
    const cache = { cacheEnabled: true, cacheTtlMs: 22_500, cacheStaleWhileRevalidateMs: 7_500 };
    expect(run([[T0 + 50_000, updated(T0 + 50_000, { live: cache })]], kept.state).decisions).toMatchObject([
      { action: { name: 'set-balancer' } },
    ]);
    expect(run([[T0 + 50_000, updated(T0 + 50_000, { live: { ...cache, cacheEnabled: false } })]], kept.state).decisions).toMatchObject([
      { action: { name: 'tune-cache' } },
    ]);
    const done = run(
      [
        [T0 + 80_000, outcome('d2', 'i1', 'set-balancer', 'succeeded')],
        [T0 + 110_000, updated(T0 + 110_000)],
      ],
      next.state,
    );
    expect(done.decisions).toMatchObject([
      {
        mode: 'escalate',
        explanation: { chosenBecause: expect.stringMatching(/no experiment left.*tune-cache, set-balancer.*people must look/) },
      },
    ]);
    // The same failure going on is not a reason to escalate again at every update.
    expect(run([[T0 + 120_000, updated(T0 + 120_000)]], done.state).decisions).toEqual([]);
  });

  it('decides again when an update of an escalated regression shows a change its opening could not', () => {
    // Opened a bucket or two into a pricing-like outage: errors, but the window has few retries yet,
    // and what the errors call for (retries, P2C) is live already: nothing to try.
    const live = { retryMaxAttempts: 2, retryBudgetRatio: 0.2, balancer: 'p2c-ewma' };
    const outage = { kind: 'regression' as const, repeatRatio: 0, errorRatio: 0.4, retryRatio: 0.05, p99Ms: 300, live };
    const first = run([[T0, opened('i1', outage)]]);
    expect(first.decisions).toMatchObject([{ mode: 'escalate', action: null }]);
    // The analyzer's update at `at`: its window the 20 s before.
    const update = (at: number, over: Partial<RouteObservation>): DeciderInput => ({
      type: 'homeostat.incident.updated.v1',
      data: {
        ...(
          opened('i1', {
            ...outage,
            windowStart: new Date(at - 20_000).toISOString(),
            windowEnd: new Date(at).toISOString(),
            ...over,
          }) as { data: IncidentOpened }
        ).data,
        updatedAt: new Date(at).toISOString(),
        failingAt: new Date(at).toISOString(),
        failingSince: new Date(T0).toISOString(),
      },
    });
    // Still nothing to try: no second escalation.
    const same = run([[T0 + 10_000, update(T0 + 10_000, {})]], first.state);
    expect(same.decisions).toEqual([]);
    // Retries past 20 % of requests (the budget's floor at a low rate), but the window still holds
    // the seconds before the opening: its error ratio would set the guards too low. Not yet.
    const storm = { errorRatio: 1, retryRatio: 0.29 };
    expect(run([[T0 + 10_000, update(T0 + 10_000, storm)]], same.state).decisions).toEqual([]);
    // The window has caught up with the regime: the retries are cut, as an experiment.
    const caught = run([[T0 + 20_000, update(T0 + 20_000, storm)]], same.state);
    expect(caught.decisions).toMatchObject([
      {
        mode: 'execute',
        attempt: 1,
        action: { name: 'tune-retry' },
        experiment: { knob: 'retry', change: expect.stringMatching(/1 attempt/), guards: { errorRatioMax: 1 } },
      },
    ]);
    // In flight: the next update is no news.
    expect(run([[T0 + 23_000, update(T0 + 23_000, storm)]], caught.state).decisions).toEqual([]);
  });

  it('goes on to the next change when the executor skipped one as already live', () => {
    const first = run([[T0, opened('i1')]]);
    const skipped: DeciderInput = {
      type: 'homeostat.outcome.recorded.v1',
      data: {
        ...(outcome('d1', 'i1', 'tune-cache', 'skipped') as { data: OutcomeRecorded }).data,
        applied: false,
        verification: { passed: false, checks: [{ name: 'config-unchanged', passed: false, detail: 'already live' }] },
      },
    };
    expect(run([[T0 + 10_000, skipped]], first.state).decisions).toMatchObject([{ mode: 'execute', action: { name: 'set-balancer' } }]);
    // A dry run's skip is not one.
    const dry: DeciderInput = { type: 'homeostat.outcome.recorded.v1', data: { ...(skipped.data as OutcomeRecorded), dryRun: true } };
    expect(run([[T0 + 10_000, dry]], first.state).decisions).toEqual([]);
  });

  it('never caches nor retries the non-idempotent orders route', () => {
    const { decisions } = run([[T0, opened('i3', { route: 'orders', repeatRatio: 1, retryRatio: 0.5, errorRatio: 0, p99Ms: 100 })]]);
    expect(decisions).toMatchObject([{ mode: 'escalate', action: null }]);
    expect(decisions[0]!.explanation.candidates.find((c) => c.action === 'tune-cache')).toMatchObject({ eligible: false });
    expect(decisions[0]!.explanation.candidates.find((c) => c.action === 'tune-retry')?.reason).toMatch(/never retried/);
  });
});

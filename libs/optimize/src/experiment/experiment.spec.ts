import { loopSpecSchema, type Experiment, type OptimizeSpec, type RouteObservation } from '@homeostat/contracts';
import { designExperiments, KNOB_ACTIONS, RESTORE_REPLICA_ACTION } from './design';
import { experimentGuards, guardBreach, judgeExperiment } from './guards';
import { lowerThan } from './rank-test';
import { regimeFingerprint, regimeSignature } from './regime';
import type { RouteBucket } from './route-stats';

const loop = loopSpecSchema.parse({
  apiVersion: 'homeostat.dev/v1',
  kind: 'Loop',
  metadata: { name: 'gw', version: 1 },
  spec: {
    kind: 'optimize',
    target: { service: 'gateway' },
    signals: [{ kind: 'span', name: '*' }],
    actions: [...Object.values(KNOB_ACTIONS), RESTORE_REPLICA_ACTION]
      .map((name) => ({
        name,
        adapter: 'http',
        params: { method: 'PUT', url: 'http://gw/actuator/config' },
        risk: 'low',
        inverse: 'rollback-config',
      }))
      .concat([
        {
          name: 'rollback-config',
          adapter: 'http',
          params: { method: 'POST', url: 'http://gw/actuator/config/rollback' },
          risk: 'low',
        } as never,
      ]),
    guardrails: {
      budget: { maxActions: 5, window: '10m' },
      cooldown: '1s',
      blastRadius: { maxConcurrent: 1 },
      circuitBreaker: { consecutiveFailures: 3 },
      approval: { aboveRisk: 'high' },
      dryRun: false,
    },
    verification: { metric: { name: 'route.latency', threshold: 1 }, deadline: '1m' },
    optimize: {
      actuator: 'http://gw',
      bucket: '1s',
      baselineBuckets: 8,
      trialBuckets: 8,
      routes: {
        catalog: {
          upstream: 'catalog',
          idempotent: true,
          maxStaleness: '40s',
          slo: { p99: '250ms', errorRatio: 0.01 },
          knobs: { cacheTtl: { min: '1s', max: '30s' }, retryAttempts: { min: 1, max: 3 }, balancers: ['round-robin', 'p2c-ewma'] },
        },
        orders: {
          upstream: 'orders',
          idempotent: false,
          maxStaleness: '0s',
          slo: { p99: '500ms', errorRatio: 0.01 },
          knobs: { concurrencyLimit: { min: 8, max: 64 }, retryAttempts: { min: 1, max: 1 } },
        },
      },
    },
  },
});
const spec = loop.spec.optimize as OptimizeSpec;
const catalog = new Set(loop.spec.actions.map((a) => a.name));

function observation(over: Partial<RouteObservation> = {}): RouteObservation {
  return {
    kind: 'opportunity',
    route: 'catalog',
    regime: 'rate=64-128,keys=hot,upstream=ok',
    windowStart: '2026-12-03T10:00:00.000Z',
    windowEnd: '2026-12-03T10:00:08.000Z',
    buckets: 8,
    rps: 100,
    p50Ms: 40,
    p99Ms: 120,
    errorRatio: 0,
    cacheHitRatio: 0,
    retryRatio: 0,
    repeatRatio: 0.8,
    ...over,
  };
}

/** Buckets with a given p99 (ms) each, 50 requests, nothing else happening. */
const buckets = (p99s: number[], over: Partial<RouteBucket> = {}): RouteBucket[] =>
  p99s.map((p99Ms, i) => ({
    startMs: i * 1000,
    requests: 50,
    errors: 0,
    p50Ms: p99Ms / 3,
    p99Ms,
    cacheHits: 0,
    retries: 0,
    repeats: 0,
    ...over,
  }));

function experiment(over: Partial<Experiment> = {}): Experiment {
  return {
    route: 'catalog',
    regime: 'r',
    knob: 'cache',
    change: 'cache catalog',
    knownGood: false,
    objective: 'p99',
    bucketMs: 1000,
    baselineBuckets: 8,
    trialBuckets: 8,
    minRequestsPerBucket: 5,
    alpha: 0.05,
    minImprovement: 0.05,
    guards: experimentGuards(spec, spec.routes['catalog']!, observation()),
    expectedGain: 0.8,
    ...over,
  };
}

describe('the rank test (one-sided Mann-Whitney, Hodges-Lehmann shift)', () => {
  it('finds a clear drop significant, with the shift and an interval around it', () => {
    const t = lowerThan([100, 110, 105, 98, 120, 102, 99, 108], [40, 45, 38, 50, 42, 41, 39, 44]);
    expect(t.pValue).toBeLessThan(0.001);
    expect(t.shift).toBeGreaterThan(50);
    expect(t.shiftLow).toBeLessThanOrEqual(t.shift);
    expect(t.shiftHigh).toBeGreaterThanOrEqual(t.shift);
  });

  it('finds interleaved values not significant, and is not fooled by one outlier', () => {
    expect(lowerThan([100, 104, 98, 102, 99, 101, 103, 97], [101, 99, 103, 98, 100, 104, 102, 96]).pValue).toBeGreaterThan(0.3);
    // One huge baseline bucket changes its rank, not the verdict.
    expect(lowerThan([100, 104, 98, 102, 99, 101, 103, 5000], [101, 99, 103, 98, 100, 104, 102, 96]).pValue).toBeGreaterThan(0.1);
  });

  it('refuses an empty side', () => {
    expect(() => lowerThan([], [1])).toThrow(/both sides/);
  });
});

describe('experiment design', () => {
  it('proposes caching a hot-key idempotent route within its TTL range and staleness', () => {
    const [best] = designExperiments({ spec, observation: observation(), ruledOut: new Set(), catalog, known: [] });
    expect(best).toMatchObject({
      knob: 'cache',
      action: 'tune-cache',
      eligible: true,
      patch: { routes: { catalog: { cache: { enabled: true, ttlMs: 30_000, staleWhileRevalidateMs: 10_000 } } } },
    });
    expect(best!.expectedGain).toBeCloseTo(0.8);
  });

  it('never proposes caching or retrying a non-idempotent route, whatever the traffic', () => {
    const obs = observation({ route: 'orders', repeatRatio: 1, errorRatio: 0.3, retryRatio: 0.5 });
    const candidates = designExperiments({ spec, observation: obs, ruledOut: new Set(), catalog, known: [] });
    expect(candidates.find((c) => c.knob === 'cache')).toMatchObject({ eligible: false, why: 'not idempotent: never cached' });
    expect(candidates.find((c) => c.knob === 'retry')).toMatchObject({ eligible: false, why: 'not idempotent: never retried' });
  });

  it('proposes nothing when the cache already serves what repeats, and skips what this opportunity already tried', () => {
    const served = designExperiments({ spec, observation: observation({ cacheHitRatio: 0.78 }), ruledOut: new Set(), catalog, known: [] });
    expect(served.filter((c) => c.eligible)).toEqual([]);
    const tried = designExperiments({ spec, observation: observation(), ruledOut: new Set(['tune-cache']), catalog, known: [] });
    expect(tried.find((c) => c.knob === 'cache')?.eligible).toBe(false);
  });

  it('balances away from a slow replica and cuts retries that amplify load', () => {
    const obs = observation({ repeatRatio: 0, retryRatio: 0.4, replicaP50Ms: { a: 20, b: 20, c: 60 } });
    const candidates = designExperiments({ spec, observation: obs, ruledOut: new Set(), catalog, known: [] }).filter((c) => c.eligible);
    expect(candidates.map((c) => c.knob)).toEqual(['retry', 'balancer']);
    expect(candidates[0]!.patch).toEqual({ routes: { catalog: { retry: { maxAttempts: 1, budgetRatio: 0.1 } } } });
    expect(candidates[1]!.patch).toEqual({ upstreams: { catalog: { balancer: 'p2c-ewma' } } });
  });

  it('raises a concurrency limit only when the route can hold enough in flight for the limit to be what sheds it', () => {
    const design = (over: Partial<RouteObservation>) =>
      designExperiments({
        spec,
        observation: observation({ route: 'orders', repeatRatio: 0, ...over }),
        ruledOut: new Set(),
        catalog,
        known: [],
      }).find((c) => c.knob === 'concurrency');
    // 200 req/s × 150 ms = 30 in flight at most against a limit of 20: shed by the limit.
    expect(design({ rps: 200, p99Ms: 150, errorRatio: 0.1, live: { concurrencyLimit: 20 } })).toMatchObject({ eligible: true });
    // 20 req/s × 240 ms = 4.8 in flight against a limit of 20: the errors are timeouts at the SLO, not shedding.
    expect(design({ rps: 20, p99Ms: 240, errorRatio: 0.5, live: { concurrencyLimit: 20 } })).toMatchObject({
      eligible: false,
      why: expect.stringMatching(/at most 4\.8 in flight .* limit of 20: the limit is not what fails them/),
    });
    // Telemetry that does not name the live limit: as before, errors within the latency SLO are taken for shedding.
    expect(design({ rps: 20, p99Ms: 240, errorRatio: 0.5 })).toMatchObject({ eligible: true });
  });

  it('never proposes what the live knobs already have: P2C-EWMA when it balances, the cache when it is on as designed', () => {
    const obs = observation({ replicaP50Ms: { a: 20, b: 20, c: 60 }, repeatRatio: 0.8, cacheHitRatio: 0.1 });
    const blind = designExperiments({ spec, observation: obs, ruledOut: new Set(), catalog, known: [] }).filter((c) => c.eligible);
    expect(blind.map((c) => c.knob)).toEqual(['cache', 'balancer']);
    const live = { configVersion: 3, balancer: 'p2c-ewma', cacheEnabled: true, cacheTtlMs: 30_000, cacheStaleWhileRevalidateMs: 10_000 };
    const seeing = designExperiments({ spec, observation: { ...obs, live }, ruledOut: new Set(), catalog, known: [] });
    expect(seeing.filter((c) => c.eligible)).toEqual([]);
    expect(seeing.find((c) => c.knob === 'balancer')?.why).toMatch(/already live \(config version 3\)$/);
    // A cache that is on with another TTL is a change; round-robin balancing is one too.
    const other = designExperiments({
      spec,
      observation: { ...obs, live: { ...live, balancer: 'round-robin', cacheTtlMs: 5_000 } },
      ruledOut: new Set(),
      catalog,
      known: [],
    }).filter((c) => c.eligible);
    expect(other.map((c) => c.knob)).toEqual(['cache', 'balancer']);
  });

  it('skips a known-good config that is already live, for the next change', () => {
    const params = { method: 'PUT', url: 'http://gw/actuator/config', body: { upstreams: { catalog: { balancer: 'p2c-ewma' } } } };
    const [best] = designExperiments({
      spec,
      observation: observation({ live: { balancer: 'p2c-ewma' } }),
      ruledOut: new Set(),
      catalog,
      known: [{ action: 'set-balancer', successes: 2, failures: 0, params }],
    });
    expect(best).toMatchObject({ knob: 'cache', knownGood: false, eligible: true });
  });

  it('goes straight to the known-good config when the regime returns, and leaves out what failed in it', () => {
    const params = {
      method: 'PUT',
      url: 'http://gw/actuator/config',
      body: { routes: { catalog: { cache: { enabled: true, ttlMs: 5000 } } } },
    };
    const back = designExperiments({
      spec,
      observation: observation({ retryRatio: 0.4 }),
      ruledOut: new Set(),
      catalog,
      known: [
        { action: 'tune-cache', successes: 2, failures: 0, params },
        { action: 'tune-retry', successes: 0, failures: 2 },
      ],
    });
    expect(back[0]).toMatchObject({ knownGood: true, action: 'tune-cache', patch: params.body, eligible: true });
    expect(back.find((c) => c.knob === 'retry')).toMatchObject({ eligible: false });
    expect(back.find((c) => c.knob === 'retry')?.why).toMatch(/rolled back 2×/);
  });
});

describe('draining a slow replica', () => {
  const drainSpec: OptimizeSpec = {
    ...spec,
    routes: {
      ...spec.routes,
      catalog: { ...spec.routes['catalog']!, knobs: { ...spec.routes['catalog']!.knobs, drainReplicas: { max: 1 } } },
    },
  };
  const A = 'http://127.0.0.1:4101';
  const B = 'http://127.0.0.1:4102';
  const C = 'http://127.0.0.1:4103';
  // The slow-replica opportunity as the analyzer sees it with P2C-EWMA live: the replica gets few
  // requests, so the window's median still remembers it fast, but its newest attempts are slow.
  const slow = observation({
    kind: 'regression',
    repeatRatio: 0,
    p99Ms: 430,
    replicaP50Ms: { [A]: 25, [B]: 24, [C]: 65 },
    replicaRecentMs: { [A]: 431, [B]: 26, [C]: 63 },
    live: { configVersion: 2, balancer: 'p2c-ewma', retryMaxAttempts: 2, retryBudgetRatio: 0.2, drainedReplicas: [] },
  });
  const design = (o: RouteObservation, known: Parameters<typeof designExperiments>[0]['known'] = []) =>
    designExperiments({ spec: drainSpec, observation: o, ruledOut: new Set(), catalog, known });

  it('drains a replica whose newest attempts are past the SLO and far above its peers’, judged by its guards', () => {
    const best = design(slow).find((c) => c.eligible);
    expect(best).toMatchObject({
      knob: 'replicas',
      action: 'drain-replica',
      patch: { upstreams: { catalog: { drained: [A] } } },
      judgedBy: 'guards',
      knownGood: false,
    });
    expect(best?.why).toMatch(/431 ms .* past the SLO's 250 ms/);
    // Without the declared range, or the action in the catalog, nothing (the balancer is live already).
    expect(designExperiments({ spec, observation: slow, ruledOut: new Set(), catalog, known: [] }).filter((c) => c.eligible)).toEqual([]);
  });

  it('drains no replica that is only slower than its peers within the SLO, nor one of several all slow (a slow dependency)', () => {
    const within = design(observation({ replicaRecentMs: { [A]: 25, [B]: 24, [C]: 200 } })).find((c) => c.knob === 'replicas');
    expect(within).toMatchObject({ eligible: false, why: expect.stringMatching(/no outlier/) });
    const all = design(observation({ replicaRecentMs: { [A]: 420, [B]: 410, [C]: 450 } })).find((c) => c.knob === 'replicas');
    expect(all).toMatchObject({ eligible: false });
  });

  it('drains no more replicas than the declared maximum', () => {
    const second = design(
      observation({ replicaRecentMs: { [A]: 430, [B]: 25, [C]: 500 }, live: { drainedReplicas: [A] }, repeatRatio: 0 }),
    ).find((c) => c.knob === 'replicas');
    expect(second).toMatchObject({ eligible: false, why: expect.stringMatching(/1 of at most 1 replica\(s\) are drained already/) });
  });

  it('puts a drained replica back once its mirrored requests answer like its peers, not while they are slow', () => {
    const still = design({ ...slow, live: { ...slow.live, drainedReplicas: [A] } });
    expect(still.filter((c) => c.eligible)).toEqual([]);
    const healed = design({ ...slow, kind: 'opportunity', replicaRecentMs: { [A]: 27, [B]: 26, [C]: 63 }, live: { drainedReplicas: [A] } });
    expect(healed.find((c) => c.eligible)).toMatchObject({
      knob: 'replicas',
      action: RESTORE_REPLICA_ACTION,
      patch: { upstreams: { catalog: { drained: [] } } },
      judgedBy: 'guards',
    });
    // A put-back rolled back before is tried again on fresh evidence.
    const again = design({ ...slow, replicaRecentMs: { [A]: 27, [B]: 26, [C]: 63 }, live: { drainedReplicas: [A] } }, [
      { action: RESTORE_REPLICA_ACTION, successes: 0, failures: 2 },
    ]);
    expect(again.find((c) => c.eligible)?.action).toBe(RESTORE_REPLICA_ACTION);
  });

  it('labels the drain known-good where the regime kept it before, and never replays a remembered replica', () => {
    const params = { method: 'PUT', url: 'http://gw/actuator/config', body: { upstreams: { catalog: { drained: [C] } } } };
    const back = design(slow, [{ action: 'drain-replica', successes: 2, failures: 0, params }]);
    expect(back[0]).toMatchObject({ knownGood: true, patch: { upstreams: { catalog: { drained: [A] } } }, eligible: true });
    expect(back[0]?.why).toMatch(/draining kept 2× in this regime/);
  });
});

describe('guards and the verdict', () => {
  const baseline = buckets([120, 118, 125, 119, 122, 121, 117, 124]);

  it('keeps a change that lowered the objective beyond noise, with the measured effect and its interval', () => {
    const result = judgeExperiment(experiment(), baseline, buckets([40, 42, 39, 45, 41, 38, 44, 40]));
    expect(result).toMatchObject({ kept: true, baselineBuckets: 8, trialBuckets: 8 });
    expect(result.effectMs!).toBeGreaterThan(70);
    expect(result.effectLowMs!).toBeLessThanOrEqual(result.effectMs!);
    expect(result.pValue!).toBeLessThan(0.01);
    expect(result.reason).toMatch(/improved beyond noise/);
  });

  it('does not keep noise: the same latency, shuffled', () => {
    const result = judgeExperiment(experiment(), baseline, buckets([121, 124, 117, 120, 125, 118, 122, 119]));
    expect(result.kept).toBe(false);
    expect(result.reason).toMatch(/not beyond noise/);
  });

  it('does not keep a significant but tiny gain', () => {
    const result = judgeExperiment(experiment({ minImprovement: 0.2 }), baseline, buckets([110, 109, 111, 108, 112, 110, 109, 111]));
    expect(result.kept).toBe(false);
    expect(result.reason).toMatch(/below the 20 % worth keeping/);
  });

  it('breaks at once on errors above the guard, or a cache hit on a non-idempotent route', () => {
    const trial = [...buckets([40, 40]), ...buckets([40], { errors: 10 })];
    expect(guardBreach(experiment(), trial)).toMatch(/error ratio 0.200/);
    expect(judgeExperiment(experiment(), baseline, trial)).toMatchObject({
      kept: false,
      guardBreach: expect.stringMatching(/error ratio/),
    });
    expect(
      guardBreach(experiment({ guards: { p99MaxMs: 1000, errorRatioMax: 0.01, neverCached: true } }), buckets([40], { cacheHits: 1 })),
    ).toMatch(/non-idempotent/);
  });

  it('breaks on p99 over the guard only in two buckets in a row', () => {
    const guards = experiment().guards;
    expect(guards.p99MaxMs).toBe(250);
    expect(guardBreach(experiment(), buckets([40, 400, 40, 400, 40]))).toBeUndefined();
    expect(guardBreach(experiment(), buckets([40, 400, 400]))).toMatch(/two trial buckets in a row/);
  });

  it('lets a route already over its SLO get no more than the tolerance worse', () => {
    const guards = experimentGuards(spec, spec.routes['catalog']!, observation({ p99Ms: 400, errorRatio: 0.05 }));
    expect(guards.p99MaxMs).toBeCloseTo(440);
    expect(guards.errorRatioMax).toBeCloseTo(0.055);
  });

  it('keeps a change judged by its guards once its trial held them, and rolls it back when one broke', () => {
    const byGuards = experiment({ knob: 'replicas', judgedBy: 'guards' });
    // The same latency as the baseline: noise for an objective, a kept drain for its guards.
    const kept = judgeExperiment(byGuards, baseline, buckets([121, 124, 117, 120, 125, 118, 122, 119]));
    expect(kept).toMatchObject({ kept: true, reason: expect.stringMatching(/held its guards over 8 trial bucket/) });
    expect(judgeExperiment(byGuards, baseline, buckets([40, 400, 400, 40]))).toMatchObject({
      kept: false,
      guardBreach: expect.any(String),
    });
    expect(judgeExperiment(byGuards, [], buckets([40, 40, 40], { requests: 2 }))).toMatchObject({ kept: false });
  });

  it('says too few buckets instead of guessing', () => {
    expect(judgeExperiment(experiment(), baseline, buckets([40, 40, 40], { requests: 2 })).reason).toMatch(/too few buckets/);
  });
});

describe('traffic regimes', () => {
  const route = spec.routes['catalog']!;
  const summary = {
    route: 'catalog',
    buckets: 8,
    requests: 800,
    rps: 100,
    p50Ms: 40,
    p99Ms: 120,
    errorRatio: 0,
    cacheHitRatio: 0,
    retryRatio: 0,
    repeatRatio: 0.8,
  };

  it('gives the same signature when the regime returns, another after a 3× step, a skew change or upstream trouble', () => {
    const base = regimeSignature(summary, route);
    expect(base).toBe('rate=64-128,keys=hot,upstream=ok');
    expect(regimeSignature({ ...summary, rps: 120 }, route)).toBe(base);
    expect(regimeSignature({ ...summary, rps: 300 }, route)).not.toBe(base);
    expect(regimeSignature({ ...summary, repeatRatio: 0.1 }, route)).toBe('rate=64-128,keys=spread,upstream=ok');
    expect(regimeSignature({ ...summary, errorRatio: 0.2 }, route)).toBe('rate=64-128,keys=hot,upstream=degraded');
    expect(regimeFingerprint('catalog', base)).toBe('optimize:catalog:rate=64-128,keys=hot,upstream=ok');
  });
});

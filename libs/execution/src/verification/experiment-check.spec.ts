import type { Experiment } from '@homeostat/contracts';
import type { RouteBucket } from '@homeostat/optimize';
import { awaitCleanBaseline, TELEMETRY_LAG_MS, verifyExperiment, type RouteMetrics } from './experiment-check';
import type { VerifierClock } from './health-check';

const experiment: Experiment = {
  route: 'catalog',
  regime: 'r',
  knob: 'cache',
  change: 'cache catalog',
  knownGood: false,
  objective: 'p99',
  bucketMs: 1_000,
  baselineBuckets: 6,
  trialBuckets: 6,
  minRequestsPerBucket: 5,
  alpha: 0.05,
  minImprovement: 0.1,
  guards: { p99MaxMs: 250, errorRatioMax: 0.01, neverCached: false },
  expectedGain: 0.5,
};

function fakeClock(start: number): VerifierClock & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

/** A route whose p99 is `before` ms until `changeAt`, then what `after` says for each bucket. */
function series(changeAt: number, before: number, after: (i: number) => Partial<RouteBucket>): { metrics: RouteMetrics; reads: number[] } {
  const reads: number[] = [];
  const metrics: RouteMetrics = ({ fromMs, toMs, bucketMs }) => {
    reads.push(toMs);
    const out: RouteBucket[] = [];
    for (let t = fromMs, i = 0; t < toMs; t += bucketMs, i++) {
      const base = { startMs: t, requests: 40, errors: 0, p50Ms: 30, p99Ms: before + (i % 3), cacheHits: 0, retries: 0, repeats: 0 };
      out.push(t < changeAt ? base : { ...base, ...after(Math.floor((t - changeAt) / bucketMs)) });
    }
    return Promise.resolve(out);
  };
  return { metrics, reads };
}

const T = 1_000_000;

describe('verifying an experiment by its guard metrics', () => {
  it('keeps a change that lowered p99 beyond noise, after the whole trial window', async () => {
    const clock = fakeClock(T + 300);
    const { metrics } = series(T, 120, (i) => ({ p99Ms: 40 + (i % 3) }));
    const v = await verifyExperiment(experiment, 'gateway', T + 300, metrics, clock);
    expect(v).toMatchObject({ passed: true, result: { kept: true, baselineBuckets: 6, trialBuckets: 6 } });
    expect(v.result!.effectMs!).toBeGreaterThan(70);
    // The trial starts after the bucket the change landed in, and each read waits for the telemetry's lag.
    expect(clock.t).toBeGreaterThanOrEqual(T + 7_000 + 3_000);
  });

  it('rolls back at once when a guard breaks: errors in the second trial bucket end the trial there', async () => {
    const clock = fakeClock(T + 300);
    const { metrics, reads } = series(T, 120, (i) => (i >= 2 ? { errors: 10 } : { p99Ms: 40 }));
    const v = await verifyExperiment(experiment, 'gateway', T + 300, metrics, clock);
    expect(v.passed).toBe(false);
    expect(v.detail).toMatch(/guard broken after 2 trial bucket\(s\): error ratio/);
    expect(v.result).toMatchObject({ kept: false, guardBreach: expect.stringMatching(/error ratio/) });
    // Baseline, then two trial reads: not the six the window has.
    expect(reads).toHaveLength(3);
  });

  it('does not keep noise', async () => {
    const v = await verifyExperiment(experiment, 'gateway', T + 300, series(T, 120, () => ({})).metrics, fakeClock(T + 300));
    expect(v).toMatchObject({ passed: false, result: { kept: false } });
    expect(v.detail).toMatch(/not kept: not beyond noise/);
  });

  it('fails, saying why, without a route metrics source', async () => {
    const v = await verifyExperiment(experiment, 'gateway', T, undefined, fakeClock(T));
    expect(v).toMatchObject({ passed: false, detail: expect.stringMatching(/no route metrics source/) });
  });

  it('compares the trial only with the buckets the replaced config served: a rollback just before leaves the cached buckets out', async () => {
    // Version 2 (a cache, p99 40 ms) until T - 5 s, then a person's rollback to version 1 (p99 120 ms); the change applies at T + 300.
    const rolledBackAt = T - 5_000;
    const metrics: RouteMetrics = ({ fromMs, toMs, bucketMs }) => {
      const out: RouteBucket[] = [];
      for (let t = fromMs, i = 0; t < toMs; t += bucketMs, i++) {
        const cached = t < rolledBackAt;
        const trial = t >= T + bucketMs;
        out.push({
          startMs: t,
          requests: 40,
          errors: 0,
          p50Ms: 30,
          p99Ms: (cached || trial ? 40 : 120) + (i % 3),
          cacheHits: cached || trial ? 30 : 0,
          retries: 0,
          repeats: 0,
          configVersion: cached ? 2 : trial ? 3 : 1,
          configVersions: 1,
        });
      }
      return Promise.resolve(out);
    };
    const v = await verifyExperiment(experiment, 'gateway', T + 300, metrics, fakeClock(T + 300));
    expect(v).toMatchObject({ passed: true, result: { kept: true, baselineBuckets: 5, trialBuckets: 6 } });
    expect(v.result?.baselineWindow).toMatchObject({ configVersion: 1, leftOut: 1, start: new Date(rolledBackAt).toISOString() });
    expect(v.checks.find((c) => c.name === 'baseline')?.detail).toMatch(
      /5 bucket\(s\) .* served by config version 1, the one live before the change; 1 earlier bucket\(s\) served by another config left out/,
    );
  });
});

describe('an experiment’s change waits for a clean baseline', () => {
  /** Version 2 served the route until `changedAt`, version 1 since; buckets are stored TELEMETRY_LAG_MS after they close. */
  function rolledBack(changedAt: number, clock: { now: () => number }): RouteMetrics {
    return ({ fromMs, toMs, bucketMs }) => {
      const out: RouteBucket[] = [];
      for (let t = fromMs; t < toMs; t += bucketMs) {
        if (t + bucketMs + TELEMETRY_LAG_MS > clock.now()) break;
        const mixed = t < changedAt && t + bucketMs > changedAt;
        out.push({
          startMs: t,
          requests: 40,
          errors: 0,
          p50Ms: 30,
          p99Ms: 100,
          cacheHits: 0,
          retries: 0,
          repeats: 0,
          configVersion: t + bucketMs <= changedAt ? 2 : 1,
          configVersions: mixed ? 2 : 1,
        });
      }
      return Promise.resolve(out);
    };
  }

  it('right after a rollback, waits until the config live now has served the buckets a verdict needs', async () => {
    const clock = fakeClock(T + 200);
    const waited = await awaitCleanBaseline(experiment, 'gateway', rolledBack(T + 100, clock), clock);
    // The rollback landed in bucket T; buckets T+1 s … T+4 s (four, the fewest a verdict takes) are stored at T+5 s + lag.
    expect(waited).toMatchObject({ ready: true, detail: expect.stringMatching(/^4 bucket\(s\) .* config version 1/) });
    expect(clock.t).toBe(T + 5_000 + TELEMETRY_LAG_MS);
  });

  it('goes after reading the newest bucket once when the live config has served the route long enough', async () => {
    const clock = fakeClock(T + 200);
    const waited = await awaitCleanBaseline(experiment, 'gateway', rolledBack(T - 60_000, clock), clock);
    expect(waited.ready).toBe(true);
    expect(clock.t).toBe(T + 1_000 + TELEMETRY_LAG_MS);
  });

  it('gives up after a baseline window and two buckets on a route too quiet for a verdict', async () => {
    const clock = fakeClock(T + 200);
    const quiet: RouteMetrics = () => Promise.resolve([]);
    const waited = await awaitCleanBaseline(experiment, 'gateway', quiet, clock);
    expect(waited).toMatchObject({ ready: false, detail: expect.stringMatching(/^no bucket/) });
    expect(clock.t).toBe(T + (1 + 6 + 2) * 1_000 + TELEMETRY_LAG_MS);
  });
});

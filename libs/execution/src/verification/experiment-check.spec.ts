import type { Experiment } from '@homeostat/contracts';
import type { RouteBucket } from '@homeostat/optimize';
import { verifyExperiment, type RouteMetrics } from './experiment-check';
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
});

import { MAX_CHECKS, verifyHealth, type Probe, type VerifierClock } from './health-check';

/** A clock that advances only when the verifier sleeps, and a probe that answers from a script. */
function fakeClock(startMs = 1_000_000): VerifierClock & { t: number } {
  const clock = {
    t: startMs,
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

function scriptedProbe(
  clock: { t: number },
  statusAt: (elapsedMs: number) => number | undefined,
  latencyMs = 10,
): Probe & { calls: number } {
  const start = clock.t;
  const probe = Object.assign(
    (_url: string) => {
      probe.calls++;
      const status = statusAt(clock.t - start);
      clock.t += latencyMs;
      return Promise.resolve(status === undefined ? { latencyMs, error: 'ECONNREFUSED' } : { status, latencyMs });
    },
    { calls: 0 },
  );
  return probe;
}

const plan = { url: 'http://shop/health', expectStatus: 200, consecutive: 3, intervalMs: 1_000 };

describe('health-check verification', () => {
  it('passes after `consecutive` good probes; recovery is the first probe of the streak', async () => {
    const clock = fakeClock();
    const start = clock.t;
    // Unhealthy for the first 2.5 s, healthy after.
    const probe = scriptedProbe(clock, (ms) => (ms < 2_500 ? 503 : 200));
    const r = await verifyHealth(plan, start + 30_000, probe, clock);
    expect(r.passed).toBe(true);
    expect(r.checks.map((c) => c.observed)).toEqual([503, 503, 503, 200, 200, 200]);
    expect(r.recoveredAtMs! - start).toBe(3_000);
    expect(r.detail).toContain('6 probes');
  });

  it('a failure resets the streak', async () => {
    const clock = fakeClock();
    const start = clock.t;
    const statuses = [200, 200, 500, 200, 200, 200];
    let i = 0;
    const probe: Probe = () => {
      clock.t += 5;
      return Promise.resolve({ status: statuses[i++] ?? 200, latencyMs: 5 });
    };
    const r = await verifyHealth(plan, start + 30_000, probe, clock);
    expect(r.passed).toBe(true);
    expect(r.recoveredAtMs! - start).toBe(3_000);
  });

  it('fails when the deadline passes first, recording no response as observed', async () => {
    const clock = fakeClock();
    const start = clock.t;
    const probe = scriptedProbe(clock, (ms) => (ms < 2_000 ? undefined : 200));
    const r = await verifyHealth(plan, start + 4_000, probe, clock);
    expect(r.passed).toBe(false);
    expect(r.recoveredAtMs).toBeNull();
    expect(r.checks.map((c) => c.observed)).toEqual(['no response', 'no response', 200, 200]);
    expect(r.detail).toMatch(/not healthy by the deadline.*last streak was 2/);
    expect(clock.t - start).toBeLessThanOrEqual(4_000);
  });

  it('stops at once, without a verdict, when aborted', async () => {
    const clock = fakeClock();
    const abort = new AbortController();
    const probe: Probe = () => {
      abort.abort();
      return Promise.resolve({ status: 200, latencyMs: 1 });
    };
    const r = await verifyHealth(plan, clock.t + 30_000, probe, clock, abort.signal);
    expect(r).toMatchObject({ passed: false, aborted: true });
  });

  it('keeps only the last checks of a long verification', async () => {
    const clock = fakeClock();
    const probe = scriptedProbe(clock, () => 503);
    const r = await verifyHealth({ ...plan, intervalMs: 100 }, clock.t + 10_000, probe, clock);
    expect(probe.calls).toBe(100);
    expect(r.checks).toHaveLength(MAX_CHECKS);
    expect(r.detail).toContain(`the last ${MAX_CHECKS} listed`);
  });
});

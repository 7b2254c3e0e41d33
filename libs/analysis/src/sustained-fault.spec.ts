import { AnalysisEngine } from './analysis-engine';
import type { IncidentEvent } from './incident-events';
import { BUCKET, rng, spans } from './testing';

const MINUTE = 60_000;

/** An engine fed one bucket of a target's requests at a time, on a synthetic clock. */
function harness(adaptAfterMs: number) {
  let n = 0;
  const engine = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET, adaptAfterMs });
  const events: { atMs: number; event: IncidentEvent }[] = [];
  let now = 1_700_000_000_000;
  return {
    events,
    get now() {
      return now;
    },
    bucket(latency: () => number, errorEvery: number): void {
      engine.ingestSpans('shop', spans(now, 40, latency, errorEvery), now);
      now += BUCKET;
      for (const event of [...engine.tick(now), ...engine.tick(now + BUCKET / 2)]) events.push({ atMs: now, event });
    },
    of(type: 'opened' | 'updated' | 'resolved') {
      return events.filter(({ event }) => event.type === `homeostat.incident.${type}.v1`);
    },
  };
}

describe('a sustained fault', () => {
  // A pool leak that goes on leaking: requests wait longer and fail more, bucket after bucket, for
  // six minutes — twice as long as the engine's (shortened) adaptAfter. Some requests fail in any
  // case (2.5 to 5 %: declined payments), so the error ratio has a band of its own. Before the
  // baselines learned from normal points only, each of these leaks was absorbed: its incident
  // resolved while the fault went on, and no other opened.
  it.each([0.01, 0.02, 0.05])('keeps one incident open and failing for six minutes of a leak growing by %d a bucket', (ramp) => {
    const h = harness(3 * MINUTE);
    const noise = rng(3);
    const healthyErrors = (): number => (noise() < 0.5 ? 20 : 40);
    for (let i = 0; i < 90; i++) h.bucket(() => 20 + noise() * 10, healthyErrors());
    expect(h.events).toEqual([]);
    const faultStart = h.now;
    for (let i = 0; i < 36; i++) {
      const severity = Math.min(1, 0.02 + i * ramp);
      h.bucket(() => 25 * (1 + 40 * severity * severity) * (0.8 + 0.4 * noise()), Math.max(2, Math.round(6 / (severity + 0.3))));
    }
    const faultEnd = h.now;
    for (let i = 0; i < 12; i++) h.bucket(() => 20 + noise() * 10, healthyErrors());

    const [opened, ...reopened] = h.of('opened');
    expect(reopened).toEqual([]);
    expect(opened!.atMs - faultStart).toBeLessThanOrEqual(2 * MINUTE);
    // Open until the fault is over, and still reported failing in its last minute: the decider acts again.
    expect(h.of('resolved').map(({ atMs }) => atMs > faultEnd && atMs - faultEnd <= MINUTE)).toEqual([true]);
    const lastFailing = h.of('updated').filter(({ event }) => 'failingAt' in event.data && event.data.failingAt !== undefined);
    expect(faultEnd - lastFailing[lastFailing.length - 1]!.atMs).toBeLessThan(MINUTE);
  });

  it('lets a healthy level shift become the new normal after adaptAfter, and only then', () => {
    const h = harness(3 * MINUTE);
    const noise = rng(9);
    for (let i = 0; i < 90; i++) h.bucket(() => 20 + noise() * 10, 0);
    const shift = h.now;
    // Twice as slow for good (a new release), with no request failing.
    for (let i = 0; i < 48; i++) h.bucket(() => 60 + noise() * 20, 0);

    expect(h.of('opened')).toHaveLength(1);
    const resolved = h.of('resolved');
    expect(resolved).toHaveLength(1);
    // Not before the change has lasted adaptAfter; soon after it (the band widens to the new level),
    // with the latency still at the new level.
    expect(resolved[0]!.atMs - shift).toBeGreaterThanOrEqual(3 * MINUTE);
    expect(resolved[0]!.atMs - shift).toBeLessThanOrEqual(6 * MINUTE);
  });
});

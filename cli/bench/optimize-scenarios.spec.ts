import { phasesOf, requestsDue, requestStream, runSeconds, scenarios, seededRandom, zipfSampler } from './optimize-scenarios';

describe('bench:optimize scenarios', () => {
  const all = scenarios(60);

  it('has the six scenarios of the issue', () => {
    expect(all.map((s) => s.name)).toEqual(['step-3x', 'sine', 'slow-replica', 'slow-dependency', 'retry-storm', 'hot-keys']);
  });

  it('gives the same requests for the same seed, others for another', () => {
    const take = (seed: number) => {
      const next = requestStream(all[5]!, seed);
      return Array.from({ length: 50 }, (_, i) => next(i / 50));
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it('draws Zipf keys skewed to the first ranks, uniform ones evenly', () => {
    const random = seededRandom(1);
    const zipf = zipfSampler(1_000, 1.1);
    const draws = Array.from({ length: 10_000 }, () => zipf(random()));
    expect(draws.filter((k) => k < 10).length / draws.length).toBeGreaterThan(0.4);
    const uniform = zipfSampler(100, 0);
    const u = Array.from({ length: 10_000 }, () => uniform(random()));
    expect(u.filter((k) => k < 10).length / u.length).toBeCloseTo(0.1, 1);
    expect(() => zipfSampler(0, 1)).toThrow('n ≥ 1');
  });

  it('steps the rate 3× and back, and integrates it into requests due', () => {
    const step = all[0]!;
    expect([0.1, 0.3, 0.6, 0.8].map((x) => step.rate(x))).toEqual([60, 180, 60, 180]);
    // 20 s: 5 s at 60, 5 at 180, 5 at 60, 5 at 180 = 2,400
    expect(requestsDue(step, 20, 20)).toBeGreaterThanOrEqual(2_399);
    expect(requestsDue(step, 20, 20)).toBeLessThanOrEqual(2_400);
    expect(requestsDue(step, 5, 20)).toBeGreaterThanOrEqual(299);
  });

  it('places phases on whole seconds and leaves out those shorter than one', () => {
    const storm = all[4]!;
    expect(phasesOf(storm, 40).map((p) => [p.name, p.fromS, p.toS])).toEqual([
      ['healthy', 0, 8],
      ['outage', 8, 32],
      ['healthy', 32, 40],
    ]);
    const step = all[0]!;
    expect(phasesOf(step, 6).map((p) => [p.name, p.fromS, p.toS])).toEqual([
      ['base', 0, 2],
      ['3x', 2, 3],
      ['base', 3, 5],
      ['3x', 5, 6],
    ]);
    expect(phasesOf(storm, 4).every((p) => p.toS > p.fromS)).toBe(true);
  });

  it('slows the same replica twice with a calm between: a regime that returns', () => {
    const slow = all[2]!;
    expect(phasesOf(slow, 40).map((p) => [p.name, p.fromS, p.toS])).toEqual([
      ['healthy', 0, 5],
      ['slow-replica', 5, 15],
      ['healed', 15, 32],
      ['slow-replica', 32, 40],
    ]);
    expect(slow.faults.map((f) => [f.at, f.replica, f.body])).toEqual([
      [0.125, 0, { slowMs: 400 }],
      [0.375, 0, null],
      [0.8, 0, { slowMs: 400 }],
    ]);
  });

  it('runs the fault scenarios longer than the rate-only ones, never under 12 s', () => {
    expect(all.map((s) => runSeconds(s, 20))).toEqual([16, 16, 40, 32, 40, 20]);
    expect(runSeconds(all[0]!, 5)).toBe(12);
  });
});

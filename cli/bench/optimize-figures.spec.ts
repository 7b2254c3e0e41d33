import {
  adaptSeconds,
  perSecond,
  phaseFigures,
  quantile,
  recurrences,
  runAdaptSeconds,
  summarize,
  violates,
  type RouteSlo,
  type Sample,
} from './optimize-figures';

const slos: Record<string, RouteSlo> = { catalog: { p99Ms: 250, errorRatio: 0.01 }, orders: { p99Ms: 500, errorRatio: 0.001 } };
const ok = (t: number, latencyMs = 20, attempts = 1, route = 'catalog'): Sample => ({ t, route, status: 200, latencyMs, attempts });

describe('bench:optimize figures', () => {
  it('takes the nearest-rank quantile', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantile([], 0.5)).toBe(0);
  });

  it('counts goodput as 2xx within the route SLO, by the second a request was sent', () => {
    const samples = [ok(100), ok(900, 300), { ...ok(1_200), status: 503 }, ok(1_500, 499, 1, 'orders'), ok(2_999, 10)];
    const s = perSecond(samples, 3, slos);
    expect(s.map((x) => [x.requests, x.goodput])).toEqual([
      [2, 1],
      [2, 1],
      [1, 1],
    ]);
  });

  it('judges a second in violation only on routes with enough requests', () => {
    const slowFew = [ok(0, 900), ok(10), ok(20)];
    expect(violates(slowFew, slos, 5)).toBe(false);
    expect(violates(slowFew, slos, 3)).toBe(true);
    const errors = [...Array.from({ length: 99 }, (_, i) => ok(i)), { ...ok(100), status: 0 }];
    expect(violates(errors, slos)).toBe(false); // 1 % errors, the SLO allows 1 %
    expect(violates([...errors, { ...ok(101), status: 502 }], slos)).toBe(true);
    expect(() => violates([ok(0, 1, 1, 'nowhere')], slos, 1)).toThrow('no SLO for route "nowhere"');
  });

  it('summarizes a window: goodput per second, violation seconds and retry amplification over upstream-bound requests', () => {
    const samples = [
      ...Array.from({ length: 10 }, (_, i) => ok(i * 100, 10, 1)),
      ...Array.from({ length: 10 }, (_, i) => ok(1_000 + i * 100, 400, 2)),
      ok(1_050, 1, 0), // a cache hit: no upstream attempt, not in the amplification
    ];
    const seconds = perSecond(samples, 2, slos);
    const f = summarize(samples, seconds, 0, 2, slos);
    expect(f).toEqual({ requests: 21, goodputPerS: 5.5, p50Ms: 10, p99Ms: 400, sloViolationS: 1, retryAmplification: 1.5 });
    expect(summarize(samples, seconds, 0, 1, slos).sloViolationS).toBe(0);
    expect(() => summarize(samples, seconds, 1, 1, slos)).toThrow('an empty window');
  });

  it('times adaptation from a shift to the first stable run of seconds without violation', () => {
    const seconds = [false, false, true, true, false, true, false, false, false, false].map((violation, s) => ({
      s,
      requests: 10,
      goodput: 10,
      p50Ms: 1,
      p99Ms: 1,
      violation,
    }));
    expect(adaptSeconds(seconds, 2, 10, 3)).toBe(4); // stable from second 6
    expect(adaptSeconds(seconds, 0, 2, 3)).toBe(0); // nothing broke; a phase of 2 s needs 2 s clean
    expect(adaptSeconds(seconds, 2, 6, 3)).toBe(4); // never stable within the phase: its length
    const phases = phaseFigures(
      Array.from({ length: 100 }, (_, i) => ok(i * 100)),
      seconds,
      [
        { name: 'a', fromS: 0, toS: 2 },
        { name: 'b', fromS: 2, toS: 6 },
        { name: 'a', fromS: 6, toS: 8 },
        { name: 'b', fromS: 8, toS: 10 },
      ],
      slos,
    );
    expect(phases.map((p) => p.adaptS)).toEqual([0, 4, 0, 0]);
    expect(runAdaptSeconds(phases)).toBe(1.3);
    expect(recurrences(phases)).toEqual([{ name: 'b', firstS: 4, secondS: 0 }]);
  });
});

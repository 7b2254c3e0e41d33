import { log10Root, VEGAS_DEFAULTS, VegasLimit } from './vegas';

/** random() = 0: probe jitter 0.5, so the no-load RTT is re-probed every 0.5 × 30 × limit samples. */
const noJitter = (): number => 0;

describe('VegasLimit (Netflix concurrency-limits, from the published source)', () => {
  it("has the Java builder's defaults and its log10 function, quirk included", () => {
    expect(VEGAS_DEFAULTS).toEqual({ initialLimit: 20, maxLimit: 1_000, smoothing: 1, probeMultiplier: 30 });
    expect([0, 1, 9, 10, 99, 100, 999, 1_000, 10_000].map(log10Root)).toEqual([1, 1, 1, 1, 1, 2, 2, 31, 100]);
  });

  it('matches values computed by hand from the published rules', () => {
    const v = new VegasLimit({}, noJitter);
    v.onSample(0, 10, 20, false); // the first sample sets the no-load RTT, nothing else
    expect([v.estimatedLimit, v.rttNoLoad]).toEqual([20, 10]);
    v.onSample(0, 10, 20, false); // queue ⌈20 × (1 − 10/10)⌉ = 0 ≤ log 1: + 6 × 1
    expect(v.estimatedLimit).toBe(26);
    v.onSample(0, 20, 26, false); // queue ⌈26 × 0.5⌉ = 13 > 6: − 1
    expect(v.estimatedLimit).toBe(25);
    v.onSample(0, 12, 25, false); // queue ⌈25 × (1 − 10/12)⌉ = 5, in [3, 6]: unchanged
    v.onSample(0, 11, 25, false); // queue ⌈2.27⌉ = 3, in [3, 6]: unchanged
    expect(v.estimatedLimit).toBe(25);
    v.onSample(0, 10.5, 25, false); // queue ⌈1.19⌉ = 2 < 3: + 1
    expect(v.estimatedLimit).toBe(26);
    v.onSample(0, 10, 26, true); // dropped: − 1 whatever the queue
    expect(v.estimatedLimit).toBe(25);
    v.onSample(0, 40, 12, false); // app-limited (12 × 2 < 25): unchanged
    expect(v.estimatedLimit).toBe(25);
    v.onSample(0, 8, 25, false); // a new minimum: the no-load RTT, nothing else
    expect([v.estimatedLimit, v.rttNoLoad]).toEqual([25, 8]);
  });

  it('smooths as published: limit × (1 − smoothing) + new × smoothing', () => {
    const v = new VegasLimit({ smoothing: 0.5 }, noJitter);
    v.onSample(0, 10, 20, false);
    v.onSample(0, 10, 20, false);
    expect(v.estimatedLimit).toBe(23);
  });

  it('falls when RTT rises (queueing), grows back when it clears, within [1, maxLimit]', () => {
    const v = new VegasLimit({ maxLimit: 100 }, noJitter);
    for (let i = 0; i < 50; i++) v.onSample(0, 10, v.limit, false);
    expect(v.limit).toBe(100);
    const high = v.estimatedLimit;
    for (let i = 0; i < 30; i++) v.onSample(0, 30, v.limit, false);
    expect(v.estimatedLimit).toBeLessThan(high - 20);
    const low = v.estimatedLimit;
    for (let i = 0; i < 30; i++) v.onSample(0, 10, v.limit, false);
    expect(v.estimatedLimit).toBeGreaterThan(low + 20);
    for (let i = 0; i < 500; i++) v.onSample(0, 10, v.limit, true);
    expect(v.limit).toBe(1);
  });

  it('re-probes the no-load RTT every probeJitter × probeMultiplier × limit samples', () => {
    const v = new VegasLimit({ initialLimit: 4, maxLimit: 4 }, noJitter); // probe every 0.5 × 30 × 4 = 60 samples
    v.onSample(0, 10, 4, false);
    for (let i = 2; i < 60; i++) v.onSample(0, 50, 4, false);
    expect(v.rttNoLoad).toBe(10);
    v.onSample(0, 50, 4, false); // the 60th: taken as the new no-load RTT
    expect(v.rttNoLoad).toBe(50);
  });

  it('skips non-positive RTTs and refuses invalid parameters', () => {
    const v = new VegasLimit({}, noJitter);
    for (const bad of [0, -1, Number.NaN]) v.onSample(0, bad, 20, false);
    expect([v.estimatedLimit, v.rttNoLoad]).toEqual([20, 0]);
    expect(() => new VegasLimit({ smoothing: 2 })).toThrow(/smoothing/);
    expect(() => new VegasLimit({ maxLimit: 0 })).toThrow(/maxLimit/);
  });
});

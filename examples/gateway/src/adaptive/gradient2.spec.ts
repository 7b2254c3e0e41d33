import { GRADIENT2_DEFAULTS, Gradient2Limit, WindowedLimit, type LimitAlgorithm } from './gradient2';

/** `n` finished requests of `rttMs` each, the limiter saturated (in flight = the limit) unless told otherwise. */
function feed(limit: Gradient2Limit, rttMs: number, n: number, inflight: () => number = () => limit.limit): void {
  for (let i = 0; i < n; i++) limit.onSample(0, rttMs, inflight(), false);
}

describe('Gradient2Limit (Netflix concurrency-limits, from the published source)', () => {
  it("has the Java builder's defaults", () => {
    expect(GRADIENT2_DEFAULTS).toEqual({
      initialLimit: 20,
      minLimit: 20,
      maxLimit: 200,
      smoothing: 0.2,
      rttTolerance: 1.5,
      longWindow: 600,
      queueSize: 4,
    });
    expect(new Gradient2Limit().limit).toBe(20);
  });

  it('matches values computed by hand from the published formula', () => {
    const limit = new Gradient2Limit();
    // gradient = max(0.5, min(1, 1.5 × 10 / 10)) = 1; newLimit = 20 × 1 + 4 = 24; 20 × 0.8 + 24 × 0.2 = 20.8
    feed(limit, 10, 1);
    expect(limit.estimatedLimit).toBeCloseTo(20.8, 10);
    expect(limit.limit).toBe(20);
    // Each such update adds smoothing × queueSize = 0.8: after 10, 28.
    feed(limit, 10, 9);
    expect(limit.estimatedLimit).toBeCloseTo(28, 10);
    expect(limit.longRtt).toBeCloseTo(10, 10);
    // Past the 10-sample warm-up the long RTT is an EMA with factor 2/601:
    // longRtt = 10 × 599/601 + 30 × 2/601 = 10.06656; gradient = 1.5 × 10.06656 / 30 = 0.503328;
    // newLimit = 28 × 0.503328 + 4 = 18.09318; 28 × 0.8 + 18.09318 × 0.2 = 26.01864
    feed(limit, 30, 1);
    expect(limit.longRtt).toBeCloseTo(10.066556, 5);
    expect(limit.estimatedLimit).toBeCloseTo(26.018636, 5);
    expect(limit.limit).toBe(26);
  });

  it('with queueSize "sqrt" grows by max(4, ⌊√limit⌋) per update', () => {
    const limit = new Gradient2Limit({ initialLimit: 100, maxLimit: 1_000, queueSize: 'sqrt' });
    feed(limit, 10, 1);
    expect(limit.estimatedLimit).toBeCloseTo(100 + 0.2 * 10, 10);
    const small = new Gradient2Limit({ initialLimit: 20, queueSize: 'sqrt' });
    feed(small, 10, 1);
    expect(small.estimatedLimit).toBeCloseTo(20 + 0.2 * 4, 10);
  });

  it('falls when RTT rises (queueing), stays at its floor, and grows back when the queue clears', () => {
    const limit = new Gradient2Limit();
    feed(limit, 10, 300);
    expect(limit.limit).toBe(200); // no queueing: grows to maxLimit and stays there
    const history: number[] = [];
    for (let i = 0; i < 30; i++) {
      feed(limit, 50, 1);
      history.push(limit.estimatedLimit);
    }
    // Every sample of a 5× RTT cuts the limit (gradient at its floor 0.5: ×0.9 + 0.8) until minLimit.
    expect(history.every((v, i) => i === 0 || v < history[i - 1]! || v === 20)).toBe(true);
    expect(history[0]).toBeCloseTo(200 * 0.9 + 0.8, 10);
    expect(limit.limit).toBe(20); // clamped at minLimit, never below
    feed(limit, 50, 30);
    expect(limit.limit).toBeGreaterThanOrEqual(20);
    // Queue clears: RTT back to 10 ms → gradient 1 → +0.8 per sample.
    const before = limit.estimatedLimit;
    feed(limit, 10, 100);
    expect(limit.estimatedLimit).toBeCloseTo(before + 80, 6);
    feed(limit, 10, 200);
    expect(limit.limit).toBe(200);
  });

  it('tolerates an RTT up to rttTolerance × the long RTT without shrinking', () => {
    const limit = new Gradient2Limit({ initialLimit: 100 });
    feed(limit, 10, 10);
    const before = limit.estimatedLimit;
    feed(limit, 14.9, 1); // 1.5 × ~10 / 14.9 > 1: gradient 1, still grows
    expect(limit.estimatedLimit).toBeCloseTo(before + 0.8, 10);
    feed(limit, 40, 1);
    expect(limit.estimatedLimit).toBeLessThan(before);
  });

  it('never leaves [minLimit, maxLimit] whatever the RTTs', () => {
    const limit = new Gradient2Limit({ initialLimit: 50, minLimit: 5, maxLimit: 60 });
    let seed = 7;
    const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5_000; i++) {
      limit.onSample(0, rand() < 0.5 ? 1 + rand() * 5 : 1_000 * rand() + 0.001, 60, false);
      expect(limit.estimatedLimit).toBeGreaterThanOrEqual(5);
      expect(limit.estimatedLimit).toBeLessThanOrEqual(60);
    }
  });

  it('does not change the limit while app-limited (in flight < limit / 2)', () => {
    const limit = new Gradient2Limit({ initialLimit: 40, minLimit: 1 });
    feed(limit, 10, 10, () => 19);
    feed(limit, 500, 10, () => 19);
    expect(limit.estimatedLimit).toBe(40);
    feed(limit, 500, 1, () => 20);
    expect(limit.estimatedLimit).toBeLessThan(40);
  });

  it('as published, ignores the dropped flag (a drop weighs through its RTT) and skips non-positive RTTs', () => {
    const a = new Gradient2Limit();
    const b = new Gradient2Limit();
    for (const rtt of [10, 12, 9, 80, 11, 10, 30, 10, 10, 10, 200, 10]) {
      a.onSample(0, rtt, 100, false);
      b.onSample(0, rtt, 100, true);
    }
    expect(b.estimatedLimit).toBe(a.estimatedLimit);
    expect(b.longRtt).toBe(a.longRtt);
    const before = a.estimatedLimit;
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) a.onSample(0, bad, 100, false);
    expect([a.estimatedLimit, a.longRtt]).toEqual([before, b.longRtt]);
  });

  it('decays the long RTT by 5 % when it exceeds twice the current RTT (recovery after a long overload)', () => {
    const limit = new Gradient2Limit({ initialLimit: 40 });
    feed(limit, 100, 10);
    expect(limit.longRtt).toBeCloseTo(100, 10);
    feed(limit, 10, 1);
    // EMA first: 100 × 599/601 + 10 × 2/601 = 99.70050, then × 0.95 = 94.71547
    expect(limit.longRtt).toBeCloseTo(94.715474, 5);
  });

  it('refuses parameters outside the algorithm’s domain', () => {
    expect(() => new Gradient2Limit({ minLimit: 50, maxLimit: 10 })).toThrow(/minLimit: 50 exceeds maxLimit 10/);
    expect(() => new Gradient2Limit({ rttTolerance: 0.9 })).toThrow(/rttTolerance/);
    expect(() => new Gradient2Limit({ smoothing: 0 })).toThrow(/smoothing/);
    expect(() => new Gradient2Limit({ queueSize: -1 })).toThrow(/queueSize/);
  });
});

describe('WindowedLimit', () => {
  class Recorder implements LimitAlgorithm {
    readonly samples: Array<[number, number, boolean]> = [];
    readonly limit = 10;
    onSample(_start: number, rtt: number, inflight: number, didDrop: boolean): void {
      this.samples.push([rtt, inflight, didDrop]);
    }
  }

  it('hands the delegate one sample per window: mean RTT, largest in-flight, any drop; only with ≥ windowSize samples', () => {
    const rec = new Recorder();
    const windowed = new WindowedLimit(rec);
    windowed.onSample(0, 10, 1, false); // the first sample closes an empty window (too small: nothing passed on)
    expect(rec.samples).toEqual([]);
    // Window until t = 10 + 1000: 12 requests of 10–32 ms.
    for (let i = 0; i < 12; i++) windowed.onSample(100 + i * 50, 10 + 2 * i, 3 + (i % 5), i === 4);
    expect(rec.samples).toEqual([]);
    windowed.onSample(1_100, 30, 2, false); // ends at 1130 > 1010: the window closes with this sample in it
    const rtts = [...Array.from({ length: 12 }, (_, i) => 10 + 2 * i), 30];
    expect(rec.samples).toHaveLength(1);
    expect(rec.samples[0]![0]).toBeCloseTo(rtts.reduce((a, b) => a + b) / rtts.length, 10);
    expect(rec.samples[0]!.slice(1)).toEqual([7, true]);
    // The next window (until 2130) gets 5 samples only: dropped, not passed on.
    for (let i = 0; i < 5; i++) windowed.onSample(1_200 + i * 300, 10, 1, false);
    windowed.onSample(2_200, 10, 1, false);
    expect(rec.samples).toHaveLength(1);
  });

  it('ignores RTTs under 100 µs', () => {
    const rec = new Recorder();
    const windowed = new WindowedLimit(rec, { windowSize: 1 });
    windowed.onSample(0, 0.05, 1, false);
    windowed.onSample(5_000, 0.05, 1, false);
    expect(rec.samples).toEqual([]);
  });
});

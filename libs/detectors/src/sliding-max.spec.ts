import { SlidingMax } from './sliding-max';

describe('SlidingMax', () => {
  it('answers the maximum of the last `length` values, and -Infinity before any', () => {
    const m = new SlidingMax(3);
    expect(m.max).toBe(-Infinity);
    const seen: number[] = [];
    for (const x of [1, 5, 2, 2, 0, 0, 0, 7, 7, 3]) {
      m.push(x);
      seen.push(x);
      expect(m.max).toBe(Math.max(...seen.slice(-3)));
    }
  });

  it('matches a brute-force maximum on random data and round-trips through entries()', () => {
    let s = 7;
    const next = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 1000) / 1000;
    const m = new SlidingMax(40);
    const all: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const x = i % 200 < 50 ? 1 - i / 3000 : next(); // decreasing runs exercise the queue's length
      m.push(x);
      all.push(x);
      expect(m.max).toBe(Math.max(...all.slice(-40)));
      if (i % 250 === 0) {
        const copy = SlidingMax.fromEntries(40, m.entries());
        for (let k = 0; k < 60; k++) {
          const y = next();
          copy.push(y);
          all.push(y);
          m.push(y);
          expect(copy.max).toBe(m.max);
        }
      }
    }
    expect(m.entries().length).toBeLessThanOrEqual(40);
  });

  it('rejects entries a monotonic queue cannot hold', () => {
    expect(() => SlidingMax.fromEntries(4, [{ age: 4, value: 1 }])).toThrow(RangeError);
    expect(() =>
      SlidingMax.fromEntries(4, [
        { age: 2, value: 1 },
        { age: 1, value: 2 },
      ]),
    ).toThrow(RangeError);
    expect(() =>
      SlidingMax.fromEntries(4, [
        { age: 1, value: 2 },
        { age: 1, value: 1 },
      ]),
    ).toThrow(RangeError);
    expect(() => SlidingMax.fromEntries(4, [{ age: 1, value: NaN }])).toThrow(RangeError);
  });
});

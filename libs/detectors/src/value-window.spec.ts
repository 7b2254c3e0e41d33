import { ValueWindow } from './value-window';

describe('ValueWindow', () => {
  it('answers nearest distance, min and max over the last capacity values', () => {
    const w = new ValueWindow(3);
    expect(w.nearestDistance(5)).toBe(Infinity);
    for (const v of [5, 1, 9]) w.push(v);
    expect([w.min, w.max, w.nearestDistance(4)]).toEqual([1, 9, 1]);
    w.push(2); // evicts 5
    expect(w.toArray()).toEqual([1, 9, 2]);
    expect([w.min, w.max, w.nearestDistance(5)]).toEqual([1, 9, 3]);
    w.push(9); // evicts 1, keeps a duplicate 9
    expect([w.min, w.max, w.size]).toEqual([2, 9, 3]);
  });

  it('matches a brute-force window on random data, and round-trips through toArray', () => {
    let s = 11;
    const next = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 1000) / 10;
    const w = new ValueWindow(50);
    const all: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const x = next();
      const recent = all.slice(-50);
      const brute = recent.length ? Math.min(...recent.map((v) => Math.abs(v - x))) : Infinity;
      expect(w.nearestDistance(x)).toBeCloseTo(brute, 12);
      if (recent.length > 0) {
        // spread: the span of the k sorted values centred on the nearest one (shifted inside the window).
        const sorted = [...recent].sort((a, b) => a - b);
        // The nearest value: the first at or above x, or the one below it when that is closer.
        const above = sorted.findIndex((v) => v >= x);
        const i = above < 0 ? sorted.length : above;
        const nearest = i === sorted.length || (i > 0 && x - (sorted[i - 1] as number) < (sorted[i] as number) - x) ? i - 1 : i;
        const k = Math.min(8, sorted.length);
        const lo = Math.max(0, Math.min(nearest - (k >> 1), sorted.length - k));
        expect(w.spread(x, 8)).toBeCloseTo((sorted[lo + k - 1] as number) - (sorted[lo] as number), 12);
      }
      w.push(x);
      all.push(x);
      // The sorted side stays exactly the window sorted: its span over all values is max - min.
      const now = all.slice(-50);
      expect([w.min, w.max, w.spread(x, 50)]).toEqual([Math.min(...now), Math.max(...now), Math.max(...now) - Math.min(...now)]);
    }
    const copy = ValueWindow.fromArray(50, w.toArray());
    expect(copy.toArray()).toEqual(all.slice(-50));
    expect([copy.min, copy.max]).toEqual([Math.min(...all.slice(-50)), Math.max(...all.slice(-50))]);
  });
});

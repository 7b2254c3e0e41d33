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
      w.push(x);
      all.push(x);
    }
    const copy = ValueWindow.fromArray(50, w.toArray());
    expect(copy.toArray()).toEqual(all.slice(-50));
    expect([copy.min, copy.max]).toEqual([Math.min(...all.slice(-50)), Math.max(...all.slice(-50))]);
  });
});

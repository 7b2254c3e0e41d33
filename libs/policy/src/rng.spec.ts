import { createRng, sampleBeta, sampleGamma, seedFrom } from './rng';

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('rng', () => {
  it('given the same seed, when drawing, then the sequence repeats; another seed differs', () => {
    const a = createRng(123);
    const b = createRng(123);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(createRng(124).next()).not.toBe(xs[0]);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('given strings, when seeding from them, then the seed is stable and separator-aware', () => {
    expect(seedFrom('inc-1', '2')).toBe(seedFrom('inc-1', '2'));
    expect(seedFrom('ab', 'c')).not.toBe(seedFrom('a', 'bc'));
  });

  it.each([
    [0.3, 0.3],
    [2, 1],
    [5, 3],
    [0.5, 4],
  ])('given Beta(%p, %p), when sampled 20000 times, then the mean and variance match', (alpha, beta) => {
    const rng = createRng(7);
    const xs = Array.from({ length: 20_000 }, () => sampleBeta(rng, alpha, beta));
    const m = alpha / (alpha + beta);
    const v = (alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1));
    // Within 4 standard errors of the mean
    expect(Math.abs(mean(xs) - m)).toBeLessThan(4 * Math.sqrt(v / xs.length));
    expect(mean(xs.map((x) => (x - m) ** 2))).toBeCloseTo(v, 2);
    for (const x of xs) expect(x >= 0 && x <= 1).toBe(true);
  });

  it('given Gamma(k), when sampled, then the mean is k; a bad shape throws', () => {
    const rng = createRng(11);
    expect(mean(Array.from({ length: 20_000 }, () => sampleGamma(rng, 3.5)))).toBeCloseTo(3.5, 1);
    expect(() => sampleGamma(rng, 0)).toThrow(RangeError);
  });
});

/**
 * Seeded randomness for the policy. `planDecision` never reaches for Math.random(): the caller passes an
 * Rng, so a decision is reproducible from its seed (replay, tests, `homeostat explain`).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: a 32-bit state, fast, good enough for sampling (not for cryptography). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    },
  };
}

/**
 * A 32-bit seed from strings (FNV-1a), e.g. `seedFrom(incidentId, String(attempt))`: the same
 * decision replayed after a restart draws the same samples.
 */
export function seedFrom(...parts: string[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      hash ^= part.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    hash ^= 0x1f; // separator, so ('ab', 'c') and ('a', 'bc') differ
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Standard normal by Box–Muller (one of the pair; simplicity over speed). */
export function sampleNormal(rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]: log(0) is -Infinity
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 through the boost Gamma(shape + 1) · U^(1/shape). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape must be a positive number, got ${shape}`);
  if (shape < 1) {
    const u = 1 - rng.next();
    return sampleGamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = sampleNormal(rng);
    const base = 1 + c * x;
    if (base <= 0) continue;
    const v = base * base * base;
    const u = 1 - rng.next();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(alpha, beta) as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
export function sampleBeta(rng: Rng, alpha: number, beta: number): number {
  const x = sampleGamma(rng, alpha);
  const y = sampleGamma(rng, beta);
  const sum = x + y;
  // Tiny shapes can underflow both draws to 0; the mean is the honest answer then.
  return sum > 0 ? x / sum : alpha / (alpha + beta);
}

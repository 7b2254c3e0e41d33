export * from './rng';
export * from './policy-state';
export * from './evolve';
export * from './autonomy';
export * from './scoring';
export * from './guardrails';
export * from './decide';
export * from './explain';

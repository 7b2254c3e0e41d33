import { createRng } from '@homeostat/policy';

/**
 * The order the demo injects faults in: `count` incidents spread as evenly as possible over the
 * kinds (the first kinds get the remainder), shuffled with a seeded Fisher–Yates so a seed always
 * gives the same run.
 */
export function planIncidents<K extends string>(kinds: readonly K[], count: number, seed: number): K[] {
  if (kinds.length === 0) throw new Error('at least one fault kind is needed');
  if (!Number.isInteger(count) || count < 1) throw new Error(`the number of incidents must be a positive integer, got ${count}`);
  const plan: K[] = [];
  for (let i = 0; i < count; i++) plan.push(kinds[i % kinds.length] as K);
  const rng = createRng(seed);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [plan[i], plan[j]] = [plan[j] as K, plan[i] as K];
  }
  return plan;
}

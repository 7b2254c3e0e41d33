import type { LoopSpec } from '@homeostat/contracts';
import { createDecider, type Decider } from '@homeostat/policy';
import { repairCatalog } from '@homeostat/repair';

/** The decider of these loops, as the service runs it (its tests build it here too). */
export function deciderOf(loops: readonly LoopSpec[], seed: string, newId: () => string): Decider {
  return createDecider({
    loops: new Map(loops.map((l) => [l.metadata.name, l])),
    newId,
    seed,
    // The one place the decider tells the loop kinds apart: a repair incident's candidates are its proposed fixes.
    catalogFor: (loop, incident) =>
      loop.spec.kind === 'repair' && incident.buildFailure !== undefined ? repairCatalog(loop, incident.buildFailure) : undefined,
  });
}

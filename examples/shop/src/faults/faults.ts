/** The faults the demo can inject. Each one has a different remedy; see README.md. */
export const FAULT_NAMES = ['pool-leak', 'slow-dependency', 'retry-storm', 'bad-config'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export function isFaultName(name: string): name is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(name);
}

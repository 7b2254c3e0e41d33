import type { BuildFailure } from '@homeostat/contracts';

/**
 * The most a failure may take in its incident (JSON characters). The incident, and the decision
 * that carries one of its fixes, go on the bus: on Kafka a record is at most 1 MB by default, and
 * the event's envelope, the explanation and the headers need their share.
 */
export const MAX_FAILURE_CHARS = 640 * 1024;

/**
 * The failure as it fits on the bus. Fixes carry whole files (package.json, the lock file): a big
 * project's lock file in every fix can be more than a record takes. The largest fixes are left
 * out, each with a note saying so (the diagnosis stays, and a loop left with no fix escalates to
 * people with that note), so a build is never lost to a record the broker refuses.
 */
export function fitFailure(failure: BuildFailure, maxChars: number = MAX_FAILURE_CHARS): BuildFailure {
  const size = (f: BuildFailure): number => JSON.stringify(f).length;
  if (size(failure) <= maxChars) return failure;
  const bySize = [...failure.fixes].sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length);
  const left: string[] = [];
  let fixes = failure.fixes;
  let fitted: BuildFailure = failure;
  for (const fix of bySize) {
    fixes = fixes.filter((f) => f !== fix);
    left.push(`${fix.id} (${JSON.stringify(fix).length} characters of files)`);
    const note = `left out, too big for the bus (at most ${maxChars} characters a failure): ${left.join(', ')}; apply by hand`;
    fitted = { ...failure, fixes, notes: [...failure.notes.slice(0, 9), note] };
    if (size(fitted) <= maxChars) return fitted;
  }
  // Without its fixes a failure is small: its other fields are bounded by the contract.
  return fitted;
}

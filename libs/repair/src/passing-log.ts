import { cleanLine } from './log-lines';
import { toRanges } from './reason-lines';

/**
 * A line as it would read in another run of the same job: without colour codes, CI timestamps,
 * numbers (times, counts, line numbers, ids) and hashes, so that a line the passing build printed
 * too is recognised in the failing build's log.
 */
export function lineKey(raw: string): string {
  return cleanLine(raw)
    .replace(/\b[0-9a-f]{7,40}\b/g, '#')
    .replace(/\d+(?:[.,:]\d+)*/g, '0')
    .trim();
}

/**
 * Reason lines minus those whose key the passing build's log also has: what both builds print is
 * not what made one of them fail. `lineText(n)` gives the failing log's line `n` (1-based).
 */
export function withoutPassingLines(
  reasonLines: ReadonlyArray<readonly [number, number]>,
  lineText: (n: number) => string,
  passingKeys: ReadonlySet<string>,
): Array<[number, number]> {
  const kept: number[] = [];
  for (const [first, last] of reasonLines) {
    for (let n = first; n <= last; n++) if (!passingKeys.has(lineKey(lineText(n)))) kept.push(n);
  }
  return toRanges(kept);
}

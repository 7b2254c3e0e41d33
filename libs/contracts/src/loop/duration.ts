const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

export const DURATION_HINT = 'a duration like 500ms, 30s, 5m, 1h or 1h30m';

export function isDuration(s: string): boolean {
  return DURATION.test(s);
}

/** `'1h30m'` -> 5_400_000. Throws RangeError on anything else, including bare numbers. */
export function parseDuration(s: string): number {
  if (!isDuration(s)) throw new RangeError(`invalid duration "${s}": expected ${DURATION_HINT}`);
  let ms = 0;
  for (const [, amount, unit] of s.matchAll(PART)) {
    ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return ms;
}

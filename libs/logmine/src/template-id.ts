/**
 * Template ids are derived from the masked shape of the line that created the cluster, so the same
 * input yields the same ids in every process and after a restart (no counter to renumber).
 */

/** cyrb53: a fast 53-bit string hash with good dispersion (public domain, bryc). */
function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** `t` + 14 hex digits of the hash of the masked tokens joined by single spaces. */
export function shapeId(maskedTokens: readonly string[]): string {
  return 't' + cyrb53(maskedTokens.join(' ')).toString(16).padStart(14, '0');
}

/**
 * The id for a new cluster: the shape id, or on a collision with a live cluster the first free
 * `<shape id>-<n>` (n = 2, 3, …), which is deterministic for a given input order.
 */
export function allocateId(maskedTokens: readonly string[], isTaken: (id: string) => boolean): string {
  const base = shapeId(maskedTokens);
  if (!isTaken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!isTaken(candidate)) return candidate;
  }
}

import { createHash } from 'node:crypto';

export interface FingerprintSignal {
  kind: 'series' | 'log';
  name: string;
  labels: Record<string, string>;
  direction: 'up' | 'down';
}

/**
 * Labels that say what kind of thing a signal is about, and so what kind of failure: which
 * dependency (`peer.service`), which state of a pool, which log template, which system. Every
 * other label is left out of the fingerprint: instance labels (host, pod, port) differ between
 * occurrences of the same failure, and request-level labels (route, method, status code) differ
 * by chance — which routes cross their bounds within the few seconds evidence is gathered depends
 * on which requests happened to come in, not on what failed.
 */
const KIND_LABELS = new Set([
  'template',
  'peer.service',
  'db.system',
  'db.system.name',
  'db.client.connection.state',
  'db.client.connection.pool.name',
  'messaging.system',
  'messaging.destination.name',
  'rpc.service',
]);

/** A signal as the fingerprint sees it: kind, series name, kind-defining labels, direction. */
export function fingerprintPart(s: FingerprintSignal): string {
  const labels = Object.keys(s.labels)
    .filter((k) => KIND_LABELS.has(k))
    .sort()
    .map((k) => `${k}=${s.labels[k]}`)
    .join(',');
  return `${s.kind}:${s.name}{${labels}}:${s.direction}`;
}

/**
 * The identity of a kind of failure: the target, and which kinds of signal moved which way (series
 * name with the labels that name a kind of thing — a log template, a dependency, a pool state —
 * and the direction). Never raw values, scores, times, instances or routes, so the same failure
 * next week gets the same fingerprint, and the learner's knowledge about it accumulates.
 * Readable prefix, hashed rest.
 */
export function incidentFingerprint(target: string, signals: readonly FingerprintSignal[]): string {
  const parts = [...new Set(signals.map(fingerprintPart))].sort();
  const digest = createHash('sha256').update(target).update('\n').update(parts.join('\n')).digest('hex').slice(0, 16);
  return `${target}/${digest}`;
}

export interface KnownFingerprint {
  fingerprint: string;
  /** The signal parts (fingerprintPart) it was first seen with. */
  parts: string[];
}

/**
 * The kinds of failure a target has had, so that a recurrence gets the fingerprint of the first
 * occurrence even when the evidence gathered in its first seconds differs a little (a metric that
 * crossed a second later, a generic latency series more or less). A new incident takes the known
 * fingerprint most similar to its signals if they are similar enough, else a fingerprint of its own.
 *
 * Similarity is a weighted Jaccard index whose weights are learned from the catalog itself (inverse
 * document frequency): a part that every kind of failure shows (the server's latency, say) says
 * little about which failure this is; a part only one kind shows (its log template, the dependency
 * whose calls slowed, the pool's waiting requests) says a lot. Order-independent for a given
 * catalog, bounded, and serialisable with the analyzer's state.
 */
export class FingerprintCatalog {
  private readonly known: KnownFingerprint[] = [];

  constructor(
    /**
     * Similarity at or above which an incident is the known kind: half the weight shared. (Two pool
     * leaks, one seen first through its timeout log line and one through its timeout counter, share
     * 0.59; a slow dependency and a pool leak, both slowing the server, 0.2.)
     */
    private readonly threshold = 0.5,
    private readonly capacity = 200,
  ) {}

  /** The fingerprint for an incident of `target` opened with these signals (remembered when new). */
  assign(target: string, signals: readonly FingerprintSignal[]): string {
    const parts = [...new Set(signals.map(fingerprintPart))].sort();
    const exact = incidentFingerprint(target, signals);
    const own = this.known.filter((k) => k.fingerprint.startsWith(`${target}/`));
    if (own.some((k) => k.fingerprint === exact)) return exact;
    let best: { fingerprint: string; similarity: number } | undefined;
    for (const k of own) {
      const similarity = this.similarity(parts, k.parts, own);
      if (similarity >= this.threshold && (best === undefined || similarity > best.similarity)) best = { fingerprint: k.fingerprint, similarity };
    }
    if (best) return best.fingerprint;
    this.known.push({ fingerprint: exact, parts });
    if (this.known.length > this.capacity) this.known.shift();
    return exact;
  }

  /** Weighted Jaccard of two part sets, weights log(1 + N / n_p) over the target's N known kinds. */
  similarity(a: readonly string[], b: readonly string[], among: readonly KnownFingerprint[] = this.known): number {
    const setA = new Set(a);
    const setB = new Set(b);
    const n = Math.max(1, among.length);
    const weight = (part: string): number => Math.log(1 + n / Math.max(1, among.filter((k) => k.parts.includes(part)).length));
    let shared = 0;
    let all = 0;
    for (const part of new Set([...setA, ...setB])) {
      const w = weight(part);
      all += w;
      if (setA.has(part) && setB.has(part)) shared += w;
    }
    return all === 0 ? 0 : shared / all;
  }

  snapshot(): KnownFingerprint[] {
    return this.known.map((k) => ({ fingerprint: k.fingerprint, parts: [...k.parts] }));
  }

  restore(known: readonly KnownFingerprint[]): void {
    this.known.length = 0;
    for (const k of known.slice(-this.capacity)) this.known.push({ fingerprint: k.fingerprint, parts: [...k.parts] });
  }
}

import { createHash } from 'node:crypto';

export interface FingerprintSignal {
  /** A series or a log template's rate that left its normal band, or the shape of an error that failed requests showed. */
  kind: 'series' | 'log' | 'error';
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
 * and the direction; the shapes of the errors requests failed with). Never raw values, scores,
 * times, instances or routes, so the same failure next week gets the same fingerprint, and the
 * learner's knowledge about it accumulates. Readable prefix, hashed rest.
 */
export function incidentFingerprint(target: string, signals: readonly FingerprintSignal[]): string {
  return fingerprintOfParts(target, partsOf(signals));
}

function partsOf(signals: readonly FingerprintSignal[]): string[] {
  return [...new Set(signals.map(fingerprintPart))].sort();
}

function fingerprintOfParts(target: string, parts: readonly string[]): string {
  const digest = createHash('sha256').update(target).update('\n').update(parts.join('\n')).digest('hex').slice(0, 16);
  return `${target}/${digest}`;
}

/** A kind of failure as the catalog keeps it (and snapshots it). */
export interface KnownFingerprint {
  fingerprint: string;
  /** The signal parts (fingerprintPart) it was first seen with. */
  parts: string[];
  /** How many incidents took this fingerprint (absent in a snapshot that does not carry it: 1). */
  occurrences?: number;
  /** Per part, how many of those incidents opened with it (absent: each first part once). */
  counts?: Record<string, number>;
}

interface Kind {
  fingerprint: string;
  parts: string[];
  occurrences: number;
  counts: Map<string, number>;
}

/**
 * The kinds of failure a target has had, so that a recurrence gets the fingerprint of the first
 * occurrence even when the evidence gathered in its first seconds differs (a metric that crossed
 * a second later, a log line not yet exported, a generic series more or less). A new incident
 * takes the known kind most similar to its signals if it is similar enough, else a fingerprint of
 * its own.
 *
 * Each kind is a profile, not a single example: how often each part was among the opening
 * signals of the incidents that took it. An untypical first occurrence does not fix the kind
 * forever, and a part seen once by chance weighs little.
 *
 * Similarity is a weighted Dice (Sørensen) index of the incident's parts against the profile —
 * shared / (shared + half of what only one side has), the profile's side weighted by how often
 * each part showed — with weights learned from the catalog (smoothed inverse document frequency):
 * a part every kind shows (the server's latency, the error ratio) says little about which failure
 * this is; a part one kind shows (its log template, its error's shape, the dependency whose calls
 * slowed) says a lot; a part no kind has shown yet says the most. Symmetric in what is missing on
 * either side, because either side may be the incomplete one: evidence gathered for a few
 * seconds often is, and a kind's first occurrence may have been.
 *
 * The threshold and the form were chosen on replays of the openings the shop's four faults
 * really had (fingerprint.spec.ts): in random orders, this keeps each fault to one fingerprint,
 * where a weighted Jaccard against the first occurrence splits one in most orders.
 * Bounded, and serialisable with the analyzer's state.
 */
export class FingerprintCatalog {
  private readonly known: Kind[] = [];

  constructor(
    /** Similarity at or above which an incident is the known kind. */
    private readonly threshold = 0.45,
    /** Kinds kept (all targets together); beyond it, the one seen least recently is forgotten. */
    private readonly capacity = 200,
  ) {}

  /** The fingerprint for an incident of `target` opened with these signals; the kind's profile learns from them. */
  assign(target: string, signals: readonly FingerprintSignal[]): string {
    const parts = partsOf(signals);
    const best = this.bestKind(target, parts);
    if (best) {
      best.kind.occurrences++;
      for (const p of parts) best.kind.counts.set(p, (best.kind.counts.get(p) ?? 0) + 1);
      // Most recently seen last: at capacity, the kind seen least recently goes.
      this.known.splice(this.known.indexOf(best.kind), 1);
      this.known.push(best.kind);
      return best.kind.fingerprint;
    }
    const exact = fingerprintOfParts(target, parts);
    this.known.push({ fingerprint: exact, parts, occurrences: 1, counts: new Map(parts.map((p) => [p, 1])) });
    if (this.known.length > this.capacity) this.known.shift();
    return exact;
  }

  /**
   * Whether evidence sits between kinds, so that more of it should be gathered before the
   * incident takes a fingerprint: it resembles a known kind (at least half the threshold) without
   * being similar enough to it, or shows nothing that known kinds have not shown, or matches a
   * kind by less than `margin` above the threshold, or about as well (within `margin`) as it
   * resembles another. A few seconds of evidence is sometimes only what two kinds share (a pool gauge and
   * the error ratio) or a corner of one (a timeout counter alone); a fingerprint fixed on it would
   * start a kind of its own or borrow another kind's knowledge. Evidence like nothing known is not
   * ambiguous: it is new.
   */
  isAmbiguous(target: string, signals: readonly FingerprintSignal[], margin = 0.1): boolean {
    const parts = partsOf(signals);
    const own = this.kindsOf(target);
    const exact = fingerprintOfParts(target, parts);
    if (own.some((k) => k.fingerprint === exact)) return false;
    const [best = 0, second = 0] = own.map((kind) => this.similarityTo(parts, kind, own)).sort((a, b) => b - a);
    const near = this.threshold / 2;
    // Nothing it has is new: only what known kinds showed, too little of any one of them.
    if (best < this.threshold) return best >= near || parts.every((p) => own.some((k) => k.counts.has(p)));
    return best < this.threshold + margin || (second >= near && best - second < margin);
  }

  /** Whether these signals would found a kind of their own: no known kind of the target is similar enough. */
  isNew(target: string, signals: readonly FingerprintSignal[]): boolean {
    const parts = partsOf(signals);
    const own = this.kindsOf(target);
    const exact = fingerprintOfParts(target, parts);
    return !own.some((k) => k.fingerprint === exact || this.similarityTo(parts, k, own) >= this.threshold);
  }

  /**
   * The known kind these signals are, without learning from them (see assign): its fingerprint, or
   * undefined when they would found a kind of their own.
   */
  match(target: string, signals: readonly FingerprintSignal[]): string | undefined {
    return this.bestKind(target, partsOf(signals))?.kind.fingerprint;
  }

  /** The target's kind with exactly these parts, else the most similar one at or above the threshold. */
  private bestKind(target: string, parts: readonly string[]): { kind: Kind; similarity: number } | undefined {
    const exact = fingerprintOfParts(target, parts);
    const own = this.kindsOf(target);
    const same = own.find((k) => k.fingerprint === exact);
    if (same) return { kind: same, similarity: 1 };
    let best: { kind: Kind; similarity: number } | undefined;
    for (const kind of own) {
      const similarity = this.similarityTo(parts, kind, own);
      if (similarity >= this.threshold && (best === undefined || similarity > best.similarity)) best = { kind, similarity };
    }
    return best;
  }

  /** How similar an incident's parts are to a known kind, in [0, 1]; undefined for an unknown fingerprint. */
  similarity(parts: readonly string[], fingerprint: string): number | undefined {
    const kind = this.known.find((k) => k.fingerprint === fingerprint);
    if (!kind) return undefined;
    return this.similarityTo(parts, kind, this.kindsOf(fingerprint.slice(0, fingerprint.lastIndexOf('/'))));
  }

  /** The kinds known for a target (fingerprints are `<target>/<hash>`). */
  private kindsOf(target: string): Kind[] {
    return this.known.filter((k) => k.fingerprint.startsWith(`${target}/`));
  }

  private similarityTo(parts: readonly string[], kind: Kind, among: readonly Kind[]): number {
    const frequency = (k: Kind, part: string): number => (k.counts.get(part) ?? 0) / k.occurrences;
    // In how many kinds a part shows (fractionally: a part seen in half of a kind's occurrences counts half).
    const weight = (part: string): number =>
      Math.log(1 + (among.length + 1) / (among.reduce((sum, k) => sum + frequency(k, part), 0) + 0.5));
    const own = new Set(parts);
    let shared = 0;
    let unexplained = 0;
    let missing = 0;
    for (const part of own) {
      const w = weight(part);
      const f = frequency(kind, part);
      shared += w * f;
      unexplained += w * (1 - f);
    }
    for (const part of kind.counts.keys()) if (!own.has(part)) missing += weight(part) * frequency(kind, part);
    const all = shared + (unexplained + missing) / 2;
    return all === 0 ? 0 : shared / all;
  }

  snapshot(): KnownFingerprint[] {
    return this.known.map((k) => ({
      fingerprint: k.fingerprint,
      parts: [...k.parts],
      occurrences: k.occurrences,
      counts: Object.fromEntries(k.counts),
    }));
  }

  restore(known: readonly KnownFingerprint[]): void {
    this.known.length = 0;
    for (const k of known.slice(-this.capacity)) {
      const counts = new Map<string, number>();
      for (const [part, count] of Object.entries(k.counts ?? Object.fromEntries(k.parts.map((p) => [p, 1])))) {
        if (Number.isFinite(count) && count > 0) counts.set(part, count);
      }
      const occurrences = Math.max(1, k.occurrences ?? 1, ...counts.values());
      this.known.push({ fingerprint: k.fingerprint, parts: [...k.parts], occurrences, counts });
    }
  }
}

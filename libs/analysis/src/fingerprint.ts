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

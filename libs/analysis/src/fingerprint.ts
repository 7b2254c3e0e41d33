import { createHash } from 'node:crypto';

export interface FingerprintSignal {
  kind: 'series' | 'log';
  name: string;
  labels: Record<string, string>;
  direction: 'up' | 'down';
}

/**
 * Labels that name an instance rather than a kind of thing: two occurrences of the same failure on
 * different pods, hosts or ports must get the same fingerprint.
 */
const INSTANCE_LABEL = /^(host|k8s\.pod|k8s\.node|container|process|service\.instance|net\.|network\.|server\.port|client\.|pid|instance|pod)/;

/**
 * The identity of a kind of failure: the target, and which signals moved which way (series name
 * with its low-cardinality labels such as route or template id, and the direction). Never raw
 * values, scores or times, so the same failure next week gets the same fingerprint, and the
 * learner's knowledge about it accumulates. Readable prefix, hashed rest.
 */
export function incidentFingerprint(target: string, signals: readonly FingerprintSignal[]): string {
  const parts = [
    ...new Set(
      signals.map((s) => {
        const labels = Object.keys(s.labels)
          .filter((k) => !INSTANCE_LABEL.test(k))
          .sort()
          .map((k) => `${k}=${s.labels[k]}`)
          .join(',');
        return `${s.kind}:${s.name}{${labels}}:${s.direction}`;
      }),
    ),
  ].sort();
  const digest = createHash('sha256').update(target).update('\n').update(parts.join('\n')).digest('hex').slice(0, 16);
  return `${target}/${digest}`;
}

import type { Component } from '@homeostat/contracts';
import type { EvidenceSeries, FailingSpan } from './incident-tracker';
import { DERIVED } from './series';

/** A change of the target the platform was told about: a config version or a deploy (service.version). */
export interface TargetChange {
  atMs: number;
  /** The attribute that changed, e.g. `shop.config.version`, `service.version`. */
  key: string;
  from?: string;
  to: string;
}

export interface ComponentEvidenceInput {
  signals: readonly Pick<EvidenceSeries, 'name' | 'labels' | 'score' | 'direction' | 'firstAnomalousMs' | 'observed' | 'template'>[];
  failingSpans: readonly Pick<FailingSpan, 'error' | 'statusMessage'>[];
  /** Services the target calls (from the call graph): an error that names one is about that dependency. */
  dependencies: readonly string[];
  /** The target's changes, oldest first. */
  changes: readonly TargetChange[];
  /**
   * How far before the first anomalous signal the failure may have begun: series are bucketed, so
   * a failure that began just after a change shows from the start of the change's bucket.
   */
  onsetSlackMs: number;
}

export interface ComponentSuspicion {
  name: Component;
  /** In [0, 1]: noisy-OR of the pieces of evidence that point here. */
  score: number;
  /** For `downstream`: the dependency the evidence names most strongly. */
  peer?: string;
  reasons: string[];
}

/** A change this long before the onset is no longer suspected for its timing alone. */
export const CHANGE_WINDOW_MS = 10 * 60_000;
/** Within this, a change is as suspect as timing alone can make it. */
const CHANGE_RECENT_MS = 60_000;

/**
 * Where inside the target the evidence points, in the vocabulary loop actions say they address
 * (COMPONENTS), strongest first. Each rule reads a kind of evidence the conventions make
 * recognisable on any service, not a failure of one system:
 * - db-pool: the database connection-pool metrics of the semantic conventions
 *   (`db.client.connection.*`), errors and logs about acquiring a connection;
 * - database: database operation metrics, errors about queries;
 * - downstream: client metrics (`http.client.*`, `rpc.client.*`, a `peer.service` label), errors
 *   and logs that name a service the target calls (the call graph), or a dependency in general;
 * - retry-policy: errors and logs that count attempts or retries — the target multiplies its
 *   calls, and a retry storm keeps a failing dependency down;
 * - config-change: the last change of the target's config (or version) before the onset, the
 *   closer the more suspect, and errors that blame a config (most of all the changed version);
 * - process: runtime metrics (process, memory, event loop) and a target gone silent.
 * Pieces of evidence for one component combine by noisy-OR. What the failed requests' errors and
 * the error logs say is direct evidence; a metric that moved, and a change that came before, are
 * circumstantial and are discounted by direct evidence for another component. Ties keep the order above.
 */
export function suspectComponents(input: ComponentEvidenceInput): ComponentSuspicion[] {
  const found = new Map<Component, { miss: number; peers: Map<string, number>; reasons: { score: number; text: string }[] }>();
  const add = (name: Component, score: number, reason: string, peer?: string): void => {
    const s = Math.min(0.99, Math.max(0, score));
    if (s <= 0) return;
    const entry = found.get(name) ?? { miss: 1, peers: new Map<string, number>(), reasons: [] };
    entry.miss *= 1 - s;
    if (peer !== undefined) entry.peers.set(peer, Math.max(entry.peers.get(peer) ?? 0, s));
    entry.reasons.push({ score: s, text: reason });
    found.set(name, entry);
  };

  // Texts: log templates (with a sample line: the masked template hides numbers a rule may need)
  // and the errors failed requests showed.
  const texts: { text: string; score: number; source: string }[] = [];
  for (const s of input.signals) {
    if (s.template)
      texts.push({ text: `${s.template.text}\n${s.template.sample ?? ''}`, score: s.score, source: `log "${clip(s.template.text)}"` });
  }
  const errors = new Map<string, string>();
  for (const span of input.failingSpans) {
    const shape = span.error ?? span.statusMessage;
    if (shape !== undefined && !errors.has(shape)) errors.set(shape, `${span.error ?? ''}\n${span.statusMessage ?? ''}`);
  }
  for (const [shape, text] of errors) texts.push({ text, score: 0.9, source: `error "${clip(shape)}"` });

  const dependencies = input.dependencies.filter((d) => d.length >= 2).map((d) => ({ name: d, pattern: wordPattern(d) }));
  const lastChange = lastChangeBefore(input);
  for (const { text, score, source } of texts) {
    if (/connection pool|acquir\w* (a )?connection|pool (is )?exhausted|too many (db |database )?connections/i.test(text))
      add('db-pool', score, `${source} is about the connection pool`);
    else if (/\bsql\b|database|deadlock|\bquer(y|ies)\b/i.test(text)) add('database', 0.8 * score, `${source} is about the database`);
    const named = dependencies.filter((d) => d.pattern.test(text));
    for (const d of named) add('downstream', score, `${source} names ${d.name}, a service the target calls`, d.name);
    if (named.length === 0 && /downstream|upstream|dependency|bad gateway|gateway timeout/i.test(text))
      add('downstream', 0.7 * score, `${source} is about a dependency`);
    if (/\bretr(y|ies|ied|ying)\b|\battempt|\bresen[dt]/i.test(text))
      add('retry-policy', score, `${source} counts attempts: calls are retried`);
    if (/\bconfig(uration)?\b|feature flag/i.test(text)) {
      const names = lastChange !== undefined && new RegExp(`\\b(version|v)\\s*${escapeRegExp(lastChange.change.to)}\\b`, 'i').test(text);
      add(
        'config-change',
        (names ? 0.95 : 0.6) * score,
        names ? `${source} names config version ${lastChange.change.to}, the one just changed to` : `${source} blames a config`,
      );
    }
  }

  // Metrics are circumstantial: a metric that moved alongside errors that name another component
  // is more likely a consequence (load, a slower process) than the cause, so it is discounted by
  // the strongest such direct evidence, as a dependency's anomaly discounts its caller in the
  // root-cause ranking.
  const direct = new Map([...found.entries()].map(([name, e]) => [name, 1 - e.miss]));
  const directElsewhere = (name: Component): number => Math.max(0, ...[...direct.entries()].filter(([n]) => n !== name).map(([, x]) => x));
  // The mean and the p95 of one histogram are one observation, not two independent ones.
  const strongest = new Map<string, (typeof input.signals)[number]>();
  for (const s of input.signals) {
    if (s.template) continue;
    const key = `${s.name.replace(/\.(mean|p\d+)$/, '')}|${s.labels['peer.service'] ?? ''}`;
    const seen = strongest.get(key);
    if (seen === undefined || s.score > seen.score) strongest.set(key, s);
  }
  const metric = (name: Component, score: number, reason: string, peer?: string): void =>
    add(name, score * (1 - 0.7 * directElsewhere(name)), reason, peer);
  for (const s of strongest.values()) {
    const what = `${s.name}${describeLabels(s.labels)} ${s.direction}`;
    const peer = s.labels['peer.service'] ?? s.labels['rpc.service'] ?? s.labels['server.address'];
    if (s.name.startsWith('db.client.connection.')) metric('db-pool', s.score, `pool metric ${what}`);
    else if (s.name.startsWith('db.client.')) metric('database', s.score, `database metric ${what}`);
    else if (/^(http|rpc)\.client\./.test(s.name) || s.labels['peer.service'] !== undefined)
      metric('downstream', s.score, `client metric ${what}`, peer);
    else if (/^(process|system|jvm|v8js|nodejs|runtime|go|dotnet)\./.test(s.name)) metric('process', s.score, `runtime metric ${what}`);
    else if (s.name === DERIVED.requestRate && s.direction === 'down' && s.observed === 0)
      metric('process', 0.6 * s.score, `no requests served (${what})`);
  }

  if (lastChange !== undefined) {
    const { change, gapMs } = lastChange;
    const timing = gapMs <= CHANGE_RECENT_MS ? 1 : 1 - (gapMs - CHANGE_RECENT_MS) / (CHANGE_WINDOW_MS - CHANGE_RECENT_MS);
    // Timing is more circumstantial still: when the evidence itself points at another component
    // (a pool running dry, a dependency named in the errors or slower), that explains the failure
    // better than a change that merely came before it (often the loop's own fix of the last
    // incident), and more so than it discounts a metric: nearly all of it (0.9, not 0.7). At 0.7 a
    // change left 0.15 beside a sure downstream, and the cache's first-choice share for a slow
    // dependency fell from about 90 to 82 in 100.
    const other = Math.max(0, ...[...found.entries()].filter(([name]) => name !== 'config-change').map(([, e]) => 1 - e.miss));
    add(
      'config-change',
      0.5 * timing * (1 - 0.9 * other),
      `${change.key} changed${change.from === undefined ? '' : ` from ${change.from}`} to ${change.to} ${Math.round(gapMs / 1000)} s before the onset`,
    );
  }

  const order = ['db-pool', 'database', 'downstream', 'retry-policy', 'config-change', 'process'];
  return [...found.entries()]
    .map(([name, e]) => {
      const peer = [...e.peers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      return {
        name,
        score: Number((1 - e.miss).toFixed(4)),
        ...(peer === undefined ? {} : { peer }),
        reasons: [...new Set(e.reasons.sort((a, b) => b.score - a.score).map((r) => r.text))].slice(0, 3),
      };
    })
    .sort((a, b) => b.score - a.score || order.indexOf(a.name) - order.indexOf(b.name));
}

/**
 * The signals of the failure's onset: those that were anomalous by the time the incident opened,
 * or, for evidence gathered later (a relapse's), within one gathering window of its first signal.
 * Signals that appear once the loop has acted are left out: a recycled pool's gauges, a restart's
 * silence are what the action did, not what went wrong, and would turn the hypothesis towards the
 * action just tried (a slow dependency's hypothesis lost half its fit to the cache after a recycle).
 */
export function onsetSignals<S extends Pick<EvidenceSeries, 'firstAnomalousMs'>>(
  signals: readonly S[],
  openedAtMs: number,
  gatherForMs: number,
): S[] {
  if (signals.length === 0) return [];
  const onset = Math.min(...signals.map((s) => s.firstAnomalousMs));
  const cutoff = Math.max(openedAtMs, onset + gatherForMs);
  return signals.filter((s) => s.firstAnomalousMs <= cutoff);
}

/** The last change at or before the onset (with the slack), within the window; undefined when none. */
function lastChangeBefore(input: ComponentEvidenceInput): { change: TargetChange; gapMs: number } | undefined {
  if (input.signals.length === 0) return undefined;
  const onset = Math.min(...input.signals.map((s) => s.firstAnomalousMs));
  const before = input.changes.filter((c) => c.atMs <= onset + input.onsetSlackMs);
  const change = before[before.length - 1];
  if (change === undefined) return undefined;
  const gapMs = Math.max(0, onset - change.atMs);
  return gapMs < CHANGE_WINDOW_MS ? { change, gapMs } : undefined;
}

function describeLabels(labels: Record<string, string>): string {
  const keep = ['peer.service', 'db.client.connection.state', 'route'].filter((k) => labels[k] !== undefined);
  return keep.length === 0 ? '' : `{${keep.map((k) => `${k}=${labels[k]}`).join(',')}}`;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The name as a word of its own: `inventory` in "inventory GET /items", not in "inventory-sync". */
function wordPattern(name: string): RegExp {
  return new RegExp(`(^|[^\\w.-])${escapeRegExp(name)}(?![\\w-])`, 'i');
}

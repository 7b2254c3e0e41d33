import type { LoopSpec, SignalSpec } from '@homeostat/contracts';
import { DEFAULT_DETECTION, parseDuration } from '@homeostat/contracts';
import type { DetectionSettings } from './incident-tracker';
import { DERIVED } from './series';

/** The loop a target belongs to, or none: then every signal is watched with default settings. */
export interface TargetLoop {
  name: string;
  spec?: LoopSpec;
  settings: DetectionSettings;
}

export const UNMANAGED_LOOP = 'unmanaged';

export function detectionSettings(spec?: LoopSpec): DetectionSettings {
  const d = spec?.spec.detection ?? DEFAULT_DETECTION;
  return {
    sensitivity: d.sensitivity,
    minSignals: d.minSignals,
    gatherForMs: parseDuration(d.gatherFor),
    resolveAfterMs: parseDuration(d.resolveAfter),
    expireAfterMs: 15 * 60_000,
    updateEveryMs: 10_000,
  };
}

export function loopFor(target: string, loops: readonly LoopSpec[]): TargetLoop {
  const spec = loops.find((l) => l.spec.target.service === target);
  return spec
    ? { name: spec.metadata.name, spec, settings: detectionSettings(spec) }
    : { name: UNMANAGED_LOOP, settings: detectionSettings() };
}

/**
 * What the loop makes of a series point (or a log template's rate), in one pass over its signals.
 *
 * Watched or not: a metric signal watches that metric and what is derived from it (`<name>.rate`,
 * `.p95`, `.mean`); a span signal watches the request rate, error ratio and latency derived from
 * the target's spans (its route, or `*`; `errorsOnly` keeps the error ratio only); a log signal
 * watches the templates whose text or sample matches its query. A target without a loop watches
 * everything.
 *
 * Past the bounds or inside them: a metric signal's `threshold` bounds the metric and the values
 * derived from its distribution (`.mean`, `.p95`; not its `.rate`), a span signal's
 * `latencyThresholdMs` bounds the span latency. The learned baseline says what is unusual; the
 * bound says what matters: a latency that doubles but stays far inside the objective is no
 * incident. A series several signals watch is past the bounds if one of them lets it (an unbounded
 * one always does).
 */
export function matchSignals(
  loop: TargetLoop,
  series: { name: string; labels: Record<string, string>; value: number },
  template?: { text: string; sample?: string },
): 'unwatched' | 'inside-bounds' | 'past-bounds' {
  if (!loop.spec) return 'past-bounds';
  let watched = false;
  for (const s of loop.spec.spec.signals) {
    if (!signalMatches(s, series, template)) continue;
    if (pastSignalBound(s, series)) return 'past-bounds';
    watched = true;
  }
  return watched ? 'inside-bounds' : 'unwatched';
}

/** Whether the value is past the signal's bound; a value the signal does not bound always is. */
function pastSignalBound(signal: SignalSpec, series: { name: string; value: number }): boolean {
  switch (signal.kind) {
    case 'metric': {
      if (signal.threshold === undefined) return true;
      const bounded = series.name === signal.name || series.name === `${signal.name}.mean` || series.name === `${signal.name}.p95`;
      return !bounded || series.value >= signal.threshold;
    }
    case 'span':
      return signal.latencyThresholdMs === undefined || series.name !== DERIVED.latencyP95 || series.value >= signal.latencyThresholdMs;
    case 'log':
    case 'build':
      return true;
  }
}

function signalMatches(
  signal: SignalSpec,
  series: { name: string; labels: Record<string, string> },
  template?: { text: string; sample?: string },
): boolean {
  switch (signal.kind) {
    case 'metric':
      return (series.name === signal.name || series.name.startsWith(`${signal.name}.`)) && labelsMatch(signal.labels, series.labels);
    case 'span': {
      if (series.name !== DERIVED.requestRate && series.name !== DERIVED.errorRate && series.name !== DERIVED.latencyP95) return false;
      if (signal.errorsOnly && series.name !== DERIVED.errorRate) return false;
      return spanSignalRoute(signal, series.labels['route'] ?? '');
    }
    case 'log': {
      if (series.name !== DERIVED.logTemplateRate || !template) return false;
      const q = signal.query;
      const re = q.length > 2 && q.startsWith('/') && q.endsWith('/') ? new RegExp(q.slice(1, -1), 'i') : undefined;
      const hit = (text: string | undefined): boolean =>
        text === undefined ? false : re ? re.test(text) : text.toLowerCase().includes(q.toLowerCase());
      return hit(template.text) || hit(template.sample);
    }
    case 'build':
      return false;
  }
}

/** Whether a span signal covers a route (`GET /stock`): its name matches and no ignore pattern does. */
function spanSignalRoute(signal: Extract<SignalSpec, { kind: 'span' }>, route: string): boolean {
  if (signal.ignoreRoutes?.some((pattern) => routePattern(pattern).test(route))) return false;
  return signal.name === '*' || route === signal.name || route.endsWith(` ${signal.name}`);
}

const patterns = new Map<string, RegExp>();
function routePattern(glob: string): RegExp {
  let re = patterns.get(glob);
  if (!re) {
    re = new RegExp(
      `^${glob
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    patterns.set(glob, re);
  }
  return re;
}

/**
 * Whether a failing span is evidence for the loop: some span signal covers its route. A target
 * without a loop takes every failing span.
 */
export function watchesSpan(loop: TargetLoop, route: string): boolean {
  if (!loop.spec) return true;
  return loop.spec.spec.signals.some((s) => s.kind === 'span' && spanSignalRoute(s, route));
}

function labelsMatch(wanted: Record<string, string> | undefined, actual: Record<string, string>): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => actual[k] === v);
}

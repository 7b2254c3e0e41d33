import type { LogsBatch, LoopSpec, MetricsBatch, SpansBatch } from '@homeostat/contracts';
import { createDetector, restoreDetector, type DetectorSnapshot, type SeriesDetector } from '@homeostat/detectors';
import { TemplateMiner, type MinerSnapshot } from '@homeostat/logmine';
import { Baseline } from './baseline';
import { CallGraph } from './call-graph';
import { describeSignal, incidentEvent, type IncidentEvent, type IncidentHypothesis } from './incident-events';
import { IncidentTracker, type IncidentState, type TrackerSnapshot } from './incident-tracker';
import { LogSeriesAggregator } from './log-series';
import { loopFor, matchSignals, watchesSpan, type TargetLoop } from './loop-matcher';
import { MetricSeriesConverter } from './metric-series';
import { rankRootCauses, type RootCauseCandidate, type SignalEvidence } from './root-cause';
import { DERIVED, seriesKey, type SeriesPoint } from './series';
import { SpanSeriesAggregator, errorShape, routeOf } from './span-series';
import { onsetSignals, suspectComponents, type ComponentSuspicion } from './suspect-component';
import { TargetChanges, type TargetChangesSnapshot } from './target-changes';

export interface EngineOptions {
  bucketMs: number;
  latenessMs: number;
  /** Series kept at once (detector + baseline each); the least recently updated go first. */
  maxSeries: number;
  /** Score given to a warning/error log template that appears where it was absent. */
  newErrorTemplateScore: number;
  /**
   * How long a change must last, while the target's errors stay within their band, before it
   * becomes the new normal (the baselines follow it). Long enough that an incident, even a slow
   * one, does not teach the loop that failing is normal — otherwise the same failure next time
   * would not stand out. Time with errors up does not count (see score).
   */
  adaptAfterMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  bucketMs: 10_000,
  latenessMs: 2_000,
  maxSeries: 50_000,
  newErrorTemplateScore: 0.95,
  adaptAfterMs: 15 * 60_000,
};

/** A target's loop and the tracker of its incidents. */
interface TargetAnalysis {
  loop: TargetLoop;
  tracker: IncidentTracker;
}

interface SeriesState {
  detector: SeriesDetector;
  baseline: Baseline;
}

interface TemplateState {
  text: string;
  sample: string;
  /** Highest OTel severity number seen with it (13+ warn, 17+ error). */
  severity: number;
}

const WARN = 13;

/**
 * The detector as the analyzer runs it: a history of 1024 points (about 3 hours of 10-second buckets),
 * the raw and the fast view only (slowSmoothingAlpha 0), novelty against the window's range only,
 * without the local spread and the refractory bar (neighbourhoodSize 1, refractoryPoints 0). The
 * detector's defaults (a 4096-point history and the slow view) were chosen for alerting on long,
 * noisy single series (NAB); a demo or an incident test runs for minutes, and the analyzer's
 * detection delay and sensitivity at the start of a series were set, and tested end to end, with
 * this configuration, so it is pinned here rather than inherited. The spread and the bar serve alerting
 * on a single series (NAB scores them, `homeostat replay` writes them): both make a series'
 * disturbance count once — the bar halves anything no more novel than the last 192 points' peak,
 * and the spread discounts a burst about as high as earlier ones. Most evidence series here (error
 * ratios, log-template rates, pool gauges) are zero with bursts, one per occurrence of a failure,
 * and the analyzer must see every occurrence in full, with the same signals, or a recurrence opens
 * late or with other evidence (another fingerprint). That harm is reasoned, not measured: a
 * learning-e2e run with both on would measure it.
 */
const DETECTOR_OPTIONS = { historySize: 1024, slowSmoothingAlpha: 0, neighbourhoodSize: 1, refractoryPoints: 0 } as const;

type SeriesSnapshot = { key: string; detector: DetectorSnapshot; baseline: ReturnType<Baseline['toJSON']> };

/**
 * What the analyzer knows about one target, on its own: the detector and baseline of each of its
 * series, its log templates and their miner (template ids stay the same), its incident state (an
 * open incident stays open, with its evidence) and its fingerprint catalog. It is the unit that
 * moves when the target's partition moves to another replica. Open time buckets and the call
 * graph are not in it: they refill within a bucket or two.
 */
export interface TargetSnapshot {
  version: 1;
  target: string;
  savedAtMs: number;
  /** When the analyzer first saw the target (a template new once the target is well known is a signal). */
  firstSeenMs: number;
  /** When its telemetry last came in, to the process that took the snapshot (absent: not known). */
  lastSeenMs?: number;
  series: SeriesSnapshot[];
  templates: { key: string; state: TemplateState }[];
  miner: MinerSnapshot;
  tracker: TrackerSnapshot;
  /** The version attributes it announced and its recent changes (absent in older snapshots: none known). */
  changes?: TargetChangesSnapshot;
  /** What other parts of the analyzer keep per target (the optimize loops' routes), by part name, carried as is (StateHandover.addPart). */
  parts?: Record<string, unknown>;
}

/** Every target's state (what a restart continues from). Version 1, still read, has one miner for all targets. */
export type EngineSnapshot =
  | { version: 2; savedAtMs: number; targets: TargetSnapshot[] }
  | {
      version: 1;
      savedAtMs: number;
      series: SeriesSnapshot[];
      templates: { key: string; state: TemplateState }[];
      miner: MinerSnapshot;
      trackers: { target: string; state: TrackerSnapshot }[];
    };

/**
 * The analyzer's reasoning, without the framework: telemetry in, incident events out.
 * Spans become per-route request rate, error ratio and p95 latency; metrics become series
 * (counters as rates, histograms as mean and p95); log lines are mined into templates whose
 * rates are series too. Every series has its own streaming detector and baseline; each target
 * has an incident tracker that gathers anomalous signals, opens, updates and resolves incidents
 * with a stable fingerprint; the call graph learned from spans ranks the root-cause suspects.
 */
export class AnalysisEngine {
  private readonly spans: SpanSeriesAggregator;
  private readonly logs: LogSeriesAggregator;
  private readonly metrics = new MetricSeriesConverter();
  private readonly graph = new CallGraph();
  /** Config versions and deploys each target announced: a change just before an onset is a suspect. */
  private readonly changes = new TargetChanges();
  /** Log template miners, one per target, so a target's templates move with it. */
  private readonly miners = new Map<string, TemplateMiner>();
  private readonly series = new Map<string, SeriesState>();
  private readonly templates = new Map<string, TemplateState>();
  private readonly analyses = new Map<string, TargetAnalysis>();
  private readonly firstSeen = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();
  /** When each target's errors (error ratio, warning/error log rates) were last past their band upwards. */
  private readonly errorsFailingAt = new Map<string, number>();
  private readonly opts: EngineOptions;

  constructor(
    private readonly loops: readonly LoopSpec[],
    private readonly newId: () => string,
    options: Partial<EngineOptions> = {},
  ) {
    this.opts = { ...DEFAULT_ENGINE_OPTIONS, ...options };
    this.spans = new SpanSeriesAggregator(this.opts.bucketMs);
    this.logs = new LogSeriesAggregator(this.opts.bucketMs);
  }

  ingestSpans(service: string, batch: SpansBatch, nowMs: number): void {
    this.known(service, nowMs);
    this.changes.observe(service, batch.resource.attributes, nowMs, this.wellKnown(service, nowMs));
    const { loop, tracker } = this.analysisOf(service);
    for (const span of batch.spans) {
      this.graph.observe(service, span, nowMs);
      this.spans.add(service, span);
      if (span.status.code === 'error' && watchesSpan(loop, routeOf(span))) {
        const error = errorShape(span);
        tracker.addFailingSpan(
          {
            traceId: span.traceId,
            spanId: span.spanId,
            name: span.name,
            service,
            ...(span.status.message ? { statusMessage: span.status.message } : {}),
            ...(error ? { error } : {}),
          },
          nowMs,
        );
      }
    }
  }

  ingestMetrics(service: string, batch: MetricsBatch, nowMs: number): void {
    this.known(service, nowMs);
    this.changes.observe(service, batch.resource.attributes, nowMs, this.wellKnown(service, nowMs));
    for (const metric of batch.metrics) {
      for (const point of this.metrics.convert(service, metric)) this.score(point, nowMs);
    }
  }

  ingestLogs(service: string, batch: LogsBatch, nowMs: number): void {
    this.known(service, nowMs);
    const wellKnown = this.wellKnown(service, nowMs);
    this.changes.observe(service, batch.resource.attributes, nowMs, wellKnown);
    for (const record of batch.logRecords) {
      const mined = this.minerFor(service).add(record.body);
      const key = `${service}\u0000${mined.templateId}`;
      const known = this.templates.get(key);
      if (known) {
        known.text = mined.template;
        known.severity = Math.max(known.severity, record.severityNumber);
      } else {
        this.templates.set(key, { text: mined.template, sample: record.body.slice(0, 500), severity: record.severityNumber });
        if (this.templates.size > this.opts.maxSeries) this.templates.delete(this.templates.keys().next().value as string);
      }
      const t = record.timeUnixNano !== '0' ? record.timeUnixNano : record.observedTimeUnixNano;
      const atMs = Number(BigInt(t) / 1_000_000n);
      this.changes.observe(service, record.attributes, atMs, wellKnown);
      this.logs.add(service, mined.templateId, atMs);
    }
  }

  snapshot(nowMs: number): EngineSnapshot {
    return { version: 2, savedAtMs: nowMs, targets: this.snapshotTargets(this.targets(), nowMs) };
  }

  /** Continues from a snapshot (the loops are today's: a target keeps its state if its loop changed). */
  restore(snapshot: EngineSnapshot): void {
    for (const target of this.targets()) this.dropTarget(target);
    if (snapshot.version === 2) {
      for (const t of snapshot.targets) this.restoreTarget(t);
      return;
    }
    if (snapshot.version !== 1)
      throw new Error(`unsupported analyzer snapshot version ${String((snapshot as { version: unknown }).version)}`);
    // Version 1: one miner for every target; each target gets a copy of it.
    const targets = new Set([
      ...snapshot.trackers.map((t) => t.target),
      ...snapshot.series.map((s) => targetOfKey(s.key)),
      ...snapshot.templates.map((t) => targetOfKey(t.key)),
    ]);
    for (const target of targets) {
      this.restoreTarget({
        version: 1,
        target,
        savedAtMs: snapshot.savedAtMs,
        firstSeenMs: snapshot.savedAtMs - 5 * this.opts.bucketMs,
        series: snapshot.series.filter((s) => targetOfKey(s.key) === target),
        templates: snapshot.templates.filter((t) => targetOfKey(t.key) === target),
        miner: snapshot.miner,
        tracker:
          snapshot.trackers.find((t) => t.target === target)?.state ??
          new IncidentTracker(target, loopFor(target, this.loops).settings, this.newId).snapshot(),
      });
    }
  }

  /** The targets the engine holds state for. */
  targets(): string[] {
    return [...new Set([...this.analyses.keys(), ...this.firstSeen.keys(), ...this.miners.keys()])];
  }

  /** How much the engine holds (the analyzer's metrics): series with a detector, mined log templates, targets. */
  counts(): { series: number; templates: number; targets: number } {
    return { series: this.series.size, templates: this.templates.size, targets: this.targets().length };
  }

  /** Whether the engine holds state for the target. */
  hasTarget(target: string): boolean {
    return this.analyses.has(target) || this.firstSeen.has(target) || this.miners.has(target);
  }

  /** When telemetry of the target last came in (undefined: never, or dropped). */
  lastSeenMs(target: string): number | undefined {
    return this.lastSeen.get(target);
  }

  /** One target's state, on its own (see TargetSnapshot). */
  snapshotTarget(target: string, nowMs: number): TargetSnapshot {
    return this.snapshotTargets([target], nowMs)[0] as TargetSnapshot;
  }

  /** Several targets' states, in one pass over the series and templates. */
  snapshotTargets(targets: readonly string[], nowMs: number): TargetSnapshot[] {
    const out = new Map<string, TargetSnapshot>();
    for (const target of targets) {
      out.set(target, {
        version: 1,
        target,
        savedAtMs: nowMs,
        firstSeenMs: this.firstSeen.get(target) ?? nowMs,
        ...(this.lastSeen.has(target) ? { lastSeenMs: this.lastSeen.get(target) } : {}),
        series: [],
        templates: [],
        miner: this.minerFor(target).snapshot(),
        tracker: this.analysisOf(target).tracker.snapshot(),
        changes: this.changes.snapshot(target),
      });
    }
    for (const [key, s] of this.series)
      out.get(targetOfKey(key))?.series.push({ key, detector: s.detector.snapshot(), baseline: s.baseline.toJSON() });
    for (const [key, state] of this.templates) out.get(targetOfKey(key))?.templates.push({ key, state: { ...state } });
    return [...out.values()];
  }

  /**
   * Takes over a target's state (replacing what the engine had for it). A snapshot that does not
   * restore (another target's keys, a detector or miner state that does not load) throws and
   * leaves the engine without the target: it starts cold.
   */
  restoreTarget(snapshot: TargetSnapshot): void {
    if (snapshot.version !== 1) throw new Error(`unsupported target snapshot version ${String(snapshot.version)}`);
    const { target } = snapshot;
    for (const { key } of [...snapshot.series, ...snapshot.templates]) {
      if (targetOfKey(key) !== target) throw new Error(`target snapshot of ${target} holds ${key}`);
    }
    this.dropTarget(target);
    try {
      const series = snapshot.series.map(
        (s) => [s.key, { detector: restoreDetector(s.detector), baseline: Baseline.from(s.baseline) }] as const,
      );
      const miner = TemplateMiner.restore(snapshot.miner);
      this.analysisOf(target).tracker.restore(snapshot.tracker);
      for (const [key, state] of series) this.series.set(key, state);
      for (const t of snapshot.templates) this.templates.set(t.key, { ...t.state });
      this.miners.set(target, miner);
      this.firstSeen.set(target, snapshot.firstSeenMs);
      if (snapshot.changes) this.changes.restore(target, snapshot.changes);
    } catch (error) {
      this.dropTarget(target);
      throw error;
    }
  }

  /**
   * Forgets a target: its series, templates, incident state. For a target whose partition moved
   * to another replica, which continues from its state (an incident open here is not over: it
   * is not resolved or expired here).
   */
  dropTarget(target: string): void {
    for (const key of [...this.series.keys()]) if (targetOfKey(key) === target) this.series.delete(key);
    for (const key of [...this.templates.keys()]) if (targetOfKey(key) === target) this.templates.delete(key);
    this.miners.delete(target);
    this.analyses.delete(target);
    this.firstSeen.delete(target);
    this.lastSeen.delete(target);
    this.errorsFailingAt.delete(target);
    this.changes.drop(target);
  }

  /** Closes the buckets that are over, scores them, and advances every target's incidents. */
  tick(nowMs: number): IncidentEvent[] {
    for (const point of this.spans.flush(nowMs, this.opts.latenessMs)) this.score(point, nowMs);
    for (const point of this.logs.flush(nowMs, this.opts.latenessMs)) this.score(point, nowMs);
    const events: IncidentEvent[] = [];
    for (const [target, { loop, tracker }] of this.analyses) {
      for (const transition of tracker.tick(nowMs))
        events.push(incidentEvent(target, loop.name, transition, nowMs, (incident) => this.hypothesis(target, incident)));
    }
    return events;
  }

  private score(point: SeriesPoint, nowMs: number): void {
    const { loop, tracker } = this.analysisOf(point.service);
    const key = seriesKey(point);
    const template =
      point.name === DERIVED.logTemplateRate ? this.templates.get(`${point.service}\u0000${point.labels['template']}`) : undefined;
    let state = this.series.get(key);
    if (!state) {
      state = {
        detector: createDetector(DETECTOR_OPTIONS),
        baseline: new Baseline(0.05, Math.max(30, Math.ceil(this.opts.adaptAfterMs / this.opts.bucketMs))),
      };
      // A warning or error template that first appears once the target is well known was absent
      // before: its history is zeros. (At start-up every template is new, and that says nothing.)
      if (template && template.severity >= WARN && this.known(point.service, nowMs))
        for (let i = 0; i < 10; i++) state.baseline.observe(0, false);
    } else {
      this.series.delete(key);
    }
    this.series.set(key, state);
    if (this.series.size > this.opts.maxSeries) this.series.delete(this.series.keys().next().value as string);

    // Two views of "anomalous": novelty (the detector: never seen lately, catches new shapes and
    // subtle shifts) and distance from today's baseline (catches a failure seen before).
    let score = Math.max(state.detector.update(point.timestampMs, point.value), state.baseline.deviationScore(point.value));
    // A warning or error template that appears where it was absent is a signal in itself, before
    // its series has enough history for the detector to judge it.
    if (template && template.severity >= WARN && point.value > 0 && state.baseline.value <= 0.05 * point.value) {
      score = Math.max(score, this.opts.newErrorTemplateScore);
    }
    const anomalous = score >= loop.settings.sensitivity;
    const direction = state.baseline.direction(point.value);
    const baseline = state.baseline.value;
    const withinBaseline = state.baseline.contains(point.value);
    const templateText = template ? { text: template.text, sample: template.sample } : undefined;
    const match = matchSignals(loop, point, templateText);
    // Whether the target is failing is its errors' call: requests that fail, lines logged as
    // warnings or errors. Latency, traffic and gauges may move to a new level that is healthy (a
    // deploy, a change of load) and then become the new normal; errors that went up never do, and
    // while they are up no series of the target adapts, so the whole failure stays visible.
    const errors = point.name === DERIVED.errorRate || (template !== undefined && template.severity >= WARN);
    if (errors && match !== 'inside-bounds' && !withinBaseline && direction === 'up') this.errorsFailingAt.set(point.service, nowMs);
    const failingAt = this.errorsFailingAt.get(point.service);
    state.baseline.observe(point.value, anomalous, failingAt === undefined || nowMs - failingAt > 2 * this.opts.bucketMs);
    if (match === 'unwatched') return;
    tracker.observe(
      {
        key,
        kind: template ? 'log' : 'series',
        name: point.name,
        labels: point.labels,
        // Inside the loop's fixed bounds a deviation is not evidence, however unusual.
        score: match === 'past-bounds' ? score : 0,
        value: point.value,
        baseline: Number.isFinite(baseline) ? baseline : 0,
        direction,
        withinBaseline,
        symptom:
          template !== undefined ||
          point.name === DERIVED.requestRate ||
          point.name === DERIVED.errorRate ||
          point.name === DERIVED.latencyP95,
        timestampMs: point.timestampMs,
        ...(template
          ? {
              template: {
                id: point.labels['template'] ?? '',
                text: template.text,
                sample: template.sample,
                lines: Math.round((point.value * this.opts.bucketMs) / 1000),
              },
            }
          : {}),
      },
      nowMs,
    );
  }

  private minerFor(target: string): TemplateMiner {
    let miner = this.miners.get(target);
    if (!miner) {
      miner = new TemplateMiner();
      this.miners.set(target, miner);
    }
    return miner;
  }

  /** Whether the analyzer has watched the target for a while (five buckets). */
  private known(target: string, nowMs: number): boolean {
    this.lastSeen.set(target, Math.max(nowMs, this.lastSeen.get(target) ?? nowMs));
    const since = this.firstSeen.get(target);
    if (since === undefined) {
      this.firstSeen.set(target, nowMs);
      return false;
    }
    return nowMs - since >= 5 * this.opts.bucketMs;
  }

  /** known() without recording the sighting. */
  private wellKnown(target: string, nowMs: number): boolean {
    const since = this.firstSeen.get(target);
    return since !== undefined && nowMs - since >= 5 * this.opts.bucketMs;
  }

  private analysisOf(target: string): TargetAnalysis {
    let analysis = this.analyses.get(target);
    if (!analysis) {
      const loop = loopFor(target, this.loops);
      analysis = { loop, tracker: new IncidentTracker(target, loop.settings, this.newId) };
      this.analyses.set(target, analysis);
    }
    return analysis;
  }

  /** The most likely cause, from every target's current evidence and the call graph. */
  private hypothesis(target: string, incident: IncidentState): IncidentHypothesis {
    const evidence = new Map<string, SignalEvidence[]>();
    for (const [service, { tracker }] of this.analyses) {
      const state = service === target ? incident : tracker.current;
      if (!state) continue;
      evidence.set(service, [
        ...state.signals.map((s) => ({ ref: s.template?.id ?? s.key, kind: s.kind, score: s.score, description: describeSignal(s) })),
        ...state.failingSpans
          .slice(0, 5)
          .map((s) => ({ ref: s.spanId, kind: 'span' as const, score: 0.5, description: `failing span ${s.name}` })),
      ]);
    }
    const [top] = rankRootCauses(target, evidence, this.graph);
    if (!top) return undefined;
    const components = suspectComponents({
      signals: onsetSignals(incident.signals, incident.openedAtMs, this.analysisOf(target).loop.settings.gatherForMs),
      failingSpans: incident.failingSpans,
      dependencies: this.graph.downstream(target),
      changes: this.changes.of(target),
      onsetSlackMs: this.opts.bucketMs,
    });
    return hypothesisOf(target, top, components);
  }
}

/**
 * The hypothesis from the suspect service and the components the target's evidence points at.
 * From the target's side a dependency that is the likeliest cause is a downstream problem: its
 * loop's actions act on the target (a cache, a retry policy), not on the dependency.
 */
export function hypothesisOf(
  target: string,
  top: RootCauseCandidate,
  targetComponents: readonly ComponentSuspicion[],
): NonNullable<IncidentHypothesis> {
  const components = [...targetComponents];
  if (top.service !== target && !components.some((c) => c.name === 'downstream' && c.peer === top.service)) {
    components.push({
      name: 'downstream',
      score: Number(top.score.toFixed(4)),
      peer: top.service,
      reasons: [`${top.service}, a dependency of ${target}, is the likeliest root cause`],
    });
    components.sort((a, b) => b.score - a.score);
  }
  const first = components[0];
  const strength = 1 - top.evidence.reduce((p, e) => p * (1 - Math.min(0.99, e.score)), 1);
  const where = first === undefined ? '' : ` (${first.name}${first.peer === undefined ? '' : `: ${first.peer}`})`;
  // The root-cause ranking says "the problem is local" when no dependency reports anomalies of
  // its own; a dependency without telemetry is still named by the target's evidence.
  const serviceReasons = top.reasons.slice(1).filter((r) => !(first?.name === 'downstream' && /the problem is local/.test(r)));
  const componentReasons = components.slice(0, 3).map((c) => `${c.name} ${c.score.toFixed(2)}: ${c.reasons.slice(0, 2).join(', ')}`);
  return {
    summary: `${top.service}${where}: ${
      [...componentReasons, ...serviceReasons].join('; ') ||
      top.evidence
        .slice(0, 3)
        .map((e) => e.description)
        .join('; ')
    }`.slice(0, 1000),
    suspect: { service: top.service, ...(first ? { component: first.name } : {}) },
    // The suspect's share of the suspicion, times how strongly the evidence points at its component
    // (without one, how strong its evidence is at all: noisy-OR of the scores).
    confidence: Math.min(1, top.score * (first?.score ?? strength)),
    ...(components.length > 0
      ? { components: components.slice(0, 10).map((c) => ({ ...c, reasons: c.reasons.map((r) => r.slice(0, 300)).slice(0, 10) })) }
      : {}),
    evidenceRefs: top.evidence.slice(0, 10).map((e) => e.ref),
  };
}

/** The target a series key (`service|name|labels`) or template key (`service\0id`) belongs to. */
function targetOfKey(key: string): string {
  const series = key.indexOf('|');
  const template = key.indexOf('\u0000');
  const end = series < 0 ? template : template < 0 ? series : Math.min(series, template);
  return end < 0 ? key : key.slice(0, end);
}

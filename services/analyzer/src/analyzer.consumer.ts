import { hostname } from 'node:os';
import { Controller, Get, Inject, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { v7 as uuidv7 } from 'uuid';
import { AnalysisEngine, StateHandover, type IncidentEvent } from '@homeostat/analysis';
import { EventPublisher, type Bus } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import { topicOfType, type AnyEnvelope, type Envelope, type Evidence, type IncidentOpened, type LoopSpec } from '@homeostat/contracts';
import { RepairIncidents, repairLoopFor, type RepairResolution } from '@homeostat/repair';
import { signalOfTopic, type CounterCell, type HomeostatMetrics, type TelemetrySignal } from '@homeostat/metrics';
import { OtlpDecodeError, OtlpLimitExceeded, expandOtlpEvent } from '@homeostat/otlp';
import { BUS, CONFIG, ConsumptionStats, LOGGER, LOOPS, METRICS, PEERS } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { OptimizeAnalysis } from '@homeostat/optimize';
import { IncidentOutbox } from './incident-outbox';
import { AnalyzerStateStore, type AnalyzerSnapshot } from './analyzer-state.store';
import { BuildFailureReader } from './repair/build-failure.reader';
import { learnerSimilarFailures, type StoredSimilarFailures } from './repair/learner-similar-failures';
import { TargetStateChangelog } from './state/target-state-changelog';

const SNAPSHOT_EVERY_MS = 60_000;

/**
 * Telemetry in, incidents out. Handlers feed the engine (cheap, in memory); a ticker closes the
 * time buckets, scores them and publishes incident transitions on loop.incidents. A publish
 * that fails is kept and retried on the next tick, in order, so no transition is lost.
 *
 * State: a snapshot of every target in the data dir (a restart continues from it), and each
 * target's state on the analyzer.state changelog, so a target whose partition moves to another
 * replica continues there (StateHandover).
 */
@Controller()
export class AnalyzerConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly stats = new ConsumptionStats();
  /** Telemetry items (from OTLP protobuf) that failed the contracts and were dropped. */
  private rejected = 0;
  private readonly dropped: Record<TelemetrySignal, CounterCell>;
  private engine: AnalysisEngine | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly outbox = new IncidentOutbox(
    (event) => this.publisher.publishEvent(event),
    () => this.checkpoint(),
    (event) =>
      this.logger.log(
        `${event.type.split('.')[2]} incident ${event.data.incidentId} on ${event.subject} (${event.data.fingerprint})${describeLink(event)}${event.type === 'homeostat.incident.opened.v1' ? `, evidence: ${describeEvidence(event.data.evidence)}${describeHypothesis(event.data.hypothesis)}` : ''}`,
        'Analyzer',
      ),
  );
  private ticking = false;
  private lastSnapshotMs = Date.now();
  private readonly state: AnalyzerStateStore;
  private changelog: TargetStateChangelog | undefined;
  private handover: StateHandover | undefined;
  private readonly builds = new BuildFailureReader();
  /** The repair loops' open incidents (resolved by a validated fix or a passing build) and past failures. */
  private readonly repair = new RepairIncidents();
  /** Every stored repair failure like a new one, any loop: the learner's, which keeps them all. */
  private readonly storedSimilar: StoredSimilarFailures;
  /** The loops of kind optimize: per-route opportunities from their targets' spans (@homeostat/optimize). */
  private readonly optimize: OptimizeAnalysis;

  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    @Inject(LOOPS) private readonly loops: readonly LoopSpec[],
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(BUS) private readonly bus: Bus,
    private readonly publisher: EventPublisher,
    @Inject(METRICS) metrics: HomeostatMetrics,
    @Inject(PEERS) peers: ReadonlyMap<string, string>,
  ) {
    this.state = new AnalyzerStateStore(config.dataDir);
    this.storedSimilar = learnerSimilarFailures(() => peers.get('learner') ?? config.urls.learner);
    this.optimize = new OptimizeAnalysis(loops, () => uuidv7());
    this.dropped = {
      spans: metrics.droppedCell('spans', 'analyzer'),
      metrics: metrics.droppedCell('metrics', 'analyzer'),
      logs: metrics.droppedCell('logs', 'analyzer'),
    };
    metrics.watchAnalyzer(() => this.engine?.counts() ?? { series: 0, templates: 0, targets: 0 });
  }

  async onApplicationBootstrap(): Promise<void> {
    // Each kind of loop is analyzed by its own lib: the engine takes the incident-finding kinds.
    const engine = new AnalysisEngine(
      this.loops.filter((l) => l.spec.kind !== 'optimize'),
      () => uuidv7(),
      { bucketMs: this.config.analyzer.bucketMs },
    );
    const saved = await this.state.load();
    if (saved) {
      engine.restore(saved);
      this.restoreOptimize(saved.optimize);
      const repair = this.repair.restore(saved.repair);
      this.logger.log(
        `state restored from ${this.state.path} (saved ${new Date(saved.savedAtMs).toISOString()}, ${engine.targets().length} target(s), ` +
          `${repair.open} open repair incident(s), ${repair.past} past build failure(s)${repair.dropped > 0 ? `, ${repair.dropped} unreadable entries left out` : ''})`,
        'Analyzer',
      );
    }
    const log = this.logger.child('AnalyzerState');
    this.changelog = new TargetStateChangelog(this.bus, `${hostname()}/${process.pid}/${uuidv7().slice(-8)}`, log, (record) =>
      this.handover?.onRecord(record),
    );
    this.handover = new StateHandover(engine, this.changelog, log, saved?.savedAtMs);
    this.handover.addPart('optimize', {
      snapshot: (target) => this.optimize.snapshotTarget(target),
      restore: (target, state) => this.optimize.restoreTarget(target, state),
      drop: (target) => this.optimize.dropTarget(target),
    });
    await this.changelog.start();
    this.engine = engine;
    this.timer = setInterval(() => void this.tick(), this.config.analyzer.tickMs);
    this.timer.unref();
  }

  /** The optimize loops' state from the data dir's snapshot; a target whose state does not restore starts cold. */
  private restoreOptimize(saved: AnalyzerSnapshot['optimize']): void {
    for (const [target, state] of Object.entries(saved ?? {})) {
      try {
        this.optimize.restoreTarget(target, state);
      } catch (error) {
        this.logger.warn(
          `the optimize state of ${target} in ${this.state.path} does not restore, starting it cold: ${String(error)}`,
          'Analyzer',
        );
      }
    }
  }

  /** The engine, with the target's state taken over first if another replica had it. */
  private take(target: string): AnalysisEngine {
    if (!this.engine || !this.handover) throw new Error('the analyzer is not started yet');
    this.handover.beforeIngest(target);
    return this.engine;
  }

  @EventPattern('telemetry.spans')
  onSpans(@Payload() event: AnyEnvelope): void {
    this.stats.record('telemetry.spans', event);
    for (const e of this.expand(event))
      if (e.type === 'homeostat.telemetry.spans.v1') {
        this.take(e.subject).ingestSpans(e.subject, e.data, Date.now());
        this.optimize.ingestSpans(e.subject, e.data);
      }
  }

  @EventPattern('telemetry.metrics')
  onMetrics(@Payload() event: AnyEnvelope): void {
    this.stats.record('telemetry.metrics', event);
    for (const e of this.expand(event))
      if (e.type === 'homeostat.telemetry.metrics.v1') this.take(e.subject).ingestMetrics(e.subject, e.data, Date.now());
  }

  @EventPattern('telemetry.logs')
  async onLogs(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('telemetry.logs', event);
    // Build events travel with the logs; a repair loop's builds are read by the repair lib, not the detectors.
    if (event.type === 'homeostat.build.reported.v1') return this.onBuild(event);
    for (const e of this.expand(event))
      if (e.type === 'homeostat.telemetry.logs.v1') this.take(e.subject).ingestLogs(e.subject, e.data, Date.now());
  }

  /**
   * A failed build watched by a repair loop becomes that loop's incident, with the build's id as
   * the incident's: a delivery again opens nothing new (the decider ignores a known incident). A
   * passing build resolves the open incidents of its job on its branch (no fix of ours was validated
   * for them, or they would be resolved already: see onOutcome).
   */
  private async onBuild(event: Envelope<'homeostat.build.reported.v1'>): Promise<void> {
    const build = event.data;
    const loop = repairLoopFor(build, this.loops);
    if (loop === undefined) return;
    if (build.status === 'passed') return this.publishResolutions(this.repair.onBuild(build, loop.metadata.name, new Date()));
    if (build.status !== 'failed') return;
    const past = this.repair.pastOf(loop.metadata.name);
    const { incident, features } = await this.builds.read(build, loop, event.id, new Date(), past, (f) =>
      // A redelivered build opens the same incident again, stored already: not similar to itself.
      this.storedSimilar(f, [event.id]).catch((error: unknown) => {
        this.logger.warn(
          `the learner's stored failures could not be read (${error instanceof Error ? error.message : String(error)}): ` +
            `similar failures of ${event.id} from this loop's last ${past.length} only`,
          'Analyzer',
        );
        return [];
      }),
    );
    await this.publisher.publish('homeostat.incident.opened.v1', { subject: incident.target, data: incident });
    const expired = this.repair.opened(incident, features, new Date());
    if (expired.length > 0) await this.publishResolutions(expired);
    else await this.saveState();
    const f = incident.buildFailure;
    this.logger.log(
      `opened incident ${incident.incidentId} on ${incident.target} (${incident.fingerprint}): ${incident.title}; fixes: ${f?.fixes.map((x) => x.id).join(', ') || 'none'}${f?.notes.length ? `; notes: ${f.notes.join('; ')}` : ''}`,
      'Analyzer',
    );
  }

  /**
   * The analyzer opened the repair loops' incidents, so it resolves them too, as it does every
   * incident it opens: a repair incident has no symptoms to recover, its outcome is the verdict. A
   * fix that passed the project's own tests and was pushed resolves it (recovered, naming the
   * decision); an escalated one stays open until a build of its branch passes (onBuild).
   */
  @EventPattern('loop.outcomes')
  async onOutcome(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.outcomes', event);
    if (event.type !== 'homeostat.outcome.recorded.v1') return;
    const resolved = this.repair.onOutcome(event.data, new Date());
    if (resolved !== undefined) await this.publishResolutions([resolved]);
  }

  private async publishResolutions(resolutions: readonly RepairResolution[]): Promise<void> {
    for (const data of resolutions) {
      await this.publisher.publish('homeostat.incident.resolved.v1', { subject: data.target, data });
      this.repair.resolved(data.incidentId);
      this.logger.log(
        `resolved incident ${data.incidentId} on ${data.target} (${data.fingerprint}): ${data.resolution}${data.decisionId ? ` by decision ${data.decisionId}` : ''}`,
        'Analyzer',
      );
    }
    // A build is rare next to telemetry, and nothing rebuilds the repair incidents: saved now, not at the next interval.
    if (resolutions.length > 0) await this.saveState();
  }

  /**
   * OTLP as the collector received it (protobuf) → the batches the engine takes. Items the
   * contracts refuse are dropped here, counted and logged. So is a payload that does not decode
   * (not valid protobuf, or past OTLP_LIMITS): the learner, which keeps what arrives, dead-letters
   * it. Were the analyzer to dead-letter it as well, every bad payload would be two dead letters.
   */
  private expand(event: AnyEnvelope): AnyEnvelope[] {
    let expanded: ReturnType<typeof expandOtlpEvent>;
    try {
      expanded = expandOtlpEvent(event);
    } catch (error) {
      if (!(error instanceof OtlpDecodeError || error instanceof OtlpLimitExceeded)) throw error;
      const signal = signalOfTopic(topicOfType(event.type));
      const items = (event.data as { items?: unknown }).items;
      if (signal) this.dropped[signal].add(typeof items === 'number' && items > 0 ? items : 1);
      this.logger.warn(
        `${event.type} ${event.id} from ${event.subject} dropped (the learner dead-letters it): ${error.message}`,
        'Analyzer',
      );
      return [];
    }
    if (expanded.rejected > 0) {
      this.rejected += expanded.rejected;
      const signal = signalOfTopic(topicOfType(event.type));
      if (signal) this.dropped[signal].add(expanded.rejected);
      this.logger.warn(`${event.type} ${event.id} from ${event.subject}: ${expanded.errorMessage}`, 'Analyzer');
    }
    return expanded.events;
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.engine) return;
    this.ticking = true;
    try {
      const now = Date.now();
      this.outbox.add([...this.engine.tick(now), ...this.optimize.tick(now)]);
      await this.outbox.flush();
      if (Date.now() - this.lastSnapshotMs >= SNAPSHOT_EVERY_MS) await this.saveState();
      await this.publishState(false);
    } catch (error) {
      this.logger.warn(`publishing incidents failed, ${this.outbox.size} waiting: ${String(error)}`, 'Analyzer');
    } finally {
      this.ticking = false;
    }
  }

  /** The state on disk and on the changelog now: see IncidentOutbox. */
  private async checkpoint(): Promise<void> {
    await this.saveState();
    await this.publishState(true);
  }

  /** Each target's state on the changelog (see StateHandover); a failure is logged and retried at the next interval. */
  private async publishState(force: boolean): Promise<void> {
    try {
      await this.handover?.publishDue(force);
    } catch (error) {
      this.logger.warn(`publishing the analyzer state failed: ${String(error)}`, 'Analyzer');
    }
  }

  private async saveState(): Promise<void> {
    if (!this.engine) return;
    this.lastSnapshotMs = Date.now();
    try {
      const optimize = Object.fromEntries(
        this.optimize.targets().flatMap((t) => {
          const state = this.optimize.snapshotTarget(t);
          return state === undefined ? [] : [[t, state]];
        }),
      );
      await this.state.save({ ...this.engine.snapshot(this.lastSnapshotMs), repair: this.repair.snapshot(), optimize });
    } catch (error) {
      this.logger.error(`saving the analyzer state failed: ${String(error)}`, 'Analyzer');
    }
  }

  @Get('stats')
  snapshot(): Record<string, unknown> {
    return {
      consumed: this.stats.snapshot(),
      rejectedItems: this.rejected,
      loops: this.loops.map((l) => l.metadata.name),
      pendingIncidentEvents: this.outbox.size,
      targets: this.engine?.targets().length ?? 0,
      stateChangelog: {
        owner: this.changelog?.owner,
        ready: this.changelog?.isReady() ?? false,
        unreadableRecords: this.changelog?.invalidRecords ?? 0,
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // One last tick, so transitions already decided are published before the bus closes, and
    // the state, so a restart continues where this process stopped.
    await this.tick();
    await this.saveState();
    // The latest state, for whichever replica gets these targets next.
    await this.publishState(true);
    await this.changelog?.close();
  }
}

/** How an incident event follows from an earlier state of the target: the incident it followed, or its relapse. */
function describeLink(event: IncidentEvent): string {
  if (event.type === 'homeostat.incident.opened.v1' && event.data.previousIncidentId !== undefined)
    return `, after incident ${event.data.previousIncidentId}`;
  if (event.type === 'homeostat.incident.updated.v1' && event.data.relapsedAt !== undefined)
    return `, relapsed at ${event.data.relapsedAt}`;
  return '';
}

/** What an incident opened with, for the log: which series, log templates and errors (whoever reads why two occurrences got different fingerprints needs it). */
/** The suspect and the components behind it, e.g. `; hypothesis: shop/downstream (0.97; downstream inventory 0.99, retry-policy 0.99)`. */
function describeHypothesis(h: IncidentOpened['hypothesis']): string {
  if (h === undefined) return '';
  const components = (h.components ?? []).map((c) => `${c.name}${c.peer === undefined ? '' : ` ${c.peer}`} ${c.score.toFixed(2)}`);
  const suspect = `${h.suspect.service}${h.suspect.component === undefined ? '' : `/${h.suspect.component}`}`;
  return `; hypothesis: ${suspect} (${h.confidence.toFixed(2)}${components.length > 0 ? `; ${components.join(', ')}` : ''})`;
}

function describeEvidence(evidence: Evidence): string {
  const series = evidence.series.map(
    (s) =>
      `${s.name}{${Object.entries(s.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}}`,
  );
  const templates = evidence.logTemplates.map((t) => `log "${t.template}"`);
  const errors = [...new Set(evidence.failingSpans.flatMap((s) => (s.error ? [`error "${s.error}"`] : [])))];
  return [...series, ...templates, ...errors].join('; ') || '(none)';
}

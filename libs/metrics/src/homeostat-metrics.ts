import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AnyEnvelope } from '@homeostat/contracts';
import { CellCounter, type CounterCell } from './counter-cells';
import { METRIC_NAMES, REFUSAL_REASONS, type ReceivedSignal, type RefusalReason, type TelemetrySignal } from './names';

/** What a bus reports about one consumer group at scrape time (see Bus.stats in @homeostat/bus). */
export interface ConsumerGroupStats {
  group: string;
  processed: { handled: number; duplicates: number; deadLettered: number; retries: number };
  deadLetters: readonly { topic: string; code: string; count: number }[];
  /** Per topic: messages waiting in memory (in-process only) and not yet handled (lag). */
  topics: readonly { topic: string; queued?: number; lag?: number }[];
}

export interface AnalyzerCounts {
  series: number;
  templates: number;
  targets: number;
}

type Source<T> = () => T | Promise<T>;

/** Seconds: a ClickHouse insert takes from a millisecond (chDB, a few rows) to seconds (a server under load). */
const INSERT_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const INSERT_ROWS_BUCKETS = [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000, 50000];

/**
 * Homeostat's own metrics, one registry per process (embedded: every stage in it; distributed:
 * one service), served as Prometheus text on GET /metrics of every HTTP port. Services count at
 * their shells — the pure libs never see this. Hot-path counters (per OTLP request) are cells:
 * one addition per request by its item count. Gauges that describe a state (queues, lag, series)
 * are read from their owners when Prometheus scrapes.
 */
export class HomeostatMetrics {
  readonly registry = new Registry();
  private readonly receivedCells: Record<ReceivedSignal, CounterCell>;
  private readonly storedCells: Record<ReceivedSignal, CounterCell>;
  private readonly refusedCells: Record<TelemetrySignal | 'builds', Record<RefusalReason, CounterCell>>;
  private readonly refusedCounter: CellCounter<'signal' | 'reason'>;
  private readonly droppedCounter: CellCounter<'signal' | 'stage' | 'reason'>;
  private readonly requestsCounter: CellCounter<'signal' | 'encoding' | 'code'>;
  private readonly incidents: Counter<'loop' | 'event'>;
  private readonly incidentsResolved: Counter<'loop' | 'resolution'>;
  private readonly decisions: Counter<'loop' | 'mode'>;
  private readonly actionsStarted: Counter<'loop' | 'action'>;
  private readonly actions: Counter<'loop' | 'action' | 'status'>;
  private readonly insertRows: Histogram<'table'>;
  private readonly insertSeconds: Histogram<'table' | 'outcome'>;
  private readonly busSources: Source<readonly ConsumerGroupStats[]>[] = [];

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    // Process CPU, memory (RSS), heap, event loop delay, GC: what a user looks at first under load.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: r });

    const receivedCounter = new CellCounter(r, METRIC_NAMES.itemsReceived, 'Telemetry items the collector read, per signal.', ['signal']);
    this.receivedCells = {
      spans: receivedCounter.cell({ signal: 'spans' }),
      metrics: receivedCounter.cell({ signal: 'metrics' }),
      logs: receivedCounter.cell({ signal: 'logs' }),
      builds: receivedCounter.cell({ signal: 'builds' }),
    };
    const storedCounter = new CellCounter(r, METRIC_NAMES.itemsStored, 'Telemetry rows the learner inserted into ClickHouse, per signal.', [
      'signal',
    ]);
    this.storedCells = {
      spans: storedCounter.cell({ signal: 'spans' }),
      metrics: storedCounter.cell({ signal: 'metrics' }),
      logs: storedCounter.cell({ signal: 'logs' }),
      builds: storedCounter.cell({ signal: 'builds' }),
    };
    this.refusedCounter = new CellCounter(
      r,
      METRIC_NAMES.itemsRefused,
      'Telemetry items the collector did not put on the bus, per reason.',
      ['signal', 'reason'],
    );
    const refusedOf = (signal: TelemetrySignal | 'builds'): Record<RefusalReason, CounterCell> =>
      Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, this.refusedCounter.cell({ signal, reason })])) as Record<
        RefusalReason,
        CounterCell
      >;
    this.refusedCells = { spans: refusedOf('spans'), metrics: refusedOf('metrics'), logs: refusedOf('logs'), builds: refusedOf('builds') };
    this.droppedCounter = new CellCounter(
      r,
      METRIC_NAMES.itemsDropped,
      'Telemetry items a consumer dropped (OTLP protobuf items the contracts refuse), per stage.',
      ['signal', 'stage', 'reason'],
    );
    this.requestsCounter = new CellCounter(r, METRIC_NAMES.collectorRequests, 'Requests the collector answered, per HTTP status.', [
      'signal',
      'encoding',
      'code',
    ]);

    this.incidents = new Counter({
      name: METRIC_NAMES.incidents,
      help: 'Incident events published.',
      labelNames: ['loop', 'event'],
      registers: [r],
    });
    this.incidentsResolved = new Counter({
      name: METRIC_NAMES.incidentsResolved,
      help: 'Incidents resolved, per resolution.',
      labelNames: ['loop', 'resolution'],
      registers: [r],
    });
    this.decisions = new Counter({
      name: METRIC_NAMES.decisions,
      help: 'Decisions made, per mode.',
      labelNames: ['loop', 'mode'],
      registers: [r],
    });
    this.actionsStarted = new Counter({
      name: METRIC_NAMES.actionsStarted,
      help: 'Actions the executor started.',
      labelNames: ['loop', 'action'],
      registers: [r],
    });
    this.actions = new Counter({
      name: METRIC_NAMES.actions,
      help: 'Action outcomes recorded, per status.',
      labelNames: ['loop', 'action', 'status'],
      registers: [r],
    });
    this.insertRows = new Histogram({
      name: METRIC_NAMES.insertBatchRows,
      help: 'Rows per ClickHouse insert.',
      labelNames: ['table'],
      buckets: INSERT_ROWS_BUCKETS,
      registers: [r],
    });
    this.insertSeconds = new Histogram({
      name: METRIC_NAMES.insertDuration,
      help: 'Seconds per ClickHouse insert.',
      labelNames: ['table', 'outcome'],
      buckets: INSERT_SECONDS_BUCKETS,
      registers: [r],
    });
    this.registerBusGauges();
  }

  /** Items the collector read in one request (JSON: accepted and rejected; protobuf: what it counted). */
  itemsReceived(signal: ReceivedSignal, items: number): void {
    this.receivedCells[signal].add(items);
  }

  itemsRefused(signal: TelemetrySignal | 'builds', reason: RefusalReason, items: number): void {
    this.refusedCells[signal][reason].add(items);
  }

  /** Rows of one signal stored in ClickHouse (call once per insert, after it succeeded). */
  itemsStored(signal: ReceivedSignal, rows: number): void {
    this.storedCells[signal].add(rows);
  }

  /** The cell for items a stage drops; look it up once per stage and signal. */
  droppedCell(signal: TelemetrySignal, stage: string, reason = 'invalid'): CounterCell {
    return this.droppedCounter.cell({ signal, stage, reason });
  }

  /** The cell for a request's answer; the collector keeps the common ones (200 per signal and encoding). */
  requestCell(signal: ReceivedSignal, encoding: string, code: number): CounterCell {
    return this.requestsCounter.cell({ signal, encoding, code: String(code) });
  }

  /** Counts a loop event a stage published (incidents, decisions, actions); other events are ignored. */
  loopEvent(event: Pick<AnyEnvelope, 'type' | 'data'>): void {
    const e = event as AnyEnvelope;
    switch (e.type) {
      case 'homeostat.incident.opened.v1':
        this.incidents.inc({ loop: e.data.loop, event: 'opened' });
        break;
      case 'homeostat.incident.updated.v1':
        this.incidents.inc({ loop: e.data.loop, event: 'updated' });
        break;
      case 'homeostat.incident.resolved.v1':
        this.incidents.inc({ loop: e.data.loop, event: 'resolved' });
        this.incidentsResolved.inc({ loop: e.data.loop, resolution: e.data.resolution });
        break;
      case 'homeostat.decision.made.v1':
        this.decisions.inc({ loop: e.data.loop, mode: e.data.mode });
        break;
      case 'homeostat.action.started.v1':
        this.actionsStarted.inc({ loop: e.data.loop, action: e.data.action.name });
        break;
      case 'homeostat.outcome.recorded.v1':
        this.actions.inc({ loop: e.data.loop, action: e.data.action.name, status: e.data.status });
        break;
      default:
        break;
    }
  }

  /** One ClickHouse insert: its rows and how long it took. */
  insert(table: string, rows: number, seconds: number, ok: boolean): void {
    this.insertRows.observe({ table }, rows);
    this.insertSeconds.observe({ table, outcome: ok ? 'ok' : 'error' }, seconds);
  }

  /** A bus whose consumer groups are reported at scrape time (one per process; the stack's). */
  watchBus(source: Source<readonly ConsumerGroupStats[]>): void {
    this.busSources.push(source);
  }

  /** The analyzer's engine, read at scrape time (its gauges exist only in a process with an analyzer). */
  watchAnalyzer(source: Source<AnalyzerCounts>): void {
    const gauge = (name: string, help: string, pick: (c: AnalyzerCounts) => number): void => {
      this.registry.removeSingleMetric(name);
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.set(pick(await source()));
        },
      });
    };
    gauge(METRIC_NAMES.analyzerSeries, 'Series the analyzer keeps a detector for.', (c) => c.series);
    gauge(METRIC_NAMES.analyzerTemplates, 'Log templates the analyzer has mined.', (c) => c.templates);
    gauge(METRIC_NAMES.analyzerTargets, 'Targets the analyzer holds state for.', (c) => c.targets);
  }

  /** The Prometheus text exposition of everything in the registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private registerBusGauges(): void {
    const r = this.registry;
    // Each scrape reads the bus once for the five metrics below.
    let pending: Promise<ConsumerGroupStats[]> | undefined;
    const read = (): Promise<ConsumerGroupStats[]> =>
      // A source that fails (a broker that does not answer) is left out of this scrape, not the scrape.
      (pending ??= Promise.all(this.busSources.map(async (s) => Promise.resolve(s()).catch(() => [] as const)))
        .then((all) => all.flat())
        .finally(() => setImmediate(() => (pending = undefined))));
    new Gauge({
      name: METRIC_NAMES.busQueueDepth,
      help: 'Messages waiting in memory per consumer group and topic (in-process bus).',
      labelNames: ['group', 'topic'],
      registers: [r],
      async collect() {
        this.reset();
        for (const g of await read())
          for (const t of g.topics) if (t.queued !== undefined) this.set({ group: g.group, topic: t.topic }, t.queued);
      },
    });
    new Gauge({
      name: METRIC_NAMES.busConsumerLag,
      help: 'Messages published and not yet handled per consumer group and topic (Kafka: high watermark minus committed offset).',
      labelNames: ['group', 'topic'],
      registers: [r],
      async collect() {
        this.reset();
        for (const g of await read())
          for (const t of g.topics) if (t.lag !== undefined) this.set({ group: g.group, topic: t.topic }, t.lag);
      },
    });
    new Counter({
      name: METRIC_NAMES.busMessagesProcessed,
      help: 'Messages a consumer group finished with, per outcome.',
      labelNames: ['group', 'outcome'],
      registers: [r],
      async collect() {
        this.reset();
        for (const g of await read()) {
          this.inc({ group: g.group, outcome: 'handled' }, g.processed.handled);
          this.inc({ group: g.group, outcome: 'duplicate' }, g.processed.duplicates);
          this.inc({ group: g.group, outcome: 'dead_lettered' }, g.processed.deadLettered);
        }
      },
    });
    new Counter({
      name: METRIC_NAMES.busRetries,
      help: 'Handler attempts that failed and were retried.',
      labelNames: ['group'],
      registers: [r],
      async collect() {
        this.reset();
        for (const g of await read()) this.inc({ group: g.group }, g.processed.retries);
      },
    });
    new Counter({
      name: METRIC_NAMES.busDeadLetters,
      help: 'Messages dead-lettered, per consumer group, topic and error code.',
      labelNames: ['group', 'topic', 'code'],
      registers: [r],
      async collect() {
        this.reset();
        for (const g of await read()) for (const d of g.deadLetters) this.inc({ group: g.group, topic: d.topic, code: d.code }, d.count);
      },
    });
  }
}

import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, dlqTopic, topicOfType, type AnyEnvelope } from '@homeostat/contracts';
import type { RawMessage } from '@homeostat/bus';
import { expandOtlpEvent } from '@homeostat/otlp';
import { signalOfTopic, type CounterCell, type HomeostatMetrics, type TelemetrySignal } from '@homeostat/metrics';
import { TELEMETRY_TABLES } from '@homeostat/store';
import { LOGGER, MAX_IN_FLIGHT, METRICS } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { KnowledgeService } from './knowledge.service';
import { LearnerStore, TELEMETRY_IN_FLIGHT } from './learner-store.service';
import { ledgerRows } from './rows/ledger-rows';
import { telemetryRows } from './rows/telemetry-rows';
import { deadLetterRow } from './rows/dead-letter-row';
import { weighFailures } from './failure-norms';

/**
 * Everything that happens in a loop ends up here: telemetry in the OpenTelemetry exporter's
 * tables, incidents, decisions, outcomes, knowledge and people's commands in the ledger, and
 * dead letters for inspection. Rows are stored before the message is committed.
 */
const METRIC_TABLES: ReadonlySet<string> = new Set([
  TELEMETRY_TABLES.metricsGauge,
  TELEMETRY_TABLES.metricsSum,
  TELEMETRY_TABLES.metricsHistogram,
  TELEMETRY_TABLES.metricsExponentialHistogram,
  TELEMETRY_TABLES.metricsSummary,
]);

/** The signal a telemetry table's rows count as stored (the trace-id index table is not an item). */
function signalOfTable(table: string): TelemetrySignal | undefined {
  if (table === TELEMETRY_TABLES.traces) return 'spans';
  if (table === TELEMETRY_TABLES.logs) return 'logs';
  return METRIC_TABLES.has(table) ? 'metrics' : undefined;
}

@Controller()
export class LearnerConsumer {
  private readonly dropped: Record<TelemetrySignal, CounterCell>;

  constructor(
    private readonly store: LearnerStore,
    private readonly knowledge: KnowledgeService,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(METRICS) private readonly metrics: HomeostatMetrics,
  ) {
    this.dropped = {
      spans: metrics.droppedCell('spans', 'learner'),
      metrics: metrics.droppedCell('metrics', 'learner'),
      logs: metrics.droppedCell('logs', 'learner'),
    };
  }

  /**
   * OTLP protobuf events (as the collector received them) are decoded and mapped here into the
   * same batches as structured ones. A payload that is not valid protobuf throws OtlpDecodeError,
   * one past OTLP_LIMITS OtlpLimitExceeded (neither retryable: the message is dead-lettered); items
   * the contracts refuse are dropped, logged.
   */
  @EventPattern(['telemetry.spans', 'telemetry.metrics', 'telemetry.logs'], { [MAX_IN_FLIGHT]: TELEMETRY_IN_FLIGHT })
  async onTelemetry(@Payload() event: AnyEnvelope): Promise<void> {
    const expanded = expandOtlpEvent(event);
    if (expanded.rejected > 0) {
      const signal = signalOfTopic(topicOfType(event.type));
      if (signal) this.dropped[signal].add(expanded.rejected);
      this.logger.warn(`${event.type} ${event.id} from ${event.subject}: ${expanded.errorMessage}`, 'Learner');
    }
    // One insert per table, however many resource × scope batches the payload held.
    const byTable = new Map<string, Record<string, unknown>[]>();
    for (const { table, rows } of expanded.events.flatMap(telemetryRows)) {
      const into = byTable.get(table);
      if (into) into.push(...rows);
      else byTable.set(table, [...rows]);
    }
    await Promise.all([...byTable].map(([table, rows]) => this.store.insert(table, rows)));
    // Counted once the rows are stored (a retried message counts when it succeeds). A build
    // report is a row of otel_logs, counted as the collector received it: a build.
    for (const [table, rows] of byTable) {
      const signal = signalOfTable(table);
      if (signal === undefined) continue;
      if (event.type === 'homeostat.build.reported.v1') this.metrics.itemsStored('builds', rows.length);
      else this.metrics.itemsStored(signal, rows.length);
    }
  }

  @EventPattern(['loop.incidents', 'loop.decisions', 'loop.outcomes', 'loop.knowledge', 'loop.control'])
  async onLedger(@Payload() event: AnyEnvelope): Promise<void> {
    const tables = await weighFailures(this.store.store.client, ledgerRows(event));
    await Promise.all(tables.map(({ table, rows }) => this.store.insert(table, rows)));
    // Learn from it: the outcome is stored, so the knowledge recomputed from the ledger includes it.
    if (event.type === 'homeostat.outcome.recorded.v1') await this.knowledge.refresh(event.data);
    if (event.type === 'homeostat.decision.made.v1') await this.knowledge.relapse(event.data);
  }

  @EventPattern(TOPICS.map((t) => dlqTopic(t)))
  async onDeadLetter(@Payload() message: RawMessage): Promise<void> {
    await this.store.insert('dead_letters', [deadLetterRow(message)]);
  }
}

import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, dlqTopic, type AnyEnvelope } from '@homeostat/contracts';
import type { RawMessage } from '@homeostat/bus';
import { expandOtlpEvent } from '@homeostat/otlp';
import { LOGGER } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { KnowledgeService } from './knowledge.service';
import { LearnerStore } from './learner-store.service';
import { ledgerRows } from './rows/ledger-rows';
import { telemetryRows } from './rows/telemetry-rows';
import { deadLetterRow } from './rows/dead-letter-row';

/**
 * Everything that happens in a loop ends up here: telemetry in the OpenTelemetry exporter's
 * tables, incidents, decisions, outcomes, knowledge and people's commands in the ledger, and
 * dead letters for inspection. Rows are stored before the message is committed.
 */
@Controller()
export class LearnerConsumer {
  constructor(
    private readonly store: LearnerStore,
    private readonly knowledge: KnowledgeService,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  /**
   * OTLP protobuf events (as the collector received them) are decoded and mapped here into the
   * same batches as structured ones. A payload that is not valid protobuf throws OtlpDecodeError,
   * one past OTLP_LIMITS OtlpLimitExceeded (neither retryable: the message is dead-lettered); items
   * the contracts refuse are dropped, logged.
   */
  @EventPattern(['telemetry.spans', 'telemetry.metrics', 'telemetry.logs'])
  async onTelemetry(@Payload() event: AnyEnvelope): Promise<void> {
    const expanded = expandOtlpEvent(event);
    if (expanded.rejected > 0) this.logger.warn(`${event.type} ${event.id} from ${event.subject}: ${expanded.errorMessage}`, 'Learner');
    // One insert per table, however many resource × scope batches the payload held.
    const byTable = new Map<string, Record<string, unknown>[]>();
    for (const { table, rows } of expanded.events.flatMap(telemetryRows)) {
      const into = byTable.get(table);
      if (into) into.push(...rows);
      else byTable.set(table, [...rows]);
    }
    await Promise.all([...byTable].map(([table, rows]) => this.store.insert(table, rows)));
  }

  @EventPattern(['loop.incidents', 'loop.decisions', 'loop.outcomes', 'loop.knowledge', 'loop.control'])
  async onLedger(@Payload() event: AnyEnvelope): Promise<void> {
    await Promise.all(ledgerRows(event).map(({ table, rows }) => this.store.insert(table, rows)));
    // Learn from it: the outcome is stored, so the knowledge recomputed from the ledger includes it.
    if (event.type === 'homeostat.outcome.recorded.v1') await this.knowledge.refresh(event.data);
    if (event.type === 'homeostat.decision.made.v1') await this.knowledge.relapse(event.data);
  }

  @EventPattern(TOPICS.map((t) => dlqTopic(t)))
  async onDeadLetter(@Payload() message: RawMessage): Promise<void> {
    await this.store.insert('dead_letters', [deadLetterRow(message)]);
  }
}

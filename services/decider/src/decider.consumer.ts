import { Controller, Get, Inject, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { v7 as uuidv7 } from 'uuid';
import { EventPublisher } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import type { AnyEnvelope, EventData, LoopSpec } from '@homeostat/contracts';
import { MAX_OPEN_CASES, react, type Decider, type DeciderInput, type PolicyState } from '@homeostat/policy';
import { CONFIG, ConsumptionStats, LOGGER, LOOPS } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { deciderOf } from './decider-setup';
import { DeciderStateStore } from './decider-state.store';

type DecisionMade = EventData<'homeostat.decision.made.v1'>;

/**
 * Incidents, knowledge, outcomes and people's commands in; decisions out on loop.decisions. The
 * reasoning is @homeostat/policy's decider; this keeps its state, its clock and its file.
 * A decision is published before the message that caused it is committed, and the state is saved
 * after it, so a crash in between re-delivers the cause (the incident or outcome) and the decider
 * decides again — at worst a duplicate decision, which the executor's claim keeps from running twice.
 */
@Controller()
export class DeciderConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly stats = new ConsumptionStats();
  private readonly decider: Decider;
  private state: PolicyState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly store: DeciderStateStore;
  private ticking = false;
  readonly recent: DecisionMade[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    @Inject(LOOPS) private readonly loops: readonly LoopSpec[],
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly publisher: EventPublisher,
  ) {
    this.store = new DeciderStateStore(config.dataDir);
    this.decider = deciderOf(loops, config.decider.seed, () => uuidv7());
  }

  async onApplicationBootstrap(): Promise<void> {
    const restored = await this.store.restore();
    this.state = restored?.state ?? this.decider.initialState();
    if (restored?.warn) this.logger.warn(restored.message, 'Decider');
    else if (restored) this.logger.log(restored.message, 'Decider');
    this.timer = setInterval(() => void this.tick(), 1_000);
    this.timer.unref();
  }

  @EventPattern('loop.incidents')
  async onIncident(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.incidents', event);
    switch (event.type) {
      case 'homeostat.incident.opened.v1':
      case 'homeostat.incident.updated.v1':
      case 'homeostat.incident.resolved.v1':
        return this.take(event);
      default:
        return;
    }
  }

  @EventPattern('loop.knowledge')
  async onKnowledge(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.knowledge', event);
    if (event.type === 'homeostat.knowledge.updated.v1') return this.take(event);
  }

  @EventPattern('loop.outcomes')
  async onOutcome(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.outcomes', event);
    if (event.type === 'homeostat.action.started.v1' || event.type === 'homeostat.outcome.recorded.v1') return this.take(event);
  }

  @EventPattern('loop.control')
  async onControl(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.control', event);
    if (event.type === 'homeostat.control.v1') return this.take(event);
  }

  private async take(input: DeciderInput): Promise<void> {
    if (!this.state) throw new Error('the decider is not started yet');
    // The envelope's own fields (id, time, trace) stay out of what the decider records.
    const plain = input.type === 'time.passed' ? input : ({ type: input.type, data: input.data } as DeciderInput);
    // The state moves before the first await: handlers of other topics and the timer interleave there.
    const { state, events, decisions } = react(this.decider, this.state, plain, Date.now());
    this.state = state;
    if (events.length === 0) return;
    for (const e of events) {
      if (e.type === 'case.evicted') {
        this.logger.warn(
          `open case of incident ${e.data.incidentId} let go: more than ${MAX_OPEN_CASES} open cases (${state.evictedCases} let go so far); it gets no further decisions`,
          'Decider',
        );
      }
    }
    await this.publish(decisions);
    await this.store.save(state);
  }

  private async publish(decisions: DecisionMade[]): Promise<void> {
    for (const d of decisions) {
      await this.publisher.publish('homeostat.decision.made.v1', { subject: d.target, data: d });
      this.recent.push(d);
      if (this.recent.length > 100) this.recent.shift();
      this.logger.log(
        `decision ${d.decisionId} for incident ${d.incidentId}: ${d.mode} ${d.action?.name ?? '(no action)'} (attempt ${d.attempt}) — ${d.explanation.chosenBecause}`,
        'Decider',
      );
    }
  }

  /** Time passes: missing outcomes become overdue, escalations that waited for time are decided again. */
  private async tick(): Promise<void> {
    if (this.ticking || !this.state) return;
    this.ticking = true;
    try {
      await this.take({ type: 'time.passed' });
    } catch (error) {
      this.logger.warn(`decider tick failed (will retry): ${String(error)}`, 'Decider');
    } finally {
      this.ticking = false;
    }
  }

  @Get('stats')
  snapshot(): Record<string, unknown> {
    return {
      consumed: this.stats.snapshot(),
      loops: this.loops.map((l) => l.metadata.name),
      openCases: Object.keys(this.state?.cases ?? {}).length,
      evictedCases: this.state?.evictedCases ?? 0,
      killSwitch: this.state?.guard.killSwitch,
      pausedLoops: this.state?.guard.pausedLoops,
      recentDecisions: this.recent
        .slice(-10)
        .map((d) => ({ decisionId: d.decisionId, incidentId: d.incidentId, mode: d.mode, action: d.action?.name ?? null })),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.state) await this.store.save(this.state);
  }
}

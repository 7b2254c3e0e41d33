import { Controller, Get, Inject, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { v7 as uuidv7 } from 'uuid';
import { EventPublisher } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import type { AnyEnvelope, EventData, LoopSpec } from '@homeostat/contracts';
import { CONFIG, ConsumptionStats, LOGGER, LOOPS } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { DeciderCore } from './decider-core';
import { DeciderStateStore } from './decider-state.store';

type DecisionMade = EventData<'homeostat.decision.made.v1'>;

/**
 * Incidents, knowledge, outcomes and people's commands in; decisions out on loop.decisions.
 * A decision is published before the message that caused it is committed, and the state is saved
 * after it, so a crash in between re-delivers the cause (the incident or outcome) and the decider
 * decides again — at worst a duplicate decision, which the executor's claim keeps from running twice.
 */
@Controller()
export class DeciderConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly stats = new ConsumptionStats();
  private core: DeciderCore | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly store: DeciderStateStore;
  private dirty = false;
  private ticking = false;
  readonly recent: DecisionMade[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    @Inject(LOOPS) private readonly loops: readonly LoopSpec[],
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly publisher: EventPublisher,
  ) {
    this.store = new DeciderStateStore(config.dataDir);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.core = new DeciderCore(new Map(this.loops.map((l) => [l.metadata.name, l])), () => uuidv7(), this.config.decider.seed);
    const saved = await this.store.load();
    if (saved) {
      this.core.restore(saved);
      this.logger.log(`state restored from ${this.store.path} (${this.core.openCases} open case(s))`, 'Decider');
    }
    this.timer = setInterval(() => void this.tick(), 1_000);
    this.timer.unref();
  }

  private get decider(): DeciderCore {
    if (!this.core) throw new Error('the decider is not started yet');
    return this.core;
  }

  @EventPattern('loop.incidents')
  async onIncident(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.incidents', event);
    switch (event.type) {
      case 'homeostat.incident.opened.v1':
        return this.emit(this.decider.onIncidentOpened(event.data, Date.now()));
      case 'homeostat.incident.updated.v1':
        this.decider.onIncidentUpdated(event.data);
        return this.changed();
      case 'homeostat.incident.resolved.v1':
        this.decider.onIncidentResolved(event.data);
        return this.changed();
      default:
        return;
    }
  }

  @EventPattern('loop.knowledge')
  async onKnowledge(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.knowledge', event);
    if (event.type !== 'homeostat.knowledge.updated.v1') return;
    this.decider.onKnowledge(event.data);
    return this.changed();
  }

  @EventPattern('loop.outcomes')
  async onOutcome(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.outcomes', event);
    if (event.type === 'homeostat.action.started.v1') {
      this.decider.onActionStarted(event.data);
      return this.changed();
    }
    if (event.type === 'homeostat.outcome.recorded.v1') return this.emit(this.decider.onOutcome(event.data, Date.now()));
  }

  @EventPattern('loop.control')
  async onControl(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.control', event);
    if (event.type === 'homeostat.control.v1') return this.emit(this.decider.onControl(event.data, Date.now()));
  }

  private async emit(decisions: DecisionMade[]): Promise<void> {
    for (const d of decisions) {
      await this.publisher.publish('homeostat.decision.made.v1', { subject: d.target, data: d });
      this.recent.push(d);
      if (this.recent.length > 100) this.recent.shift();
      this.logger.log(`decision ${d.decisionId} for incident ${d.incidentId}: ${d.mode} ${d.action?.name ?? '(no action)'} (attempt ${d.attempt}) — ${d.explanation.chosenBecause}`, 'Decider');
    }
    await this.changed();
  }

  private async changed(): Promise<void> {
    this.dirty = true;
    await this.save();
  }

  private async save(): Promise<void> {
    if (!this.dirty || !this.core) return;
    this.dirty = false;
    await this.store.save(this.core.snapshot());
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.core) return;
    this.ticking = true;
    try {
      await this.emit(this.core.tick(Date.now()));
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
      openCases: this.core?.openCases ?? 0,
      killSwitch: this.core?.state.guard.killSwitch,
      pausedLoops: this.core?.state.guard.pausedLoops,
      recentDecisions: this.recent.slice(-10).map((d) => ({ decisionId: d.decisionId, incidentId: d.incidentId, mode: d.mode, action: d.action?.name ?? null })),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.save();
  }
}

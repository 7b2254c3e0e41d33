import { Controller, Get } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { AnyEnvelope } from '@homeostat/contracts';
import { ConsumptionStats } from '@homeostat/runtime';
import { ExecutorService } from './executor.service';

/**
 * The executor's subscriptions. Events arrive validated and deduplicated on their id by the bus;
 * the handlers stay thin: a decision is claimed and its run launched in the background, so a
 * verification that takes minutes never holds up the partition.
 */
@Controller()
export class ExecutorConsumer {
  private readonly stats = new ConsumptionStats();

  constructor(private readonly executor: ExecutorService) {}

  @EventPattern('loop.decisions')
  async onLoopDecisions(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.decisions', event);
    switch (event.type) {
      case 'homeostat.decision.made.v1':
        await this.executor.onDecision(event.data, event.traceparent);
        return;
      default:
        return;
    }
  }

  @EventPattern('loop.control')
  async onLoopControl(@Payload() event: AnyEnvelope): Promise<void> {
    this.stats.record('loop.control', event);
    if (event.type !== 'homeostat.control.v1') return;
    const command = event.data;
    switch (command.command) {
      case 'approve':
        await this.executor.onApproval(command.decisionId, command.actor, command.reason);
        return;
      case 'reject':
        await this.executor.onRejection(command.decisionId, command.actor, command.reason);
        return;
      case 'kill-switch':
        await this.executor.onKillSwitch(command.state, command.loop, command.actor, command.reason);
        return;
      case 'pause-loop':
      case 'resume-loop':
        // Pausing stops new decisions (the decider's job); what was decided is still carried out.
        return;
    }
  }

  @Get('stats')
  snapshot(): Record<string, unknown> {
    return { consumed: this.stats.snapshot(), ...this.executor.snapshot() };
  }
}

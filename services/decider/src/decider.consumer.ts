import { Controller, Get } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { AnyEnvelope } from '@homeostat/contracts';
import { ConsumptionStats } from '@homeostat/runtime';

/**
 * The decider's subscriptions. Events arrive validated and deduplicated by the bus; the stage
 * logic itself comes with its own issue, so for now the consumer records what it saw.
 */
@Controller()
export class DeciderConsumer {
  private readonly stats = new ConsumptionStats();

  @EventPattern('loop.incidents')
  onLoopIncidents(@Payload() event: AnyEnvelope): void {
    this.stats.record('loop.incidents', event);
  }

  @EventPattern('loop.knowledge')
  onLoopKnowledge(@Payload() event: AnyEnvelope): void {
    this.stats.record('loop.knowledge', event);
  }

  @EventPattern('loop.control')
  onLoopControl(@Payload() event: AnyEnvelope): void {
    this.stats.record('loop.control', event);
  }

  @EventPattern('loop.outcomes')
  onLoopOutcomes(@Payload() event: AnyEnvelope): void {
    this.stats.record('loop.outcomes', event);
  }

  @Get('stats')
  snapshot(): Record<string, unknown> {
    return { consumed: this.stats.snapshot() };
  }
}

import { Controller, Get } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { AnyEnvelope } from '@homeostat/contracts';
import { ConsumptionStats } from '@homeostat/runtime';

/**
 * The executor's subscriptions. Events arrive validated and deduplicated by the bus; the stage
 * logic itself comes with its own issue, so for now the consumer records what it saw.
 */
@Controller()
export class ExecutorConsumer {
  private readonly stats = new ConsumptionStats();

  @EventPattern('loop.decisions')
  onLoopDecisions(@Payload() event: AnyEnvelope): void {
    this.stats.record('loop.decisions', event);
  }

  @EventPattern('loop.control')
  onLoopControl(@Payload() event: AnyEnvelope): void {
    this.stats.record('loop.control', event);
  }

  @Get('stats')
  snapshot(): Record<string, unknown> {
    return { consumed: this.stats.snapshot() };
  }
}

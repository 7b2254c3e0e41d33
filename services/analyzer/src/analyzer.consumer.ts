import { Controller, Get } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { AnyEnvelope } from '@homeostat/contracts';
import { ConsumptionStats } from '@homeostat/runtime';

/**
 * The analyzer's subscriptions. Events arrive validated and deduplicated by the bus; the stage
 * logic itself comes with its own issue, so for now the consumer records what it saw.
 */
@Controller()
export class AnalyzerConsumer {
  private readonly stats = new ConsumptionStats();

  @EventPattern('telemetry.spans')
  onTelemetrySpans(@Payload() event: AnyEnvelope): void {
    this.stats.record('telemetry.spans', event);
  }

  @EventPattern('telemetry.metrics')
  onTelemetryMetrics(@Payload() event: AnyEnvelope): void {
    this.stats.record('telemetry.metrics', event);
  }

  @EventPattern('telemetry.logs')
  onTelemetryLogs(@Payload() event: AnyEnvelope): void {
    this.stats.record('telemetry.logs', event);
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

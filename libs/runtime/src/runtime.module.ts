import { Global, Module, type DynamicModule } from '@nestjs/common';
import { EventPublisher, type Bus } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import type { JsonLogger } from '@homeostat/telemetry';
import type { HomeostatMetrics } from '@homeostat/metrics';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import type { Readiness } from './readiness';
import type { LoopSpec } from '@homeostat/contracts';
import { BUS, CONFIG, LOGGER, LOOPS, METRICS, PEERS, READINESS, SERVICE_NAME } from './tokens';

export interface RuntimeValues {
  service: string;
  bus: Bus;
  config: HomeostatConfig;
  logger: JsonLogger;
  readiness: Readiness;
  peers: ReadonlyMap<string, string>;
  loops: readonly LoopSpec[];
  metrics: HomeostatMetrics;
}

/** What every service gets from the runtime: the bus, its publisher, config, logger, readiness, metrics. */
@Global()
@Module({})
export class RuntimeModule {
  static for(values: RuntimeValues): DynamicModule {
    const providers = [
      { provide: BUS, useValue: values.bus },
      { provide: CONFIG, useValue: values.config },
      { provide: LOGGER, useValue: values.logger },
      { provide: SERVICE_NAME, useValue: values.service },
      { provide: READINESS, useValue: values.readiness },
      { provide: PEERS, useValue: values.peers },
      { provide: LOOPS, useValue: values.loops },
      { provide: METRICS, useValue: values.metrics },
      { provide: EventPublisher, useValue: new EventPublisher(values.bus, values.service, (event) => values.metrics.loopEvent(event)) },
    ];
    return {
      module: RuntimeModule,
      global: true,
      providers,
      exports: providers.map((p) => p.provide),
      controllers: [HealthController, MetricsController],
    };
  }
}

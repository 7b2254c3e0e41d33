import { Global, Module, type DynamicModule } from '@nestjs/common';
import { EventPublisher, type Bus } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import type { JsonLogger } from '@homeostat/telemetry';
import { HealthController } from './health.controller';
import type { Readiness } from './readiness';
import type { LoopSpec } from '@homeostat/contracts';
import { BUS, CONFIG, LOGGER, LOOPS, PEERS, READINESS, SERVICE_NAME } from './tokens';

export interface RuntimeValues {
  service: string;
  bus: Bus;
  config: HomeostatConfig;
  logger: JsonLogger;
  readiness: Readiness;
  peers: ReadonlyMap<string, string>;
  loops: readonly LoopSpec[];
}

/** What every service gets from the runtime: the bus, its publisher, config, logger, readiness. */
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
      { provide: EventPublisher, useValue: new EventPublisher(values.bus, values.service) },
    ];
    return { module: RuntimeModule, global: true, providers, exports: providers.map((p) => p.provide), controllers: [HealthController] };
  }
}

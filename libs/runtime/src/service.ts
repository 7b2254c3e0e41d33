import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Bus, ConsumerHooks } from '@homeostat/bus';
import type { LoopSpec } from '@homeostat/contracts';
import type { HomeostatConfig, ServiceName } from '@homeostat/config';
import { HomeostatMetrics } from '@homeostat/metrics';
import type { JsonLogger } from '@homeostat/telemetry';
import { BusAwareExceptionFilter, BusServer } from './bus.server';
import { idempotencyOpener } from './create-bus';
import { Readiness } from './readiness';
import { RuntimeModule } from './runtime.module';

/** One stage of the loop, as the runtime starts it: its name and its Nest module. */
export interface ServiceDefinition {
  name: ServiceName;
  module: Type<unknown> | DynamicModule;
  /** Nest's JSON and form body parsers (default on); off for a service that reads raw bodies itself. */
  bodyParser?: boolean;
}

export interface ServiceRuntime {
  config: HomeostatConfig;
  bus: Bus;
  logger: JsonLogger;
}

export interface RunningService {
  name: ServiceName;
  app: INestApplication;
  /** Base URL of the service's HTTP server (health, readiness, its API). */
  url: string;
  busServer: BusServer;
  readiness: Readiness;
  close(): Promise<void>;
}

/**
 * Starts one service: a Nest HTTP application (probes and the service's API) with the bus as its
 * microservice transport. The handlers do not know which mode they run in: the bus is given.
 */
export async function startService(
  definition: ServiceDefinition,
  runtime: ServiceRuntime,
  options: {
    port?: number;
    hooks?: ConsumerHooks;
    peers?: ReadonlyMap<string, string>;
    loops?: readonly LoopSpec[];
    /** The process's metrics (runServices shares one between its services); a service started alone gets its own. */
    metrics?: HomeostatMetrics;
  } = {},
): Promise<RunningService> {
  const { config, bus, logger } = runtime;
  const metrics = options.metrics ?? watchedMetrics(bus);
  const readiness = new Readiness();
  const busServer = new BusServer({
    bus,
    group: `homeostat-${definition.name}`,
    retry: { maxAttempts: config.consumer.maxAttempts, backoffMs: config.consumer.backoffMs },
    concurrency: config.consumer.concurrency,
    openIdempotency: idempotencyOpener(config),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  readiness.register({
    name: 'bus',
    check: () => {
      const h = bus.health();
      return { ok: h.ok, detail: h.detail };
    },
  });
  readiness.register({ name: 'consumer', check: () => ({ ok: busServer.isReady(), detail: { topics: busServer.topics } }) });

  @Module({
    imports: [
      RuntimeModule.for({
        service: definition.name,
        bus,
        config,
        logger,
        readiness,
        peers: options.peers ?? new Map(),
        loops: options.loops ?? [],
        metrics,
      }),
      definition.module,
    ],
  })
  class ServiceRootModule {}

  const app = await NestFactory.create(ServiceRootModule, { logger, abortOnError: false, bodyParser: definition.bodyParser ?? true });
  // Global filters set before connectMicroservice are inherited by it (inheritAppConfig).
  app.useGlobalFilters(new BusAwareExceptionFilter(app.getHttpAdapter()));
  app.connectMicroservice({ strategy: busServer }, { inheritAppConfig: true });
  // A stage consumes only once it can handle: its onModuleInit and onApplicationBootstrap hooks
  // (the learner opens its store, the analyzer restores its engine, the executor finishes what
  // its claims left in flight) are awaited here, before the bus server subscribes. Nest's hybrid
  // application would otherwise subscribe first (startAllMicroservices does not run the hooks;
  // app.listen does), and the first messages would fail against a stage still starting.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(options.port ?? config.ports[definition.name], config.host);
  const address = (app.getHttpServer() as HttpServer).address() as AddressInfo;
  const url = `http://${config.host}:${address.port}`;
  logger.log(`${definition.name} ready on ${url}`, 'Runtime');
  return {
    name: definition.name,
    app,
    url,
    busServer,
    readiness,
    close: () => app.close(),
  };
}

/** A registry for a process (or a service started alone) that reports its bus's consumers at scrape time. */
export function watchedMetrics(bus: Bus): HomeostatMetrics {
  const metrics = new HomeostatMetrics();
  metrics.watchBus(() => bus.stats());
  return metrics;
}

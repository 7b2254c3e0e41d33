import type { Bus } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import { loadLoopSpecs } from '@homeostat/contracts';
import { JsonLogger, stopTelemetry } from '@homeostat/telemetry';
import { createBus } from './create-bus';
import type { HomeostatMetrics } from '@homeostat/metrics';
import { startService, watchedMetrics, type RunningService, type ServiceDefinition } from './service';

/** Pipeline order: a stage starts after the stages it feeds, so nothing it publishes is missed. */
const START_ORDER = ['learner', 'executor', 'decider', 'analyzer', 'collector', 'console'] as const;

export interface RunningStack {
  services: RunningService[];
  /** The bus the services share (one per process). */
  bus: Bus;
  /** The metrics the services share, served on GET /metrics of each of their ports. */
  metrics: HomeostatMetrics;
  /** Stops ingest first, then each stage in pipeline order (each drains and commits), then the bus. */
  stop(): Promise<void>;
}

export async function runServices(
  definitions: ServiceDefinition[],
  config: HomeostatConfig,
  logger = new JsonLogger('homeostat', config.logLevel),
): Promise<RunningStack> {
  const ordered = [...definitions].sort((a, b) => START_ORDER.indexOf(a.name) - START_ORDER.indexOf(b.name));
  // Read once per process and shared by its services; a bad spec stops the start with every error listed.
  const loops = config.loopsDir ? await loadLoopSpecs(config.loopsDir) : [];
  if (config.loopsDir)
    logger.log(`loaded ${loops.length} loop spec(s) from ${config.loopsDir}: ${loops.map((l) => l.metadata.name).join(', ')}`, 'Runtime');
  const bus = createBus(config, logger);
  await bus.start();
  const metrics = watchedMetrics(bus);
  const services: RunningService[] = [];
  const stop = async (): Promise<void> => {
    for (const s of [...services].reverse()) await s.close();
    services.length = 0;
    await bus.close();
  };
  try {
    const peers = new Map<string, string>();
    for (const d of ordered) {
      const running = await startService(d, { config, bus, logger }, { peers, loops, metrics });
      peers.set(d.name, running.url);
      services.push(running);
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { services, bus, metrics, stop };
}

/**
 * Runs until SIGTERM or SIGINT, then shuts down gracefully within the configured timeout. A
 * second signal, or the timeout, exits at once with status 1.
 */
export function stopOnSignals(stack: RunningStack, config: HomeostatConfig, logger: JsonLogger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`second ${signal}: exiting without a clean shutdown`, 'Runtime');
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: shutting down (in-flight messages finish and commit)`, 'Runtime');
    const timer = setTimeout(() => {
      logger.error(`shutdown took longer than ${config.shutdownTimeoutMs} ms: exiting`, 'Runtime');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    stack
      .stop()
      .then(() => stopTelemetry())
      .then(
        () => {
          logger.log('stopped', 'Runtime');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error(error, 'Runtime');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

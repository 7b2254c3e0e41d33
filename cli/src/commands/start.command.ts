import { SERVICE_NAMES, type ServiceName } from '@homeostat/config';
import { startTelemetry } from '@homeostat/telemetry';

export interface StartOptions {
  mode?: 'embedded' | 'kafka';
  services?: ServiceName[];
  dataDir?: string;
  loops?: string;
}

export async function startCommand(options: StartOptions): Promise<void> {
  // Our own tracing starts before Nest and the services are loaded.
  startTelemetry({ serviceName: 'homeostat' });
  const { loadConfig } = await import('@homeostat/config');
  const { runServices, stopOnSignals } = await import('@homeostat/runtime');
  const { JsonLogger } = await import('@homeostat/telemetry');
  const { serviceDefinitions } = await import('../services');

  const config = loadConfig(process.env, {
    ...(options.mode ? { HOMEOSTAT_MODE: options.mode } : {}),
    ...(options.dataDir ? { HOMEOSTAT_DATA_DIR: options.dataDir } : {}),
    ...(options.loops ? { HOMEOSTAT_LOOPS_DIR: options.loops } : {}),
  });
  const logger = new JsonLogger('homeostat', config.logLevel);
  const wanted = options.services ?? [...SERVICE_NAMES];
  const stack = await runServices(serviceDefinitions(wanted), config, logger);
  stopOnSignals(stack, config, logger);
  logger.log(`homeostat running (${config.mode}): ${stack.services.map((s) => `${s.name} ${s.url}`).join(', ')}`, 'Start');
}

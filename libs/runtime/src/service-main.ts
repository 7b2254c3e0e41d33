import { loadConfig } from '@homeostat/config';
import { JsonLogger } from '@homeostat/telemetry';
import { runServices, stopOnSignals } from './run';
import type { ServiceDefinition } from './service';

/**
 * The body of a service's own process (its `main.ts`, for the distributed mode): read the config,
 * run the service until SIGTERM. Exits with a message naming the problem when it cannot start.
 */
export async function runServiceProcess(definition: ServiceDefinition): Promise<void> {
  const name = `homeostat-${definition.name}`;
  try {
    const config = loadConfig();
    const logger = new JsonLogger(name, config.logLevel);
    stopOnSignals(await runServices([definition], config, logger), config, logger);
  } catch (error) {
    process.stderr.write(`${name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

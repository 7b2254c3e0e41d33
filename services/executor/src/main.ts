// OpenTelemetry starts before Nest or anything it instruments is loaded.
import { startTelemetry } from '@homeostat/telemetry';

startTelemetry({ serviceName: 'homeostat-executor' });

async function main(): Promise<void> {
  const { loadConfig } = await import('@homeostat/config');
  const { runServices, stopOnSignals } = await import('@homeostat/runtime');
  const { JsonLogger } = await import('@homeostat/telemetry');
  const { executorService } = await import('./index');
  const config = loadConfig();
  const logger = new JsonLogger('homeostat-executor', config.logLevel);
  const stack = await runServices([executorService], config, logger);
  stopOnSignals(stack, config, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`homeostat-executor failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

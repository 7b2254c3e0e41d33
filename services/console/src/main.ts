// OpenTelemetry starts before Nest or anything it instruments is loaded.
import { startTelemetry } from '@homeostat/telemetry';

startTelemetry({ serviceName: 'homeostat-console' });

async function main(): Promise<void> {
  const { loadConfig } = await import('@homeostat/config');
  const { runServices, stopOnSignals } = await import('@homeostat/runtime');
  const { JsonLogger } = await import('@homeostat/telemetry');
  const { consoleService } = await import('./index');
  const config = loadConfig();
  const logger = new JsonLogger('homeostat-console', config.logLevel);
  const stack = await runServices([consoleService], config, logger);
  stopOnSignals(stack, config, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`homeostat-console failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

// OpenTelemetry starts before Nest or anything it instruments is loaded.
import { startTelemetry } from '@homeostat/telemetry';

startTelemetry({ serviceName: 'homeostat-console' });

void Promise.all([import('@homeostat/runtime'), import('./index')]).then(([{ runServiceProcess }, { consoleService }]) =>
  runServiceProcess(consoleService),
);

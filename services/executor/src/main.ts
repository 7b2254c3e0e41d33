// OpenTelemetry starts before Nest or anything it instruments is loaded.
import { startTelemetry } from '@homeostat/telemetry';

startTelemetry({ serviceName: 'homeostat-executor' });

void Promise.all([import('@homeostat/runtime'), import('./index')]).then(([{ runServiceProcess }, { executorService }]) =>
  runServiceProcess(executorService),
);

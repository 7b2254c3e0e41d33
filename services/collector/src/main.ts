// OpenTelemetry starts before Nest or anything it instruments is loaded.
import { startTelemetry } from '@homeostat/telemetry';

startTelemetry({ serviceName: 'homeostat-collector' });

void Promise.all([import('@homeostat/runtime'), import('./index')]).then(([{ runServiceProcess }, { collectorService }]) =>
  runServiceProcess(collectorService),
);

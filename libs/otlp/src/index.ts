export * from './codec';
export { DEFAULT_MAX_ITEMS_PER_BATCH, UNKNOWN_SERVICE, type MapOptions, type MapResult, type TelemetryBatch } from './batch';
export { mapTraces } from './traces';
export { mapMetrics } from './metrics';
export { mapLogs } from './logs';
export { attributesOf, anyValueToText } from './values';

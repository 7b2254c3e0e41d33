export * from './codec';
export { DEFAULT_MAX_ITEMS_PER_BATCH, UNKNOWN_SERVICE, type MapOptions, type MapResult, type TelemetryBatch } from './batch';
export { mapTraces } from './traces';
export { mapMetrics } from './metrics';
export { mapLogs } from './logs';
export { attributesOf, anyValueToText } from './values';
export { OTLP_LIMITS, OtlpLimitExceeded } from './limits';
export {
  BATCH_EVENT_TYPES,
  OTLP_EVENT_TYPES,
  expandOtlpEvent,
  mapOtlpPayload,
  otlpSignalOf,
  splitByTarget,
  type ExpandedOtlpEvent,
  type SplitOptions,
  type SplitResult,
  type TargetPayload,
} from './forward';

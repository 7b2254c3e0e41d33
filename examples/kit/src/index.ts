export { ConfigRollbackError, ConfigStore, type ConfigKind, type ConfigVersion } from './config-store';
export { IdempotencyStore, type IdempotentResult, type StoredResponse } from './idempotency';
export {
  DEFAULT_OTLP_ENDPOINT,
  startServiceTelemetry,
  type LogAttributes,
  type ServiceLogger,
  type ServiceTelemetry,
  type ServiceTelemetryOptions,
} from './telemetry';

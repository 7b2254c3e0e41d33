export { startShop, DEFAULT_DATA_DIR, DEFAULT_RESTART_MS, type RunningShop, type StartShopOptions } from './shop';
export { FAULT_NAMES, type FaultName } from './faults/faults';
export { DEFAULT_SLO, type ServiceLevelObjectives } from './health/slo-window';
export { DEFAULT_CONFIG, type ShopConfig, type RetryPolicy } from './config/shop-config.schema';
export { DEFAULT_OTLP_ENDPOINT } from './telemetry/telemetry';

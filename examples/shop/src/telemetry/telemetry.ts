import { startServiceTelemetry, type ServiceLogger, type ServiceTelemetry, type ServiceTelemetryOptions } from '@homeostat/example-kit';
import { SERVICE_NAME } from './semconv';

export { DEFAULT_OTLP_ENDPOINT } from '@homeostat/example-kit';
export type ShopLogger = ServiceLogger;
export type ShopTelemetry = ServiceTelemetry;

/** The shop's OpenTelemetry SDK: every span, metric and log carries service.name=shop. */
export function startShopTelemetry(options: Omit<ServiceTelemetryOptions, 'serviceName'>): ShopTelemetry {
  return startServiceTelemetry({ ...options, serviceName: SERVICE_NAME });
}

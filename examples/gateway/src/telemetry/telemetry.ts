import { startServiceTelemetry, type ServiceLogger, type ServiceTelemetry, type ServiceTelemetryOptions } from '@homeostat/example-kit';
import { SERVICE_NAME } from './semconv';

export { DEFAULT_OTLP_ENDPOINT } from '@homeostat/example-kit';
export type GatewayLogger = ServiceLogger;
export type GatewayTelemetry = ServiceTelemetry;

/** The gateway's OpenTelemetry SDK: every span, metric and log carries service.name=gateway. */
export function startGatewayTelemetry(options: Omit<ServiceTelemetryOptions, 'serviceName'>): GatewayTelemetry {
  return startServiceTelemetry({ ...options, serviceName: SERVICE_NAME });
}

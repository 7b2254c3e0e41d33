import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

let sdk: NodeSDK | undefined;

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint for our own traces; unset → spans are created (ids propagate) but not exported. */
  endpoint?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts @opentelemetry/sdk-node for one of our services. Must run before Nest (and before
 * anything it instruments) is loaded. Our own traces go to `HOMEOSTAT_SELF_OTLP_ENDPOINT`, not
 * to OTEL_EXPORTER_OTLP_ENDPOINT, so pointing Homeostat at itself is a choice, never a loop by
 * accident. `OTEL_SDK_DISABLED=true` turns it off.
 */
export function startTelemetry(options: TelemetryOptions): NodeSDK | undefined {
  const env = options.env ?? process.env;
  if (sdk || env['OTEL_SDK_DISABLED'] === 'true') return sdk;
  const endpoint = options.endpoint ?? env['HOMEOSTAT_SELF_OTLP_ENDPOINT'];
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.namespace': 'homeostat' }),
    // Explicit empty lists keep the SDK from defaulting to an OTLP exporter on localhost:4318,
    // which is our own collector: never export to ourselves unless asked to.
    spanProcessors: endpoint ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }))] : [],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return sdk;
}

export async function stopTelemetry(): Promise<void> {
  const s = sdk;
  sdk = undefined;
  await s?.shutdown();
}

import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { trace, type Context, type Meter, type Tracer } from '@opentelemetry/api';
import { SeverityNumber, type Logger as OtelLogger } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export const DEFAULT_OTLP_ENDPOINT = 'http://127.0.0.1:4318';
/** Short intervals so a symptom reaches the collector within seconds. */
const METRIC_EXPORT_INTERVAL_MS = 2_000;
const BATCH_DELAY_MS = 1_000;
const EXPORT_TIMEOUT_MS = 1_500;

export type LogAttributes = Record<string, string | number | boolean>;

export interface ServiceLogger {
  info(message: string, attributes?: LogAttributes, context?: Context): void;
  warn(message: string, attributes?: LogAttributes, context?: Context): void;
  error(message: string, attributes?: LogAttributes, context?: Context): void;
}

export interface ServiceTelemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly logger: ServiceLogger;
  shutdown(): Promise<void>;
}

export interface ServiceTelemetryOptions {
  /** `service.name` on every span, metric and log; also the tracer's, meter's and logger's scope. */
  serviceName: string;
  /** false: spans, metrics and logs are still produced in-process but never exported. */
  enabled: boolean;
  /** OTLP/HTTP base URL; the signal paths /v1/traces, /v1/metrics, /v1/logs are appended. */
  endpoint: string;
  serviceVersion: string;
  /** Also write each log record as a JSON line on stderr. */
  logToStderr: boolean;
}

/**
 * A demo target's OpenTelemetry SDK: the tracer, meter and logger providers @opentelemetry/sdk-node
 * composes, built here without registering them as the process-wide globals. A demo target often
 * shares its process (tests, `homeostat demo`, a bench) with Homeostat's own NodeSDK or another
 * target, and globals can be registered only once; so every span, metric and log goes through the
 * providers below and carries its own resource (service.name). When the collector is down the
 * exporters drop the batch (the OTel diag logger is silent by default) and the service keeps serving.
 */
export function startServiceTelemetry(options: ServiceTelemetryOptions): ServiceTelemetry {
  const resource = resourceFromAttributes({
    'service.name': options.serviceName,
    'service.version': options.serviceVersion,
    'service.instance.id': randomUUID(),
    'deployment.environment.name': 'demo',
  });
  const base = options.endpoint.replace(/\/+$/, '');
  // One keep-alive agent for the three exporters. Given explicitly because the exporters' default
  // loads node:http with a dynamic import(), which fails inside a vm (jest) without a flag.
  const agent = base.startsWith('https:')
    ? new https.Agent({ keepAlive: true, maxSockets: 4 })
    : new http.Agent({ keepAlive: true, maxSockets: 4 });
  const exporterOptions = (signal: string) => ({
    url: `${base}/v1/${signal}`,
    timeoutMillis: EXPORT_TIMEOUT_MS,
    httpAgentOptions: () => agent,
  });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: options.enabled
      ? [
          new BatchSpanProcessor(new OTLPTraceExporter(exporterOptions('traces')), {
            scheduledDelayMillis: BATCH_DELAY_MS,
            maxQueueSize: 8_192,
            maxExportBatchSize: 1_024,
          }),
        ]
      : [],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: options.enabled
      ? [
          new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter(exporterOptions('metrics')),
            exportIntervalMillis: METRIC_EXPORT_INTERVAL_MS,
            exportTimeoutMillis: EXPORT_TIMEOUT_MS,
          }),
        ]
      : [],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: options.enabled
      ? [
          new BatchLogRecordProcessor({
            exporter: new OTLPLogExporter(exporterOptions('logs')),
            scheduledDelayMillis: BATCH_DELAY_MS,
            maxQueueSize: 8_192,
            maxExportBatchSize: 1_024,
          }),
        ]
      : [],
  });
  const otelLogger = loggerProvider.getLogger(options.serviceName, options.serviceVersion);
  let stopped = false;
  return {
    tracer: tracerProvider.getTracer(options.serviceName, options.serviceVersion),
    meter: meterProvider.getMeter(options.serviceName, options.serviceVersion),
    logger: createLogger(otelLogger, options.serviceName, options.logToStderr),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
      agent.destroy();
    },
  };
}

const SEVERITY = {
  info: { number: SeverityNumber.INFO, text: 'INFO' },
  warn: { number: SeverityNumber.WARN, text: 'WARN' },
  error: { number: SeverityNumber.ERROR, text: 'ERROR' },
} as const;

function createLogger(otel: OtelLogger, service: string, toStderr: boolean): ServiceLogger {
  const emit = (level: keyof typeof SEVERITY, message: string, attributes: LogAttributes = {}, context?: Context): void => {
    const severity = SEVERITY[level];
    otel.emit({ severityNumber: severity.number, severityText: severity.text, body: message, attributes, ...(context ? { context } : {}) });
    if (toStderr) {
      const span = context ? trace.getSpanContext(context) : undefined;
      const line = {
        time: new Date().toISOString(),
        level,
        service,
        msg: message,
        ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}),
        ...attributes,
      };
      process.stderr.write(JSON.stringify(line) + '\n');
    }
  };
  return {
    info: (m, a, c) => emit('info', m, a, c),
    warn: (m, a, c) => emit('warn', m, a, c),
    error: (m, a, c) => emit('error', m, a, c),
  };
}

/** Tables in the layout of the OpenTelemetry Collector ClickHouse exporter (deploy/clickhouse/migrations 0001-0003). */
export const TELEMETRY_TABLES = {
  traces: 'otel_traces',
  traceIdTs: 'otel_traces_trace_id_ts',
  logs: 'otel_logs',
  metricsGauge: 'otel_metrics_gauge',
  metricsSum: 'otel_metrics_sum',
  metricsHistogram: 'otel_metrics_histogram',
  metricsExponentialHistogram: 'otel_metrics_exponential_histogram',
  metricsSummary: 'otel_metrics_summary',
} as const;

/** The loop ledger (migrations 0004 and later). */
export const LEDGER_TABLES = {
  incidents: 'incidents',
  incidentLinks: 'incident_links',
  incidentEvents: 'incident_events',
  decisions: 'decisions',
  outcomes: 'outcomes',
  knowledge: 'knowledge',
  controlAudit: 'control_audit',
  deadLetters: 'dead_letters',
  repairFailures: 'repair_failures',
  repairFailureFeatures: 'repair_failure_features',
} as const;

export const STORE_TABLES = { ...TELEMETRY_TABLES, ...LEDGER_TABLES } as const;

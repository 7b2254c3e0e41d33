/**
 * The names of Homeostat's own Prometheus metrics (GET /metrics on every service's port). They
 * are a contract: dashboards (deploy/grafana/dashboards/homeostat.json) and checks outside the
 * repository read them, so a name or a label changes only with a new name.
 */
export const METRIC_NAMES = {
  /** Collector: spans, metric data points, log records (and build reports) in the requests it read. */
  itemsReceived: 'homeostat_telemetry_items_received_total',
  /** Collector: items it did not put on the bus, by reason (see REFUSAL_REASONS). */
  itemsRefused: 'homeostat_telemetry_items_refused_total',
  /** Consumers (analyzer, learner): items of OTLP protobuf payloads the contracts refuse, dropped. */
  itemsDropped: 'homeostat_telemetry_items_dropped_total',
  /** Learner: rows inserted into ClickHouse's telemetry tables (one per span, data point, log record). */
  itemsStored: 'homeostat_telemetry_items_stored_total',
  /** Collector: requests answered, by signal, encoding and HTTP status. */
  collectorRequests: 'homeostat_collector_requests_total',
  /** Messages waiting in memory per consumer group and topic (in-process bus). */
  busQueueDepth: 'homeostat_bus_queue_depth',
  /** Messages published and not yet handled per consumer group and topic (Kafka: high watermark − committed offset). */
  busConsumerLag: 'homeostat_bus_consumer_lag',
  /** Messages a consumer group finished with, by outcome (handled, duplicate, dead_lettered). */
  busMessagesProcessed: 'homeostat_bus_messages_processed_total',
  /** Handler attempts that failed and were retried. */
  busRetries: 'homeostat_bus_retries_total',
  /** Messages sent to `<topic>.dlq`, by consumer group, topic and error code. */
  busDeadLetters: 'homeostat_bus_dead_letters_total',
  /** Analyzer: series (metric, span and log-template series) it keeps a detector for. */
  analyzerSeries: 'homeostat_analyzer_series',
  /** Analyzer: log templates mined. */
  analyzerTemplates: 'homeostat_analyzer_log_templates',
  /** Analyzer: targets (services) it holds state for. */
  analyzerTargets: 'homeostat_analyzer_targets',
  /** Incident events published, by loop and event (opened, updated, resolved). */
  incidents: 'homeostat_incidents_total',
  /** Incidents resolved, by loop and resolution (recovered, self-healed, manual, expired). */
  incidentsResolved: 'homeostat_incidents_resolved_total',
  /** Decisions made, by loop and mode (execute, dry-run, approval-required, escalate). */
  decisions: 'homeostat_decisions_total',
  /** Actions the executor started, by loop and action. */
  actionsStarted: 'homeostat_actions_started_total',
  /** Action outcomes, by loop, action and status (succeeded, failed, rolled-back, skipped, timed-out). */
  actions: 'homeostat_actions_total',
  /** Learner: rows per ClickHouse insert (histogram), by table. */
  insertBatchRows: 'homeostat_store_insert_batch_rows',
  /** Learner: time per ClickHouse insert (histogram), by table and outcome (ok, error). */
  insertDuration: 'homeostat_store_insert_duration_seconds',
} as const;

/** The `signal` label: OTLP's traces are counted as spans, as their items are. */
export const TELEMETRY_SIGNALS = ['spans', 'metrics', 'logs'] as const;
export type TelemetrySignal = (typeof TELEMETRY_SIGNALS)[number];
/** Build reports (POST /v1/builds) are received like telemetry, one item per report. */
export type ReceivedSignal = TelemetrySignal | 'builds';

/**
 * Why the collector did not put items on the bus: `invalid` (an item the contracts refuse,
 * reported in partial_success), `backpressure` (429), `unavailable` (503), `too_large` (the bus
 * refused the record, 413), `internal` (500). Requests refused before their items were counted
 * (malformed, oversized body, unauthenticated, unsupported media type) are in
 * homeostat_collector_requests_total by status.
 */
export const REFUSAL_REASONS = ['invalid', 'backpressure', 'unavailable', 'too_large', 'internal'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The label of an OTLP signal (`traces` → `spans`). */
export function signalLabel(signal: 'traces' | 'metrics' | 'logs'): TelemetrySignal {
  return signal === 'traces' ? 'spans' : signal;
}

/** The label of a telemetry topic (`telemetry.spans` → `spans`), or undefined for other topics. */
export function signalOfTopic(topic: string): TelemetrySignal | undefined {
  switch (topic) {
    case 'telemetry.spans':
      return 'spans';
    case 'telemetry.metrics':
      return 'metrics';
    case 'telemetry.logs':
      return 'logs';
    default:
      return undefined;
  }
}

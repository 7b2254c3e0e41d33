-- Stored telemetry is idempotent: a record stored twice (a bus message redelivered after the learner
-- died between its insert and its commit; an exporter's retry of a request whose first copy also
-- landed) is one row. Each telemetry table becomes a ReplacingMergeTree whose sorting key ends with
-- the record's identity, so ClickHouse keeps one row per identity:
--   otel_traces  the span: TraceId, SpanId (after the exporter's own ServiceName, SpanName, time);
--   otel_logs    the record: its time to the nanosecond, trace and span, and a hash of its body and
--                attributes (OTLP logs have no id; two identical records at the same nanosecond are
--                one);
--   otel_metrics_*  the point: its series (ServiceName, MetricName, Attributes), its time to the
--                nanosecond, and which resource sent it (a hash of ResourceAttributes).
-- Duplicates go when parts merge, in the background: a query that counts or sums exactly reads with
-- FINAL (the learner's do); Grafana's panels read without it and may count a recent duplicate until
-- the merge. Column layout, codecs and indexes stay the exporter's (CREATE ... AS copies them), so
-- Grafana's ClickHouse plugin and the exporter still read and write these tables.
--
-- A MergeTree cannot change its engine or sorting key in place: each table is copied into a new one
-- that takes its name (EXCHANGE: Atomic databases, the default), and the old one is dropped. The
-- materialized view on otel_traces follows the name. Not resumable halfway: a migration that failed
-- in the middle needs the *_0008 tables looked at by hand.

CREATE TABLE otel_traces_0008 AS otel_traces
ENGINE = ReplacingMergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), TraceId, SpanId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
INSERT INTO otel_traces_0008 SELECT * FROM otel_traces;
EXCHANGE TABLES otel_traces AND otel_traces_0008;
DROP TABLE otel_traces_0008;

CREATE TABLE otel_logs_0008 AS otel_logs
ENGINE = ReplacingMergeTree
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp, TraceId, SpanId, cityHash64(Body, LogAttributes, ResourceAttributes))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
INSERT INTO otel_logs_0008 SELECT * FROM otel_logs;
EXCHANGE TABLES otel_logs AND otel_logs_0008;
DROP TABLE otel_logs_0008;

CREATE TABLE otel_metrics_gauge_0008 AS otel_metrics_gauge
ENGINE = ReplacingMergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix), cityHash64(ResourceAttributes))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
INSERT INTO otel_metrics_gauge_0008 SELECT * FROM otel_metrics_gauge;
EXCHANGE TABLES otel_metrics_gauge AND otel_metrics_gauge_0008;
DROP TABLE otel_metrics_gauge_0008;

CREATE TABLE otel_metrics_sum_0008 AS otel_metrics_sum
ENGINE = ReplacingMergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix), cityHash64(ResourceAttributes))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
INSERT INTO otel_metrics_sum_0008 SELECT * FROM otel_metrics_sum;
EXCHANGE TABLES otel_metrics_sum AND otel_metrics_sum_0008;
DROP TABLE otel_metrics_sum_0008;

CREATE TABLE otel_metrics_histogram_0008 AS otel_metrics_histogram
ENGINE = ReplacingMergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix), cityHash64(ResourceAttributes))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
INSERT INTO otel_metrics_histogram_0008 SELECT * FROM otel_metrics_histogram;
EXCHANGE TABLES otel_metrics_histogram AND otel_metrics_histogram_0008;
DROP TABLE otel_metrics_histogram_0008;

CREATE TABLE otel_metrics_exponential_histogram_0008 AS otel_metrics_exponential_histogram
ENGINE = ReplacingMergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix), cityHash64(ResourceAttributes))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
INSERT INTO otel_metrics_exponential_histogram_0008 SELECT * FROM otel_metrics_exponential_histogram;
EXCHANGE TABLES otel_metrics_exponential_histogram AND otel_metrics_exponential_histogram_0008;
DROP TABLE otel_metrics_exponential_histogram_0008;

CREATE TABLE otel_metrics_summary_0008 AS otel_metrics_summary
ENGINE = ReplacingMergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix), cityHash64(ResourceAttributes))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
INSERT INTO otel_metrics_summary_0008 SELECT * FROM otel_metrics_summary;
EXCHANGE TABLES otel_metrics_summary AND otel_metrics_summary_0008;
DROP TABLE otel_metrics_summary_0008;

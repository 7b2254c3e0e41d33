-- The loop ledger: incidents, decisions, outcomes, learned knowledge and people's commands.
--
-- Delivery is at least once, so every table is a ReplacingMergeTree keyed by the entity (or event)
-- id with a `version` column: a redelivered event writes an identical row that collapses on merge,
-- and a later state of the same entity (higher version) wins. Writers set `version` to the
-- event's time in Unix milliseconds (or a per-entity sequence). Until parts merge, read with FINAL
-- (or argMax(..., version)) to see one row per key.
--
-- `event` keeps the full CloudEvent JSON so nothing is lost; the other columns are the fields people
-- filter and group by. Partitions use a time that never changes for an entity (opened_at,
-- decided_at, ...), because rows only collapse within one partition.

CREATE TABLE IF NOT EXISTS incidents (
    incident_id String,
    version UInt64,
    event_id String,
    event_type LowCardinality(String),
    loop LowCardinality(String),
    target LowCardinality(String),
    fingerprint String,
    status LowCardinality(String),
    severity LowCardinality(String),
    summary String,
    opened_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    time_to_recover_ms Nullable(UInt64),
    trace_id String,
    event String CODEC(ZSTD(1)),
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC'),
    INDEX idx_fingerprint fingerprint TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY incident_id;

CREATE TABLE IF NOT EXISTS decisions (
    decision_id String,
    version UInt64,
    event_id String,
    event_type LowCardinality(String),
    incident_id String,
    loop LowCardinality(String),
    target LowCardinality(String),
    fingerprint String,
    action LowCardinality(String),
    status LowCardinality(String),
    risk LowCardinality(String),
    dry_run Bool DEFAULT false,
    explanation String CODEC(ZSTD(1)),
    decided_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    trace_id String,
    event String CODEC(ZSTD(1)),
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC'),
    INDEX idx_incident_id incident_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_fingerprint fingerprint TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(decided_at)
ORDER BY decision_id;

-- One row per outcome event; the key leads with fingerprint and action because the learner reads
-- outcomes per fingerprint x action.
CREATE TABLE IF NOT EXISTS outcomes (
    event_id String,
    version UInt64,
    event_type LowCardinality(String),
    decision_id String,
    incident_id String,
    loop LowCardinality(String),
    target LowCardinality(String),
    fingerprint String,
    action LowCardinality(String),
    status LowCardinality(String),
    success Bool,
    rolled_back Bool DEFAULT false,
    time_to_recover_ms Nullable(UInt64),
    started_at DateTime64(3, 'UTC'),
    finished_at DateTime64(3, 'UTC'),
    trace_id String,
    event String CODEC(ZSTD(1)),
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC'),
    INDEX idx_decision_id decision_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_incident_id incident_id TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(finished_at)
ORDER BY (loop, fingerprint, action, event_id);

-- What the learner knows per loop x fingerprint x action; the latest version is what loop.knowledge
-- publishes. Small, so not partitioned.
CREATE TABLE IF NOT EXISTS knowledge (
    loop LowCardinality(String),
    fingerprint String,
    action LowCardinality(String),
    version UInt64,
    attempts UInt64,
    successes UInt64,
    failures UInt64,
    alpha Float64,
    beta Float64,
    mean_time_to_recover_ms Nullable(Float64),
    last_outcome_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC'),
    event String CODEC(ZSTD(1)),
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY (loop, fingerprint, action);

-- Every command people issue (approve, reject, pause, resume, kill switch, ...), with who issued it.
CREATE TABLE IF NOT EXISTS control_audit (
    event_id String,
    version UInt64,
    event_type LowCardinality(String),
    command LowCardinality(String),
    actor String,
    loop LowCardinality(String),
    target LowCardinality(String),
    decision_id String,
    incident_id String,
    reason String,
    issued_at DateTime64(3, 'UTC'),
    trace_id String,
    event String CODEC(ZSTD(1)),
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(issued_at)
ORDER BY (issued_at, event_id);

-- Every event of every incident. `incidents` keeps one row per incident once its parts merge (its
-- latest state, often the resolution), and what the incident was found with is in its earlier
-- events: a repair incident's diagnosis (reason lines, culprit evidence, similar failures, the
-- fixes' priors) is in its opening only. The console's incident and repair pages read an incident's
-- history from here. Keyed by the event, so a redelivery collapses with its first copy.
-- The incidents already stored are copied in: what their rows still hold.

CREATE TABLE IF NOT EXISTS incident_events (
    incident_id String,
    event_id String,
    version UInt64,
    event_type LowCardinality(String),
    loop LowCardinality(String),
    target LowCardinality(String),
    opened_at DateTime64(3, 'UTC'),
    event String CODEC(ZSTD(1)),
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (incident_id, event_id);

INSERT INTO incident_events (incident_id, event_id, version, event_type, loop, target, opened_at, event, recorded_at)
SELECT incident_id, event_id, version, event_type, loop, target, opened_at, event, recorded_at FROM incidents;

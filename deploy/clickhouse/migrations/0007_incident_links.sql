-- How incidents on a target follow one another. `incidents` keeps one row per incident once its
-- parts merge (its latest state), so the facts of an incident's history that the decider and
-- people need later get rows of their own here:
--   follows: this incident opened while `other_incident_id` was still open, with evidence of
--            another kind of failure, and its opening resolved that one (previousIncidentId);
--   relapse: the incident's symptoms came back, of the same kind, after all of them had
--            recovered — whatever fixed it did not hold (relapsedAt; `at` is when they were last
--            failing in that relapse).
-- Keyed by the fact itself, so a redelivered event or the incident's later updates, which repeat
-- it, collapse into one row.

CREATE TABLE IF NOT EXISTS incident_links (
    incident_id String,
    link LowCardinality(String),
    other_incident_id String,
    at DateTime64(3, 'UTC'),
    loop LowCardinality(String),
    target LowCardinality(String),
    event_id String,
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC'),
    INDEX idx_other other_incident_id TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (incident_id, link, at, other_incident_id);

-- Every repair failure with its weighted features (libs/repair similarity.ts), so a failure finds
-- the similar ones among all those stored, in any loop and repository, not only among the last
-- ones its loop remembers. Written from the incident's opening (buildFailure.features); failures
-- stored before this migration carried no features and are not here.
--
-- repair_failures: one row per failure, its features as parallel arrays (the exact norm of a
-- candidate is computed from them). repair_failure_features: one row per feature of a failure,
-- sorted by feature, so the failures that share a feature with a query are a range read each and
-- the projection counts in how many failures each feature is (the document frequency) without
-- reading them. Both are keyed by the failure, so a redelivered opening collapses with the first;
-- until the parts merge, a duplicate counts twice in the frequencies ('rebuild' recomputes the
-- projection when a merge drops it).
-- weight_norm is the norm of the failure's weights alone: every inverse document frequency is at
-- least 1, so the failure's weighted norm is at least this, which bounds its score from above.

CREATE TABLE IF NOT EXISTS repair_failures (
    incident_id String,
    version UInt64,
    event_id String,
    loop LowCardinality(String),
    target LowCardinality(String),
    signature String,
    category LowCardinality(String),
    opened_at DateTime64(3, 'UTC'),
    feature_keys Array(String),
    feature_weights Array(Float64),
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY incident_id
SETTINGS index_granularity = 32;

CREATE TABLE IF NOT EXISTS repair_failure_features (
    feature String,
    incident_id String,
    version UInt64,
    weight Float64,
    weight_norm Float64,
    loop LowCardinality(String),
    target LowCardinality(String),
    PROJECTION document_frequency (SELECT feature, count() GROUP BY feature)
) ENGINE = ReplacingMergeTree(version)
ORDER BY (feature, incident_id)
SETTINGS index_granularity = 1024, deduplicate_merge_projection_mode = 'rebuild';

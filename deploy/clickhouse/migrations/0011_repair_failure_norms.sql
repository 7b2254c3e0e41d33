-- Each feature row of a repair failure carries the failure's IDF-weighted norm (libs/repair
-- similarity.ts) as it was when the failure was weighed, so the similar-failures query orders its
-- candidates by a near-exact score from the postings alone, and computes the exact score (the
-- document frequencies of all the candidate's features) for the best few only.
--
-- The learner weighs a failure when it writes it: n is the failures stored with it, df the failures
-- that have each feature, itself counted (services/learner/src/failure-norms.ts). The store grows
-- after that, so the norm drifts from the exact one; the query only orders candidates by it and
-- never answers a score or claims an answer exact from it (similar-failures.query.ts). A row
-- written without a norm gets weight_norm, the least the weighted norm can be: such a failure is
-- ordered by its score's upper bound, early, and scored exactly rather than passed over.
--
-- The failures stored before this migration are weighed here against the store as it is. A
-- MergeTree cannot fill a column from other rows in place: the table is copied into a new one that
-- takes its name (as in 0008), and the old one is dropped. Not resumable halfway: a migration that
-- failed in the middle needs repair_failure_features_0011 looked at by hand.

CREATE TABLE repair_failure_features_0011 (
    feature String,
    incident_id String,
    version UInt64,
    weight Float64,
    weight_norm Float64,
    norm Float64 DEFAULT weight_norm,
    loop LowCardinality(String),
    target LowCardinality(String),
    PROJECTION document_frequency (SELECT feature, count() GROUP BY feature)
) ENGINE = ReplacingMergeTree(version)
ORDER BY (feature, incident_id)
SETTINGS index_granularity = 1024, deduplicate_merge_projection_mode = 'rebuild';

-- Each failure and each of its features counted once: a redelivered opening not merged yet is one
-- failure (and the copy merges what one insert holds twice).
INSERT INTO repair_failure_features_0011 (feature, incident_id, version, weight, weight_norm, norm, loop, target)
WITH pairs AS (SELECT incident_id, feature, any(weight) AS weight FROM repair_failure_features GROUP BY incident_id, feature)
SELECT f.feature, f.incident_id, f.version, f.weight, f.weight_norm, w.norm, f.loop, f.target
FROM repair_failure_features AS f
INNER JOIN (
    SELECT x.incident_id AS incident_id, sqrt(sum(pow(x.weight * (log((1 + s.n) / (1 + d.df)) + 1), 2))) AS norm
    FROM pairs AS x
    INNER JOIN (SELECT feature, count() AS df FROM pairs GROUP BY feature) AS d ON d.feature = x.feature
    CROSS JOIN (SELECT uniqExact(incident_id) AS n FROM repair_failures) AS s
    GROUP BY x.incident_id
) AS w ON w.incident_id = f.incident_id;

EXCHANGE TABLES repair_failure_features AND repair_failure_features_0011;
DROP TABLE repair_failure_features_0011;

-- Loop analytics on the Homeostat ledger: queries to run with clickhouse-client against the
-- learner's database, e.g.
--   clickhouse-client --database homeostat --param_loop=shop --queries-file deploy/clickhouse/cookbook.sql
-- or one at a time in the Grafana / ClickHouse SQL console (put the loop name for {loop:String}).
-- The ledger tables are ReplacingMergeTree: FINAL (or argMax(..., version)) reads the latest state.
-- test/deploy/analytics.int-spec.ts runs every query here against chDB on demo data.

-- name: incidents-per-day
-- Incidents opened per day and fingerprint, with how many are resolved and the mean time to recover.
SELECT toDate(opened_at) AS day,
       fingerprint,
       count() AS incidents,
       countIf(status = 'resolved') AS resolved,
       round(avgIf(time_to_recover_ms, status = 'resolved') / 1000, 1) AS mean_ttr_s
FROM incidents FINAL
WHERE loop = {loop:String}
GROUP BY day, fingerprint
ORDER BY day, fingerprint;

-- name: learning-curve
-- The learning curve: the n-th occurrence of each kind of failure and how long it took to recover.
SELECT fingerprint,
       row_number() OVER (PARTITION BY fingerprint ORDER BY opened_at) AS occurrence,
       opened_at,
       round(time_to_recover_ms / 1000, 1) AS ttr_s
FROM incidents FINAL
WHERE loop = {loop:String} AND status = 'resolved'
ORDER BY fingerprint, occurrence;

-- name: action-success-by-fingerprint
-- Which action fixes which failure: outcomes per fingerprint x action, best first.
SELECT fingerprint,
       action,
       countIf(status != 'started') AS attempts,
       countIf(status = 'succeeded') AS succeeded,
       round(succeeded / nullIf(attempts, 0), 3) AS success_ratio,
       round(avgIf(time_to_recover_ms, status = 'succeeded') / 1000, 1) AS mean_ttr_s
FROM outcomes FINAL
WHERE loop = {loop:String}
GROUP BY fingerprint, action
ORDER BY fingerprint, success_ratio DESC, mean_ttr_s;

-- name: actions-per-incident
-- How many actions each incident needed before it recovered (exploration shows as > 1).
SELECT i.incident_id AS incident_id, i.fingerprint AS fingerprint, i.opened_at AS opened_at, count(o.decision_id) AS actions
FROM (SELECT incident_id, fingerprint, opened_at FROM incidents FINAL WHERE loop = {loop:String}) AS i
LEFT JOIN (SELECT incident_id, decision_id FROM outcomes FINAL WHERE status = 'started') AS o ON o.incident_id = i.incident_id
GROUP BY incident_id, fingerprint, opened_at
ORDER BY opened_at;

-- name: posterior
-- What the learner believes now: the Beta posterior mean of success per fingerprint x action.
SELECT fingerprint, action, attempts, successes, failures,
       round(alpha / (alpha + beta), 3) AS posterior_mean,
       round(mean_time_to_recover_ms / 1000, 1) AS mean_ttr_s
FROM knowledge FINAL
WHERE loop = {loop:String}
ORDER BY fingerprint, posterior_mean DESC;

-- name: decision-explanations
-- Why the decider chose what it chose: the explanation recorded with each decision.
SELECT decided_at, decision_id, action,
       JSONExtractString(explanation, 'chosenBecause') AS chosen_because,
       JSONLength(explanation, 'candidates') AS candidates
FROM decisions FINAL
WHERE loop = {loop:String} AND status = 'made'
ORDER BY decided_at DESC
LIMIT 20;

-- name: rollbacks
-- Actions that did not help: failed or rolled back, with the error code the executor reported.
SELECT finished_at, incident_id, action, status,
       JSONExtractString(event, 'data', 'error', 'code') AS error_code,
       JSONExtractString(event, 'data', 'rollback', 'status') AS rollback_status
FROM outcomes FINAL
WHERE loop = {loop:String} AND status IN ('failed', 'rolled-back', 'timed-out')
ORDER BY finished_at;

-- name: people
-- Every command people gave, newest first (approvals, pauses, the kill switch).
SELECT issued_at, command, actor, loop, decision_id, reason
FROM control_audit FINAL
ORDER BY issued_at DESC
LIMIT 50;

-- name: error-ratio-around-incidents
-- The target's server error ratio in the minutes around each incident (telemetry joined with the ledger).
SELECT i.incident_id AS incident_id,
       i.fingerprint AS fingerprint,
       countIf(t.StatusCode = 'Error') / count() AS error_ratio,
       round(quantile(0.95)(t.Duration) / 1e6, 1) AS p95_ms
FROM (SELECT incident_id, fingerprint, target, opened_at FROM incidents FINAL WHERE loop = {loop:String}) AS i
INNER JOIN otel_traces AS t FINAL ON t.ServiceName = i.target
WHERE t.SpanKind = 'Server'
  AND t.Timestamp BETWEEN i.opened_at - INTERVAL 5 MINUTE AND i.opened_at + INTERVAL 5 MINUTE
GROUP BY incident_id, fingerprint
ORDER BY incident_id;

-- name: dead-letters
-- Messages that failed validation or processing, per topic and error code.
SELECT topic, error_code, count() AS messages, max(received_at) AS last_seen
FROM dead_letters
GROUP BY topic, error_code
ORDER BY messages DESC;

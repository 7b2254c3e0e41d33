-- Loop analytics on the Homeostat ledger: queries to run with clickhouse-client against the
-- learner's database, e.g.
--   clickhouse-client --database homeostat --param_loop=shop --queries-file deploy/clickhouse/cookbook.sql
-- or one at a time in the Grafana / ClickHouse SQL console (put the loop name for {loop:String}).
-- The ledger tables are ReplacingMergeTree: FINAL (or argMax(..., version)) reads the latest state.
-- The repair-* queries take a repair loop's name, the optimize-* queries an optimize loop's.
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

-- name: repair-failures-per-signature
-- Failed builds per failure signature (repair loops): how often, in how many repositories, the category,
-- the culprits blamed and how many were fixed. The diagnosis is read from the loop's decisions (an
-- incident's row keeps only its latest state once parts merge; a decision's keeps its fix).
SELECT i.fingerprint AS signature,
       count() AS failures,
       countIf(i.status = 'resolved') AS fixed,
       anyIf(d.category, d.category != '') AS category,
       uniqExactIf(d.repository, d.repository != '') AS repositories,
       groupUniqArrayIf(d.culprit, d.culprit != '') AS culprits
FROM (SELECT incident_id, fingerprint, status FROM incidents FINAL WHERE loop = {loop:String}) AS i
LEFT JOIN (
    SELECT incident_id,
           any(JSONExtractString(event, 'data', 'action', 'params', 'diagnosis', 'category')) AS category,
           any(JSONExtractString(event, 'data', 'action', 'params', 'diagnosis', 'culprit')) AS culprit,
           any(JSONExtractString(event, 'data', 'action', 'params', 'repository')) AS repository
    FROM decisions FINAL
    WHERE loop = {loop:String} AND JSONHas(event, 'data', 'action', 'params', 'fix')
    GROUP BY incident_id
) AS d ON d.incident_id = i.incident_id
GROUP BY signature
ORDER BY failures DESC, signature;

-- name: repair-fix-success-by-signature
-- Which fix fixes which failure signature (repair loops): validations per signature x fix, how many
-- passed the project's own tests, how many were pushed, and how long a validation took.
SELECT fingerprint AS signature,
       action AS fix,
       countIf(verified) AS validations,
       countIf(verified AND status = 'succeeded') AS passed,
       round(passed / nullIf(validations, 0), 3) AS success_ratio,
       countIf(JSONHas(event, 'data', 'repair', 'pushed')) AS pushed,
       round(avg(dateDiff('millisecond', started_at, finished_at)) / 1000, 1) AS mean_validation_s
FROM outcomes FINAL
WHERE loop = {loop:String} AND event_type = 'homeostat.outcome.recorded.v1'
GROUP BY signature, fix
ORDER BY signature, success_ratio DESC, fix;

-- name: repair-time-to-validated-fix
-- From a failed build to its validated fix, per occurrence of each signature (repair loops): the
-- candidates it took, the fix and its commit. A loop that learns needs one candidate the next time.
SELECT i.signature AS signature,
       row_number() OVER (PARTITION BY i.signature ORDER BY i.opened_at) AS occurrence,
       i.incident_id AS incident_id,
       i.opened_at AS opened_at,
       o.candidates AS candidates_tried,
       o.fix AS fix,
       o.fix_commit AS fix_commit,
       round(dateDiff('millisecond', i.opened_at, o.fixed_at) / 1000, 1) AS time_to_fix_s
FROM (SELECT incident_id, fingerprint AS signature, opened_at FROM incidents FINAL WHERE loop = {loop:String}) AS i
INNER JOIN (
    SELECT incident_id,
           countIf(verified) AS candidates,
           argMinIf(action, finished_at, status = 'succeeded') AS fix,
           argMinIf(JSONExtractString(event, 'data', 'repair', 'commit'), finished_at, status = 'succeeded') AS fix_commit,
           minIf(finished_at, status = 'succeeded') AS fixed_at
    FROM outcomes FINAL
    WHERE loop = {loop:String} AND event_type = 'homeostat.outcome.recorded.v1'
    GROUP BY incident_id
    HAVING countIf(status = 'succeeded') > 0
) AS o ON o.incident_id = i.incident_id
ORDER BY signature, occurrence;

-- name: optimize-experiments-per-route
-- An optimize loop's experiments per route and knob: how many, kept, rolled back, and how many reused a
-- traffic regime's known-good config instead of searching.
SELECT JSONExtractString(d.event, 'data', 'experiment', 'route') AS route,
       JSONExtractString(d.event, 'data', 'experiment', 'knob') AS knob,
       count() AS experiments,
       countIf(o.is_kept) AS kept,
       countIf(o.status = 'rolled-back') AS rolled_back,
       countIf(o.status = '') AS not_judged,
       countIf(JSONExtractBool(d.event, 'data', 'experiment', 'knownGood')) AS known_good_reused
FROM (SELECT decision_id, event FROM decisions FINAL WHERE loop = {loop:String} AND JSONHas(event, 'data', 'experiment')) AS d
LEFT JOIN (
    SELECT decision_id, status, JSONExtractBool(event, 'data', 'experiment', 'kept') AS is_kept
    FROM outcomes FINAL
    WHERE loop = {loop:String} AND event_type = 'homeostat.outcome.recorded.v1'
) AS o ON o.decision_id = d.decision_id
GROUP BY route, knob
ORDER BY route, knob;

-- name: optimize-kept-ratio
-- Kept vs rolled-back changes per route and traffic regime (optimize loops), and why they were rolled
-- back: a guard that broke, or an effect within noise.
SELECT JSONExtractString(d.event, 'data', 'experiment', 'route') AS route,
       JSONExtractString(d.event, 'data', 'experiment', 'regime') AS regime,
       countIf(o.is_kept) AS kept,
       countIf(NOT o.is_kept) AS rolled_back,
       round(kept / nullIf(kept + rolled_back, 0), 3) AS kept_ratio,
       countIf(NOT o.is_kept AND o.guard_breach != '') AS by_guard,
       countIf(NOT o.is_kept AND o.guard_breach = '') AS within_noise
FROM (SELECT decision_id, event FROM decisions FINAL WHERE loop = {loop:String} AND JSONHas(event, 'data', 'experiment')) AS d
INNER JOIN (
    SELECT decision_id,
           JSONExtractBool(event, 'data', 'experiment', 'kept') AS is_kept,
           JSONExtractString(event, 'data', 'experiment', 'guardBreach') AS guard_breach
    FROM outcomes FINAL
    WHERE loop = {loop:String} AND event_type = 'homeostat.outcome.recorded.v1' AND JSONHas(event, 'data', 'experiment')
) AS o ON o.decision_id = d.decision_id
GROUP BY route, regime
ORDER BY route, regime;

-- name: optimize-effect-sizes
-- Each judged experiment's measured effect (optimize loops): the objective's baseline and trial medians,
-- the shift baseline - trial (ms, Hodges-Lehmann) with its interval, the Mann-Whitney p and the verdict.
SELECT o.finished_at AS finished_at,
       JSONExtractString(d.event, 'data', 'experiment', 'route') AS route,
       JSONExtractString(d.event, 'data', 'experiment', 'change') AS change,
       JSONExtractBool(d.event, 'data', 'experiment', 'knownGood') AS known_good,
       JSONExtract(o.event, 'data', 'experiment', 'baselineMedianMs', 'Nullable(Float64)') AS baseline_ms,
       JSONExtract(o.event, 'data', 'experiment', 'trialMedianMs', 'Nullable(Float64)') AS trial_ms,
       JSONExtract(o.event, 'data', 'experiment', 'effectMs', 'Nullable(Float64)') AS effect_ms,
       JSONExtract(o.event, 'data', 'experiment', 'effectLowMs', 'Nullable(Float64)') AS effect_low_ms,
       JSONExtract(o.event, 'data', 'experiment', 'effectHighMs', 'Nullable(Float64)') AS effect_high_ms,
       round(effect_ms / nullIf(baseline_ms, 0), 3) AS relative_effect,
       JSONExtract(o.event, 'data', 'experiment', 'pValue', 'Nullable(Float64)') AS p_value,
       JSONExtractBool(o.event, 'data', 'experiment', 'kept') AS kept
FROM (
    SELECT decision_id, finished_at, event
    FROM outcomes FINAL
    WHERE loop = {loop:String} AND event_type = 'homeostat.outcome.recorded.v1' AND JSONHas(event, 'data', 'experiment')
) AS o
INNER JOIN (SELECT decision_id, event FROM decisions FINAL WHERE loop = {loop:String}) AS d ON d.decision_id = o.decision_id
ORDER BY finished_at;

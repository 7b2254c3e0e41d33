-- `verified`: the outcome teaches whether its action works against its fingerprint (the action was
-- sent to the target and verification said yes or no; contracts' isVerifiedOutcome). The learner
-- writes it from the outcome's `applied` flag; knowledge and analytics count only these rows.
-- Rows written before outcomes carried `applied` take it from the rule of that time: the status,
-- no dry run, and an error code outside the codes of actions that never reached the target.
ALTER TABLE outcomes ADD COLUMN IF NOT EXISTS verified Bool DEFAULT
    event_type = 'homeostat.outcome.recorded.v1'
    AND status IN ('succeeded', 'failed', 'rolled-back', 'timed-out')
    AND NOT JSONExtractBool(event, 'data', 'dryRun')
    AND JSONExtractString(event, 'data', 'error', 'code') NOT IN
        ('LOOP_UNKNOWN', 'ADAPTER_UNSUPPORTED', 'ADAPTER_PARAMS_INVALID', 'TEMPLATE_INVALID', 'ALREADY_CLAIMED', 'KILL_SWITCH', 'REJECTED')
    AFTER success;

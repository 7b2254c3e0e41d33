import { z } from 'zod';
import { actionCall, durationMs, id, nonEmpty, timestamp } from './common.schema';

export const actionStartedSchema = z
  .object({
    decisionId: id,
    incidentId: id,
    loop: nonEmpty,
    target: nonEmpty,
    fingerprint: nonEmpty,
    action: actionCall,
    dryRun: z.boolean(),
    startedAt: timestamp,
    /** When verification gives up: startedAt + the loop's verification deadline. */
    deadline: timestamp,
  })
  .strict();
export type ActionStarted = z.infer<typeof actionStartedSchema>;

export const OUTCOME_STATUSES = ['succeeded', 'failed', 'rolled-back', 'skipped', 'timed-out'] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

export const verificationCheckSchema = z
  .object({
    name: nonEmpty,
    passed: z.boolean(),
    detail: z.string().optional(),
    observed: z.union([z.number(), z.string(), z.boolean()]).optional(),
  })
  .strict();

export const verificationResultSchema = z
  .object({
    passed: z.boolean(),
    checks: z.array(verificationCheckSchema),
    detail: z.string().optional(),
  })
  .strict();
export type VerificationResult = z.infer<typeof verificationResultSchema>;

export const rollbackSchema = z
  .object({
    action: actionCall,
    status: z.enum(['succeeded', 'failed']),
    detail: z.string().optional(),
  })
  .strict();

/**
 * Outcome error codes of actions that never reached the target (unknown loop, unsupported
 * adapter, bad parameters, already claimed, kill switch, rejected): such an outcome says nothing
 * about whether the action fixes the failure, so learning ignores it.
 */
export const NOT_APPLIED_ERROR_CODES: readonly string[] = ['LOOP_UNKNOWN', 'ADAPTER_UNSUPPORTED', 'ADAPTER_PARAMS_INVALID', 'TEMPLATE_INVALID', 'ALREADY_CLAIMED', 'KILL_SWITCH', 'REJECTED'];

export const outcomeErrorSchema = z.object({ code: nonEmpty, message: z.string() }).strict();

export const outcomeRecordedSchema = z
  .object({
    decisionId: id,
    incidentId: id,
    loop: nonEmpty,
    target: nonEmpty,
    fingerprint: nonEmpty,
    action: actionCall,
    status: z.enum(OUTCOME_STATUSES),
    dryRun: z.boolean(),
    verification: verificationResultSchema,
    /** From the action's start until verification passed; null when the target did not recover. */
    timeToRecoverMs: durationMs.nullable(),
    startedAt: timestamp,
    finishedAt: timestamp,
    rollback: rollbackSchema.optional(),
    error: outcomeErrorSchema.optional(),
  })
  .strict()
  .refine((o) => o.status !== 'rolled-back' || o.rollback !== undefined, {
    message: 'required when status is rolled-back',
    path: ['rollback'],
  });
export type OutcomeRecorded = z.infer<typeof outcomeRecordedSchema>;

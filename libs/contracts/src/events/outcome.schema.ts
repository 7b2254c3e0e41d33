import { z } from 'zod';
import { repairValidationSchema } from './build-failure.schema';
import { experimentResultSchema } from './optimize.schema';
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
 * Why an action did not succeed, as the executor reports it. The first group never reached the
 * target (nothing was sent, or a person or a switch stopped it); the second did, or may have.
 */
export const OUTCOME_ERROR_CODES = [
  'LOOP_UNKNOWN',
  'ADAPTER_UNSUPPORTED',
  'ADAPTER_PARAMS_INVALID',
  'TEMPLATE_INVALID',
  'ALREADY_CLAIMED',
  'KILL_SWITCH',
  'REJECTED',
  'ADAPTER_FAILED',
  'VERIFICATION_FAILED',
  'ROLLBACK_FAILED',
  'PUBLISH_FAILED',
] as const;
export type OutcomeErrorCode = (typeof OUTCOME_ERROR_CODES)[number];

export const outcomeErrorSchema = z.object({ code: z.enum(OUTCOME_ERROR_CODES), message: z.string() }).strict();
export type OutcomeError = z.infer<typeof outcomeErrorSchema>;

/** Statuses after which verification said yes or no (skipped says nothing either way). */
export const VERIFIED_OUTCOME_STATUSES = ['succeeded', 'failed', 'rolled-back', 'timed-out'] as const satisfies readonly OutcomeStatus[];

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
    /**
     * Whether the action was sent to the target. False when nothing was sent: a dry run, an unknown
     * loop or adapter, bad parameters or templates, a rejection, the kill switch, a decision claimed
     * by an earlier run, or action.started that could not be published. True when it was sent, even
     * if the target then failed it (ADAPTER_FAILED): that is a failed try of the action. Only the
     * executor knows, so it says, and everything that learns reads this flag.
     */
    applied: z.boolean(),
    rollback: rollbackSchema.optional(),
    error: outcomeErrorSchema.optional(),
    /** An optimize loop's outcome: the experiment's measured effect and verdict. */
    experiment: experimentResultSchema.optional(),
    /** A repair loop's outcome: the validation run of the fix (diff, commands, where it was pushed). */
    repair: repairValidationSchema.optional(),
  })
  .strict()
  .refine((o) => o.status !== 'rolled-back' || o.rollback !== undefined, {
    message: 'required when status is rolled-back',
    path: ['rollback'],
  });
export type OutcomeRecorded = z.infer<typeof outcomeRecordedSchema>;

/**
 * Whether an outcome teaches anything about the action against its fingerprint: the action
 * reached the target and verification said yes or no. The one rule the decider's circuit breaker,
 * the learner's knowledge and its SQL (the outcomes table's `verified` column) all follow.
 */
export function isVerifiedOutcome(o: Pick<OutcomeRecorded, 'applied' | 'dryRun' | 'status'>): boolean {
  return o.applied && !o.dryRun && (VERIFIED_OUTCOME_STATUSES as readonly OutcomeStatus[]).includes(o.status);
}

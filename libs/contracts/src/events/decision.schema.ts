import { z } from 'zod';
import { experimentSchema } from './optimize.schema';
import { actionCall, id, nonEmpty, nonNegativeInt, probability } from './common.schema';

/**
 * execute: run it now; dry-run: run nothing, record what would have run; approval-required: wait for a
 * person on loop.control; escalate: no safe action, hand over to people.
 */
export const DECISION_MODES = ['execute', 'dry-run', 'approval-required', 'escalate'] as const;
export type DecisionMode = (typeof DECISION_MODES)[number];

/**
 * How much the loop may do on its own with one action against one kind of failure: shadow
 * (record what it would do, run nothing), propose (a person approves first), auto (run it).
 * The spec sets the start; measured success promotes, failures demote.
 */
export const AUTONOMY_LEVELS = ['shadow', 'propose', 'auto'] as const;
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number];

export const posteriorSchema = z
  .object({
    alpha: z.number().positive(),
    beta: z.number().positive(),
    /** alpha / (alpha + beta) */
    mean: probability,
    tries: nonNegativeInt,
    meanTimeToRecoverMs: z.number().nonnegative().nullable(),
  })
  .strict();
export type Posterior = z.infer<typeof posteriorSchema>;

export const candidateSchema = z
  .object({
    action: nonEmpty,
    score: z.number(),
    posterior: posteriorSchema.optional(),
    eligible: z.boolean(),
    reason: nonEmpty,
  })
  .strict();
export type Candidate = z.infer<typeof candidateSchema>;

export const guardrailCheckSchema = z
  .object({
    name: nonEmpty,
    passed: z.boolean(),
    detail: z.string(),
    /** The numbers the check compared, e.g. { used: 2, maxActions: 3 }. */
    values: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  })
  .strict();
export type GuardrailCheck = z.infer<typeof guardrailCheckSchema>;

export const explanationSchema = z
  .object({
    evidenceSummary: z.string(),
    hypothesis: z.string().optional(),
    candidates: z.array(candidateSchema),
    guardrails: z.array(guardrailCheckSchema),
    chosenBecause: nonEmpty,
  })
  .strict();
export type Explanation = z.infer<typeof explanationSchema>;

export const decisionMadeSchema = z
  .object({
    decisionId: id,
    incidentId: id,
    loop: nonEmpty,
    loopVersion: nonEmpty,
    target: nonEmpty,
    fingerprint: nonEmpty,
    /** null only when escalating with nothing to run. */
    action: actionCall.nullable(),
    mode: z.enum(DECISION_MODES),
    autonomyLevel: z.enum(AUTONOMY_LEVELS),
    /** The decision this one retries after it failed; the chain is one incident's remediation history. */
    previousDecisionId: id.optional(),
    /**
     * The decision whose action was verified to fix this incident, which then relapsed: this
     * decision is taken because that fix did not hold, and the learner counts it as a failure.
     */
    relapseOf: id.optional(),
    attempt: z.number().int().positive(),
    explanation: explanationSchema,
    /** An optimize loop's decision: the experiment its action starts. */
    experiment: experimentSchema.optional(),
  })
  .strict()
  .refine((d) => d.action !== null || d.mode === 'escalate', {
    message: 'required unless mode is escalate',
    path: ['action'],
  });
export type DecisionMade = z.infer<typeof decisionMadeSchema>;

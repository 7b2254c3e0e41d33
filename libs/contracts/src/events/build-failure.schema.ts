import { z } from 'zod';
import { nonEmpty, nonNegativeInt, probability } from './common.schema';

/** One fix the repair loop can apply: whole file contents and the commands that regenerate derived files. */
export const fixCandidateSchema = z
  .object({
    id: nonEmpty,
    /** The recipe: the loop's action that applies it, and what outcomes are learned under. */
    recipe: nonEmpty,
    title: nonEmpty,
    explanation: z.array(z.string()).max(20),
    /** The recipe's prior for this failure in [0, 1] (the decider's Thompson sampling starts from it). */
    prior: probability,
    files: z.array(z.object({ path: nonEmpty, content: z.string() }).strict()).max(20),
    regenerate: z.array(z.array(nonEmpty).min(1)).max(5),
    message: z.string(),
  })
  .strict();
export type FixCandidateData = z.infer<typeof fixCandidateSchema>;

/** The most features a failure carries (its category, 50 templates, its culprits, 100 packages: libs/repair triage), and the longest feature. */
export const FAILURE_FEATURES_MAX = 400;
export const FAILURE_FEATURE_MAX_CHARS = 500;

/** A failure's weighted features, as libs/repair's similarity compares them: what the learner stores for later failures to find. */
export const failureFeaturesSchema = z
  .record(z.string().min(1).max(FAILURE_FEATURE_MAX_CHARS), z.number().nonnegative())
  .refine((f) => Object.keys(f).length <= FAILURE_FEATURES_MAX, { message: `at most ${FAILURE_FEATURES_MAX} features` });
export type FailureFeatureWeights = z.infer<typeof failureFeaturesSchema>;

/**
 * What the analyzer found in a failed build (incidents of `repair` loops): the build, the lines
 * of its log that explain the failure, the category, the signature (the incident's fingerprint),
 * the change blamed, past failures like it, and the fixes proposed from the registry's metadata.
 */
export const buildFailureSchema = z
  .object({
    repository: nonEmpty,
    branch: nonEmpty,
    commit: nonEmpty,
    /** The branch of the last good build (the spec's baseBranch). */
    baseBranch: nonEmpty,
    pipeline: nonEmpty,
    job: nonEmpty,
    runId: z.string().optional(),
    url: z.string().optional(),
    pullRequest: z.object({ number: z.number().int().positive(), url: z.string().optional() }).strict().optional(),
    /** 1-based inclusive line ranges of the log. */
    reasonLines: z.array(z.tuple([nonNegativeInt, nonNegativeInt])).max(200),
    /** The text of the first reason lines. */
    reasonText: z.array(z.string().max(500)).max(40),
    category: nonEmpty,
    signature: nonEmpty,
    culprit: z
      .object({ name: nonEmpty, from: z.string().optional(), to: z.string().optional(), evidence: z.array(z.string()).max(10) })
      .strict()
      .optional(),
    /** Past failures with a similar log (the loop's own and the ledger's, any loop), most similar first. */
    similar: z.array(z.object({ incidentId: nonEmpty, signature: nonEmpty, score: probability }).strict()).max(10),
    /** The failure's features for the similar ones of later failures, in any loop (the learner stores them). */
    features: failureFeaturesSchema.optional(),
    fixes: z.array(fixCandidateSchema).max(10),
    /** Why there are no fixes, when there are none that change anything (no package.json, the registry did not answer, …). */
    notes: z.array(z.string()).max(10),
  })
  .strict();
export type BuildFailure = z.infer<typeof buildFailureSchema>;

/** The most a repair outcome keeps of one command's output, and of the fix's diff. */
export const REPAIR_OUTPUT_TAIL_MAX = 4_000;
export const REPAIR_DIFF_MAX = 20_000;

/**
 * How a repair loop's fix was validated, as the executor ran it (on the outcome): the repository,
 * the fix as a diff, the project's commands with their exit, duration and the end of their output,
 * and where the commit went. The verification checks say pass or fail; this is what people read
 * to see why, and where to fetch the fix.
 */
export const repairValidationSchema = z
  .object({
    /** The repository the fix was validated against and pushed to (a path or a URL without credentials). */
    remote: nonEmpty,
    /** The commit validated: the fix commit (absent when nothing could be committed). */
    commit: nonEmpty.optional(),
    /** Where the fix commit went; absent when nothing was pushed (it failed, or the loop only validates). */
    pushed: z.object({ branch: nonEmpty, commit: nonEmpty }).strict().optional(),
    /** The fix against the failed build's commit: `git diff --stat`, then the patch without lock files. */
    diff: z.string().max(REPAIR_DIFF_MAX).optional(),
    steps: z
      .array(
        z
          .object({
            command: nonEmpty,
            exitCode: z.number().int().nullable(),
            timedOut: z.boolean(),
            durationMs: nonNegativeInt,
            /** The last characters of stdout and stderr together. */
            outputTail: z.string().max(REPAIR_OUTPUT_TAIL_MAX),
          })
          .strict(),
      )
      .max(20),
  })
  .strict();
export type RepairValidation = z.infer<typeof repairValidationSchema>;

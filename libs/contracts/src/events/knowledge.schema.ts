import { z } from 'zod';
import { actionParams, nonEmpty, nonNegativeInt, timestamp } from './common.schema';

/**
 * What the learner knows about one action against one kind of failure. `loop.knowledge` is compacted
 * on `knowledgeKey(fingerprint, action)`, so the latest record per pair is the state.
 */
export const knowledgeUpdatedSchema = z
  .object({
    loop: nonEmpty,
    fingerprint: nonEmpty,
    action: nonEmpty,
    tries: nonNegativeInt,
    successes: nonNegativeInt,
    failures: nonNegativeInt,
    meanTimeToRecoverMs: z.number().nonnegative().nullable(),
    p50TimeToRecoverMs: z.number().nonnegative().nullable(),
    lastOutcomeAt: timestamp,
    /** Beta posterior of the success probability (prior included). */
    posterior: z.object({ alpha: z.number().positive(), beta: z.number().positive() }).strict(),
    /**
     * An optimize loop's regime → config memory: the params of the action's latest success against
     * this fingerprint (a traffic regime), so a returning regime goes straight to them.
     */
    params: actionParams.optional(),
  })
  .strict()
  .refine((k) => k.successes + k.failures <= k.tries, {
    message: 'successes + failures must not exceed tries',
    path: ['tries'],
  });
export type KnowledgeUpdated = z.infer<typeof knowledgeUpdatedSchema>;

export const knowledgeKey = (fingerprint: string, action: string): string => `${fingerprint}|${action}`;

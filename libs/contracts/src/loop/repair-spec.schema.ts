import { z } from 'zod';
import { nonEmpty } from '../events/common.schema';
import { DURATION_HINT, isDuration } from './duration';

/**
 * The `repair` section of a loop of kind `repair` (CI failures): how the project is validated and
 * where a validated fix goes. Which fix recipes the loop may use, their risk and autonomy, are the
 * loop's actions as for any kind; the budget, cooldown and approval are its guardrails.
 */
export const repairSpecSchema = z
  .object({
    /** The project's directory in the repository (`''`: its root). */
    projectDir: z.string().default(''),
    /** The project's own install and test commands (argument arrays), run in order in a fresh clone. */
    install: z.array(nonEmpty).min(1).default(['npm', 'ci', '--no-audit', '--no-fund']),
    test: z.array(nonEmpty).min(1).default(['npm', 'test']),
    /**
     * The branch the last good build ran on (the default branch): a revert restores the files as
     * they are there, and it is never pushed to.
     */
    baseBranch: nonEmpty.default('main'),
    /** More branches never pushed to: names or `prefix/*`. */
    protectedBranches: z.array(nonEmpty).default([]),
    /** A validated fix goes to the pull request's own branch, or to a branch next to it (`<fixBranchPrefix><branch>`). */
    pushTo: z.enum(['pr-branch', 'fix-branch']).default('fix-branch'),
    fixBranchPrefix: z
      .string()
      .regex(/^[\w./-]*$/, 'must be usable in a branch name')
      .default('homeostat/fix/'),
    /**
     * The npm registry the project installs from: its metadata ranks the fixes and the validation
     * installs from it. May name environment variables (`${NPM_REGISTRY:-https://registry.npmjs.org/}`).
     */
    registry: nonEmpty.default('https://registry.npmjs.org/'),
    /** Each validation command's own limit. */
    commandTimeout: z
      .string({ error: `must be ${DURATION_HINT}` })
      .refine(isDuration, { message: `must be ${DURATION_HINT}` })
      .default('5m'),
  })
  .strict();
export type RepairSpec = z.infer<typeof repairSpecSchema>;
export const DEFAULT_REPAIR_SPEC: RepairSpec = repairSpecSchema.parse({});

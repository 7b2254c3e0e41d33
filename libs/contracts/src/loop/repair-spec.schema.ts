import { z } from 'zod';
import { nonEmpty } from '../events/common.schema';
import { DURATION_HINT, isDuration } from './duration';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** An https URL, or http on this machine only: the forge's token is sent to it. */
const tokenSafeUrl = z.url().refine(
  (u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  },
  { message: 'must be https (http only on loopback): the token is sent to it' },
);

/**
 * The forge that holds the repository's pull requests, when it is not the repository itself (a
 * bare repository on disk keeps its comment and statuses in git: no section needed). GitHub: the
 * commit status, the one comment per pull request and the push to the fix branch all go to
 * `owner/repo`, with the token read from the environment variable `tokenEnv` (never from the spec).
 */
export const repairForgeSchema = z
  .object({
    kind: z.literal('github'),
    owner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'must be a GitHub user or organization name'),
    repo: z.string().regex(/^[\w.-]{1,100}$/, 'must be a GitHub repository name (letters, digits, ".", "_", "-")'),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
      .default('GITHUB_TOKEN'),
    /** The REST API (GitHub Enterprise Server: `https://<host>/api/v3`). */
    apiUrl: tokenSafeUrl.default('https://api.github.com'),
    /** Where git clones and pushes; default `https://github.com/<owner>/<repo>.git`. */
    gitUrl: tokenSafeUrl.optional(),
  })
  .strict();
export type RepairForge = z.infer<typeof repairForgeSchema>;

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
    /** Where the pull request lives; absent: the repository itself when it is a bare repository on disk. */
    forge: repairForgeSchema.optional(),
  })
  .strict();
export type RepairSpec = z.infer<typeof repairSpecSchema>;
export const DEFAULT_REPAIR_SPEC: RepairSpec = repairSpecSchema.parse({});

/**
 * The repair loop's acting step, free of git and processes: what a candidate change is, what
 * validating it reports, the environment its commands get, which branches it may push to, and the
 * loop that tries candidates in rank order within a budget. The VCS adapter that does it for real
 * implements `ChangeValidator` (services/executor/src/adapters/vcs).
 */

import { REPAIR_DIFF_MAX, REPAIR_OUTPUT_TAIL_MAX, type RepairValidation } from '@homeostat/contracts';

/** A change to a repository, as the executor applies it (the repair lib's FixCandidate is one). */
export interface CodeChange {
  readonly id: string;
  /** Whole new contents, paths relative to the repository's root. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly content: string }>;
  /** Commands (argument arrays) run in the project's directory after the edits, before the commit. */
  readonly regenerate: ReadonlyArray<readonly string[]>;
  /** The commit message; a change with no files and no commands makes no commit (a plain rerun). */
  readonly message: string;
}

export interface CommandRun {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** The last bytes of stdout and stderr together, as they came. */
  readonly outputTail: string;
}

export interface ValidationRun {
  readonly changeId: string;
  readonly passed: boolean;
  /** The commit validated: the fix commit, or the base itself for a change that commits nothing. */
  readonly commit?: string;
  /** Where the fix commit was pushed (only after it passed). */
  readonly pushed?: { readonly branch: string; readonly commit: string };
  /** The committed change against the base, for people to read (the adapter says what it holds). */
  readonly diff?: string;
  readonly steps: CommandRun[];
  readonly durationMs: number;
  /** Why it did not pass when no command said so (the edit could not be applied, the push was refused or failed). */
  readonly error?: string;
}

export interface ValidateOptions {
  /** Stop every command by then (epoch ms); whatever is left of the loop's budget. */
  readonly deadline: number;
}

/** Applies a change in an isolated work tree, runs the project's own commands, pushes on a pass. */
export interface ChangeValidator {
  /** Never rejects: a failure of any step is a run that did not pass, with its reason. */
  validate(change: CodeChange, options: ValidateOptions): Promise<ValidationRun>;
}

export interface ValidationBudget {
  /** At most this many candidates are tried. */
  readonly maxCandidates: number;
  /** Nothing new starts after this long, and commands are stopped when it runs out. */
  readonly maxTotalMs: number;
}

export interface ValidationReport {
  /** The runs, in the order tried. */
  readonly tried: ValidationRun[];
  /** The first run that passed. */
  readonly fixed?: ValidationRun;
  /** Why the loop stopped: a pass, the candidates ran out, or the budget did. */
  readonly stoppedBy: 'passed' | 'exhausted' | 'max-candidates' | 'time-budget';
}

/**
 * Tries the changes in the order given (best first) until one passes, the budget's count or time
 * runs out, or there are none left. What was tried and why it stopped go into the report, so an
 * escalation can say it.
 */
export async function validateCandidates(
  changes: readonly CodeChange[],
  validator: ChangeValidator,
  budget: ValidationBudget,
  now: () => number = Date.now,
): Promise<ValidationReport> {
  const deadline = now() + budget.maxTotalMs;
  const tried: ValidationRun[] = [];
  for (const change of changes) {
    if (tried.length >= budget.maxCandidates) return { tried, stoppedBy: 'max-candidates' };
    if (now() >= deadline) return { tried, stoppedBy: 'time-budget' };
    const run = await validator.validate(change, { deadline });
    tried.push(run);
    if (run.passed) return { tried, fixed: run, stoppedBy: 'passed' };
  }
  const outOfTime = tried.length > 0 && now() >= deadline;
  return { tried, stoppedBy: outOfTime ? 'time-budget' : 'exhausted' };
}

export interface PushPolicy {
  /** The repository's default branch (main, master, …): never pushed to. */
  readonly defaultBranch: string;
  /** More branches that are never pushed to (release branches, …): names or `prefix/*`. */
  readonly protectedBranches?: readonly string[];
}

/** Why a push to `branch` is refused, or undefined when it is allowed. */
export function pushRefusal(branch: string, policy: PushPolicy): string | undefined {
  const name = branch.replace(/^refs\/heads\//, '');
  if (!/^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[\w./-]+(?<![./])$/.test(name) || name.endsWith('.lock')) {
    return `'${branch}' is not a branch name git accepts`;
  }
  if (name === policy.defaultBranch) return `'${name}' is the repository's default branch: Homeostat never pushes to it`;
  for (const p of policy.protectedBranches ?? []) {
    if (p === name || (p.endsWith('/*') && name.startsWith(p.slice(0, -1))))
      return `'${name}' is protected (${p}): Homeostat never pushes to it`;
  }
  return undefined;
}

export interface ValidationEnvInput {
  /** The PATH the commands need (node, npm, git). */
  readonly path: string;
  /** A fresh directory of this run: HOME, so no user config, credentials or caches of the host are read. */
  readonly home: string;
  /** npm's cache directory (may be shared between runs: it holds only public package data). */
  readonly npmCache: string;
  /** Settings the project needs that are not secrets (the registry's URL), named one by one. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** Names an `extra` setting may not use: they would bring credentials or change what runs. */
const NEVER =
  /token|secret|password|passwd|auth|credential|^(?:npm_config_userconfig|npm_config_globalconfig|node_options|git_askpass|ssh_auth_sock|ld_preload)$/i;

/**
 * The whole environment of a validation's commands: an allow-list, nothing inherited. The project's
 * own scripts run here, so nothing of the executor's (tokens, cloud credentials, broker addresses)
 * may be in reach.
 */
export function validationEnv(input: ValidationEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: input.path,
    HOME: input.home,
    npm_config_cache: input.npmCache,
    npm_config_update_notifier: 'false',
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    CI: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  for (const [key, value] of Object.entries(input.extra ?? {})) {
    if (NEVER.test(key)) throw new Error(`the validation environment does not take '${key}': it may carry a secret or change what runs`);
    env[key] = value;
  }
  return env;
}

/**
 * A validation run as a repair outcome carries it: each command with the end of its output, the
 * diff cut to what the contract keeps (with a line that says so), and where the fix went.
 */
export function repairValidationOf(run: ValidationRun, remote: string): RepairValidation {
  const cut = '\n… (diff cut: see the commit)\n';
  const diff =
    run.diff === undefined || run.diff.length <= REPAIR_DIFF_MAX ? run.diff : run.diff.slice(0, REPAIR_DIFF_MAX - cut.length) + cut;
  return {
    remote,
    ...(run.commit ? { commit: run.commit } : {}),
    ...(run.pushed ? { pushed: { branch: run.pushed.branch, commit: run.pushed.commit } } : {}),
    ...(diff ? { diff } : {}),
    steps: run.steps.slice(0, 20).map((s) => ({
      command: s.argv.join(' ') || '(none)',
      exitCode: s.exitCode,
      timedOut: s.timedOut,
      durationMs: Math.max(0, Math.round(s.durationMs)),
      outputTail: s.outputTail.slice(-REPAIR_OUTPUT_TAIL_MAX),
    })),
  };
}

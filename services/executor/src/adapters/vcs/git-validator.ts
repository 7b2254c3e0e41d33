import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  findDecisionCommit,
  pushRefusal,
  validationEnv,
  type ChangeValidator,
  type CodeChange,
  type CommandRun,
  type PushPolicy,
  type RemoteFinding,
  type ValidateOptions,
  type ValidationRun,
} from '@homeostat/execution';
import { REPAIR_DIFF_MAX } from '@homeostat/contracts';
import { runCommand } from './run-command';

export interface GitValidatorOptions {
  /** The repository: a local path or a URL git can clone (never one with credentials in it). */
  readonly repository: string;
  /** The branch or commit the change goes on top of (the failed build's commit). */
  readonly base: string;
  /** The project's directory inside the repository (`''` for the root). */
  readonly projectDir?: string;
  /** The project's own install and test commands, run in order; the first that fails ends the run. */
  readonly commands: ReadonlyArray<readonly string[]>;
  /** Where a passing fix commit is pushed; none: validate only. Never the default or a protected branch. */
  readonly pushBranch?: string;
  /** The default branch is asked of the remote when not given. */
  readonly defaultBranch?: string;
  readonly protectedBranches?: readonly string[];
  readonly author?: { readonly name: string; readonly email: string };
  /** Each command's own limit; the loop's deadline cuts it shorter. */
  readonly commandTimeoutMs: number;
  /** Characters of output kept per command. */
  readonly maxOutput?: number;
  /** The commands' PATH (node, npm, git) and npm cache; `extra` for named non-secret settings. */
  readonly env: { readonly path: string; readonly npmCache: string; readonly extra?: Readonly<Record<string, string>> };
  /** Where the temporary work trees go. */
  readonly workRoot?: string;
  /**
   * More environment for git's network commands only (clone, ls-remote, push): a forge's
   * credentials (see gitAuthEnv). The project's commands never see it.
   */
  readonly gitEnv?: Readonly<Record<string, string>>;
}

const GIT_TIMEOUT_MS = 60_000;
/** How many of the push branch's latest commits a restart looks through for a decision's fix commit. */
const LOOKUP_DEPTH = 50;
const DEFAULT_AUTHOR = { name: 'Homeostat', email: 'homeostat@localhost' };
/** A patch longer than this is not put on a forge (a lock file rewritten whole): the fix branch is the way then. */
const MAX_PATCH_CHARS = 4 * 1024 * 1024;

export class GitValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitValidationError';
  }
}

/** A path a change may write: inside the repository, not in .git. */
function safePath(root: string, file: string): string {
  if (file === '' || path.isAbsolute(file) || file.split(/[\\/]/).some((s) => s === '..' || s === '.git')) {
    throw new GitValidationError(`the change writes '${file}', outside the work tree or into .git`);
  }
  return path.join(root, file);
}

/**
 * The executor's VCS adapter for the repair loop: each change is validated in its own fresh clone
 * of the repository (isolated from every other run and from the repository itself), committed
 * there, checked with the project's own commands in an environment without secrets, pushed to the
 * fix branch only when they pass, and the clone is removed whatever happened.
 */
export class GitValidator implements ChangeValidator {
  private constructor(
    private readonly options: GitValidatorOptions,
    private readonly policy: PushPolicy,
  ) {}

  /** Checks the push target first: a default or protected branch is refused before anything runs. */
  static async open(options: GitValidatorOptions): Promise<GitValidator> {
    if (/^[a-z][\w+.-]*:\/\/[^/]*@/i.test(options.repository)) {
      throw new GitValidationError('the repository URL carries credentials: give them to git another way, never in the URL');
    }
    if (options.commands.length === 0)
      throw new GitValidationError('no validation command given: a change cannot be validated without one');
    const defaultBranch = options.defaultBranch ?? (await remoteDefaultBranch(options));
    const policy: PushPolicy = { defaultBranch, protectedBranches: options.protectedBranches ?? [] };
    if (options.pushBranch !== undefined) {
      const refusal = pushRefusal(options.pushBranch, policy);
      if (refusal !== undefined) throw new GitValidationError(`push refused: ${refusal}`);
    }
    return new GitValidator(options, policy);
  }

  /**
   * The decision's fix commit on the push branch of the remote, found by its trailer (see
   * withDecisionTrailer) among the branch's latest commits; `pushed: undefined` when the branch
   * or the commit is not there. Rejects when the remote cannot be read: then whether the fix was
   * pushed is unknown, and it must not be pushed again on a guess.
   */
  async pushedFor(decisionId: string): Promise<RemoteFinding> {
    const o = this.options;
    if (o.pushBranch === undefined) return { pushed: undefined };
    const branch = o.pushBranch.replace(/^refs\/heads\//, '');
    const tmp = await fs.mkdtemp(path.join(o.workRoot ?? os.tmpdir(), 'homeostat-lookup-'));
    try {
      const env = { ...validationEnv({ path: o.env.path, home: tmp, npmCache: o.env.npmCache }), ...o.gitEnv };
      const probe = path.join(tmp, 'probe.git');
      const git = async (args: string[], what: string, maxOutput = 4_000): Promise<string> => {
        const run = await runCommand(['git', ...args], { cwd: tmp, env, timeoutMs: GIT_TIMEOUT_MS, maxOutput });
        if (run.exitCode !== 0) throw new GitValidationError(`${what} failed: ${run.outputTail.trim() || `exit ${run.exitCode}`}`);
        return run.outputTail;
      };
      const heads = await runCommand(['git', 'ls-remote', '--exit-code', '--heads', '--', o.repository, `refs/heads/${branch}`], {
        cwd: tmp,
        env,
        timeoutMs: GIT_TIMEOUT_MS,
        maxOutput: 4_000,
      });
      // --exit-code: 2 is "no such branch" (nothing pushed yet), anything else but 0 is the remote failing.
      if (heads.exitCode === 2) return { pushed: undefined };
      if (heads.exitCode !== 0)
        throw new GitValidationError(`git ls-remote ${o.repository} failed: ${heads.outputTail.trim() || `exit ${heads.exitCode}`}`);
      await git(['init', '--quiet', '--bare', probe], 'git init');
      // Only the branch's latest commits: a fix commit is at or near its tip.
      await git(
        ['--git-dir', probe, 'fetch', '--quiet', '--no-tags', `--depth=${LOOKUP_DEPTH}`, '--', o.repository, `refs/heads/${branch}`],
        `git fetch ${branch}`,
      );
      const log = await git(
        ['--git-dir', probe, 'log', `--max-count=${LOOKUP_DEPTH}`, '--format=%H%x00%B%x1e', 'FETCH_HEAD'],
        'git log',
        LOOKUP_DEPTH * 8_000,
      );
      const commits = log
        .split('\x1e')
        .map((entry) => entry.replace(/^\n/, ''))
        .filter((entry) => entry.includes('\0'))
        .map((entry) => {
          const [commit, message] = entry.split('\0') as [string, string];
          return { commit, message };
        });
      const found = findDecisionCommit(commits, decisionId);
      return found === undefined ? { pushed: undefined } : { pushed: { branch, commit: found.commit } };
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  async validate(change: CodeChange, options: ValidateOptions): Promise<ValidationRun> {
    return this.run(change, options, 'validate');
  }

  /**
   * The change as a patch a person applies with `git am` (its commit, the regenerated files
   * included), made in a fresh clone as a validation makes it, and the project's commands run on
   * that commit, so the person asked to approve it knows whether it passes; nothing is pushed. The
   * run's `patch` holds the patch when it could be made, `passed` whether the commands passed.
   */
  async patch(change: CodeChange, options: ValidateOptions): Promise<ValidationRun & { patch?: string }> {
    return this.run(change, options, 'patch');
  }

  private async run(
    change: CodeChange,
    { deadline }: ValidateOptions,
    what: 'validate' | 'patch',
  ): Promise<ValidationRun & { patch?: string }> {
    const started = Date.now();
    const o = this.options;
    const tmp = await fs.mkdtemp(path.join(o.workRoot ?? os.tmpdir(), 'homeostat-validate-'));
    const steps: CommandRun[] = [];
    let diff: string | undefined;
    let patch: string | undefined;
    const result = (passed: boolean, extra: Partial<ValidationRun>): ValidationRun & { patch?: string } => ({
      changeId: change.id,
      passed,
      steps,
      durationMs: Date.now() - started,
      ...(diff ? { diff } : {}),
      ...(patch !== undefined ? { patch } : {}),
      ...extra,
    });
    try {
      const home = path.join(tmp, 'home');
      await fs.mkdir(home);
      const env = validationEnv({ path: o.env.path, home, npmCache: o.env.npmCache, ...(o.env.extra ? { extra: o.env.extra } : {}) });
      const repo = path.join(tmp, 'repo');
      const networkEnv = { ...env, ...o.gitEnv };
      const git = (args: string[], cwd = repo, maxOutput = 4_000, network = false): Promise<CommandRun> =>
        runCommand(['git', ...args], {
          cwd,
          env: network ? networkEnv : env,
          timeoutMs: Math.min(GIT_TIMEOUT_MS, deadline - Date.now()),
          maxOutput,
        });
      const ok = async (args: string[], what: string, cwd?: string, network = false): Promise<string> => {
        const run = await git(args, cwd, 4_000, network);
        if (run.exitCode !== 0) throw new GitValidationError(`${what} failed: ${run.outputTail.trim() || `exit ${run.exitCode}`}`);
        return run.outputTail.trim();
      };

      await ok(['clone', '--quiet', '--no-tags', '--', o.repository, repo], `git clone ${o.repository}`, tmp, true);
      // A branch of the remote is origin/<branch> in the clone; anything else (a commit) as given.
      const remoteBranch = await git(['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${o.base}^{commit}`]);
      const base = remoteBranch.exitCode === 0 ? remoteBranch.outputTail.trim() : o.base;
      await ok(['checkout', '--quiet', '--detach', base], `git checkout ${o.base}`);
      const baseCommit = await ok(['rev-parse', 'HEAD'], 'git rev-parse');
      const projectDir = safeProjectDir(repo, o.projectDir ?? '');

      const realRepo = await fs.realpath(repo);
      for (const file of change.files) {
        const target = safePath(repo, file.path);
        await fs.mkdir(path.dirname(target), { recursive: true });
        // A symbolic link in the repository must not take a write outside it.
        const dir = await fs.realpath(path.dirname(target));
        if (dir !== realRepo && !dir.startsWith(realRepo + path.sep)) {
          throw new GitValidationError(`the change writes '${file.path}' through a link that leads outside the work tree`);
        }
        await fs.rm(target, { force: true });
        await fs.writeFile(target, file.content);
      }
      const limits = { cwd: projectDir, env, maxOutput: o.maxOutput ?? 16_000 };
      for (const argv of change.regenerate) {
        const run = await runCommand(argv, { ...limits, timeoutMs: Math.min(o.commandTimeoutMs, deadline - Date.now()) });
        steps.push(run);
        if (run.exitCode !== 0) return result(false, { commit: baseCommit, error: `${argv.join(' ')} did not succeed` });
      }

      let commit = baseCommit;
      const changes = change.files.length > 0 || change.regenerate.length > 0;
      if (changes) {
        if ((await ok(['status', '--porcelain'], 'git status')) === '') {
          return result(false, { commit: baseCommit, error: 'the change leaves the repository as it was: nothing to commit' });
        }
        const author = o.author ?? DEFAULT_AUTHOR;
        await ok(['add', '--all'], 'git add');
        await ok(
          [
            '-c',
            `user.name=${author.name}`,
            '-c',
            `user.email=${author.email}`,
            '-c',
            'commit.gpgsign=false',
            'commit',
            '--quiet',
            '--no-verify',
            '-m',
            change.message,
          ],
          'git commit',
        );
        commit = await ok(['rev-parse', 'HEAD'], 'git rev-parse');
        diff = await changeDiff((args) => git(args, repo, REPAIR_DIFF_MAX), baseCommit);
      }
      if (what === 'patch') {
        if (!changes) return result(false, { commit, error: 'the change changes no file: there is no patch' });
        const formatted = await runCommand(['git', 'format-patch', '-1', '--stdout', commit], {
          cwd: repo,
          env,
          timeoutMs: Math.min(GIT_TIMEOUT_MS, deadline - Date.now()),
          maxOutput: MAX_PATCH_CHARS + 1,
        });
        if (formatted.exitCode !== 0) throw new GitValidationError(`git format-patch failed: ${formatted.outputTail.trim()}`);
        if (formatted.outputTail.length > MAX_PATCH_CHARS)
          return result(false, { commit, error: `the patch is more than ${MAX_PATCH_CHARS} characters` });
        patch = formatted.outputTail;
      }

      for (const argv of o.commands) {
        const run = await runCommand(argv, { ...limits, timeoutMs: Math.min(o.commandTimeoutMs, deadline - Date.now()) });
        steps.push(run);
        if (run.exitCode !== 0) {
          return result(false, { commit, error: run.timedOut ? `${argv.join(' ')} ran out of time` : `${argv.join(' ')} failed` });
        }
      }

      if (what === 'patch' || o.pushBranch === undefined || !changes) return result(true, { commit });
      // Checked again at the push itself: a policy is never bypassed by the path that got here.
      const refusal = pushRefusal(o.pushBranch, this.policy);
      if (refusal !== undefined) return result(false, { commit, error: `push refused: ${refusal}` });
      const branch = o.pushBranch.replace(/^refs\/heads\//, '');
      await ok(['push', '--quiet', '--no-verify', o.repository, `HEAD:refs/heads/${branch}`], `git push to ${branch}`, repo, true);
      return result(true, { commit, pushed: { branch, commit } });
    } catch (error) {
      return result(false, { error: error instanceof Error ? error.message : String(error) });
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }
}

/** Lock files change with every fix that moves a version: the stat names them, the patch leaves them out. */
const LOCK_FILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml'];

/** The fix commit against the base, for people: `--stat` of every file, then the patch without lock files. */
async function changeDiff(git: (args: string[]) => Promise<CommandRun>, base: string): Promise<string | undefined> {
  const stat = await git(['diff', '--no-color', '--stat', base, 'HEAD']);
  const patch = await git(['diff', '--no-color', base, 'HEAD', '--', '.', ...LOCK_FILES.map((f) => `:(exclude,glob)**/${f}`)]);
  if (stat.exitCode !== 0 || patch.exitCode !== 0) return undefined;
  return `${stat.outputTail.trimEnd()}\n\n${patch.outputTail}`;
}

function safeProjectDir(repo: string, dir: string): string {
  return dir === '' || dir === '.' ? repo : safePath(repo, dir);
}

/** The remote's default branch, from the symbolic ref its HEAD points to. */
async function remoteDefaultBranch(options: GitValidatorOptions): Promise<string> {
  const home = await fs.mkdtemp(path.join(options.workRoot ?? os.tmpdir(), 'homeostat-ls-remote-'));
  try {
    const env = validationEnv({ path: options.env.path, home, npmCache: options.env.npmCache });
    const run = await runCommand(['git', 'ls-remote', '--symref', '--', options.repository, 'HEAD'], {
      cwd: home,
      env: { ...env, ...options.gitEnv },
      timeoutMs: GIT_TIMEOUT_MS,
      maxOutput: 4_000,
    });
    const branch = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(run.outputTail)?.[1];
    if (run.exitCode !== 0 || branch === undefined) {
      throw new GitValidationError(
        `the default branch of ${options.repository} could not be read: ${run.outputTail.trim() || `exit ${run.exitCode}`}`,
      );
    }
    return branch;
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}

import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand } from './run-command';

const GIT_TIMEOUT_MS = 30_000;
const AUTHOR = {
  GIT_AUTHOR_NAME: 'Homeostat',
  GIT_AUTHOR_EMAIL: 'homeostat@localhost',
  GIT_COMMITTER_NAME: 'Homeostat',
  GIT_COMMITTER_EMAIL: 'homeostat@localhost',
};

/** Where the local forge keeps a pull request's comment: one ref per branch, moved forward at each update. */
export const commentRef = (branch: string): string => `refs/homeostat/pr/${branch}`;
/** Commit statuses, one note per commit. */
export const STATUS_NOTES_REF = 'refs/notes/homeostat-status';

export interface ForgeStatus {
  readonly state: 'pending' | 'success' | 'failure';
  readonly description: string;
  readonly decisionId: string;
}

/**
 * The forge of a plain git repository on disk (a bare repository, the demo's and the tests'
 * remote): a pull request is a branch; its one Homeostat comment is the file `comment.md` on
 * `refs/homeostat/pr/<branch>`, rewritten at each update as a new commit on that ref (so the
 * comment is always the ref's latest and its history is the ref's log); a commit's status is a
 * git note under `refs/notes/homeostat-status`. Anyone reads them with
 * `git show refs/homeostat/pr/<branch>:comment.md` and `git notes --ref=homeostat-status show <commit>`.
 */
export class LocalGitForge {
  private constructor(
    private readonly gitDir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** The forge of `repository` when it is a bare repository on this disk; undefined otherwise (a URL: no forge here). */
  static async of(repository: string, pathEnv: string): Promise<LocalGitForge | undefined> {
    if (/^[a-z][\w+.-]*:/i.test(repository) && !repository.startsWith('file://')) return undefined;
    const dir = repository.replace(/^file:\/\//, '');
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) return undefined;
    const env = { PATH: pathEnv, HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LANG: 'C.UTF-8', ...AUTHOR };
    const bare = await runCommand(['git', '--git-dir', dir, 'rev-parse', '--is-bare-repository'], {
      cwd: dir,
      env,
      timeoutMs: GIT_TIMEOUT_MS,
      maxOutput: 1_000,
    });
    return bare.exitCode === 0 && bare.outputTail.trim() === 'true' ? new LocalGitForge(path.resolve(dir), env) : undefined;
  }

  /** One git command on the repository; `input` goes to its stdin. Rejects with git's message. */
  private git(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['--git-dir', this.gitDir, ...args], {
        env: this.env,
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        timeout: GIT_TIMEOUT_MS,
      });
      let out = '';
      let err = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(out.trim()) : reject(new Error(`git ${args[0]} failed: ${err.trim() || `exit ${code}`}`)),
      );
      if (input !== undefined && child.stdin) {
        // A git that exits early (a bad argument) closes its stdin: that shows as its exit status, not as an error here.
        child.stdin.on('error', () => undefined);
        child.stdin.end(input);
      }
    });
  }

  /** The comment as it is now, and the state kept with it; undefined before the first. */
  async readComment(branch: string): Promise<{ body: string; state: Record<string, unknown> } | undefined> {
    const ref = commentRef(branch);
    const tip = await this.git(['rev-parse', '--verify', '--quiet', ref]).catch(() => '');
    if (tip === '') return undefined;
    const body = await this.git(['show', `${tip}:comment.md`]);
    const state = JSON.parse(await this.git(['show', `${tip}:state.json`])) as Record<string, unknown>;
    return { body, state };
  }

  /** Replaces the branch's comment, with files beside it (a patch); a new commit on its ref that moves only from the tip read, else it retries. */
  async writeComment(
    branch: string,
    body: string,
    state: Record<string, unknown>,
    summary: string,
    attachments: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    const ref = commentRef(branch);
    for (let attempt = 1; ; attempt++) {
      const parent = await this.git(['rev-parse', '--verify', '--quiet', ref]).catch(() => '');
      const comment = await this.git(['hash-object', '-w', '--stdin'], body);
      const stateBlob = await this.git(['hash-object', '-w', '--stdin'], JSON.stringify(state, null, 2) + '\n');
      let entries = `100644 blob ${comment}\tcomment.md\n100644 blob ${stateBlob}\tstate.json\n`;
      for (const [name, content] of Object.entries(attachments)) {
        if (!/^[\w.-]+$/.test(name)) throw new Error(`an attachment named '${name}': only a plain file name is allowed`);
        entries += `100644 blob ${await this.git(['hash-object', '-w', '--stdin'], content)}\t${name}\n`;
      }
      const tree = await this.git(['mktree'], entries);
      const commit = await this.git(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', summary]);
      try {
        await this.git(['update-ref', ref, commit, parent || '0'.repeat(40)]);
        return commit;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  /** Sets a commit's status (a note, replaced at each update). */
  async setStatus(commit: string, status: ForgeStatus): Promise<void> {
    await this.git([
      'notes',
      `--ref=${STATUS_NOTES_REF}`,
      'add',
      '--force',
      '-m',
      JSON.stringify({ context: 'homeostat/repair', ...status }),
      commit,
    ]);
  }
}

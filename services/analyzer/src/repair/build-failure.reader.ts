import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_REPAIR_SPEC, type BuildReported, type IncidentOpened, type LoopSpec, type RepairSpec } from '@homeostat/contracts';
import {
  blamedChangeOf,
  boundedFeatures,
  gitAuthEnv,
  isGithubRepository,
  buildFailureOf,
  buildFailureTitle,
  fitFailure,
  HttpPackageRegistry,
  RegistryError,
  substituteEnv,
  triageLog,
  wholeLogRanges,
  type Packument,
  type PastFailure,
  type ProjectFiles,
  type SimilarPastFailure,
} from '@homeostat/repair';

const exec = promisify(execFile);
const GIT_TIMEOUT_MS = 60_000;

/**
 * The analyzer's reading for a repair loop: a failed build's log through the repair lib's triage,
 * the project's files at the failed commit and on the base branch (a shallow fetch of the
 * repository into a temporary bare repository; from the loop's GitHub forge with its token in
 * git's environment only, when the loop names one), the blamed package's metadata from the
 * registry, and the fixes proposed from them — an incident of the repair loop.
 */
export class BuildFailureReader {
  private npmVersion: Promise<string | undefined> | undefined;

  constructor(private readonly env: Readonly<Record<string, string | undefined>> = process.env) {}

  /**
   * The incident, and the failure's features for the similar ones of later failures (`past`: the
   * loop's, most recent first; `stored`: the ledger's, any loop, or none when the learner cannot say).
   */
  async read(
    build: BuildReported,
    loop: LoopSpec,
    incidentId: string,
    now: Date,
    past: readonly PastFailure[],
    stored: (features: Record<string, number>) => Promise<readonly SimilarPastFailure[]> = () => Promise.resolve([]),
  ): Promise<{ incident: IncidentOpened; features: Record<string, number> }> {
    const spec = loop.spec.repair ?? DEFAULT_REPAIR_SPEC;
    const diagnosis = triageLog(build.log ?? '');
    const similarStored = stored(boundedFeatures(diagnosis.features));
    const notes: string[] = [];
    if (build.log === undefined || build.log === '') notes.push('the build came without a log: nothing to diagnose it from');
    const { files, previous } = await this.projectFiles(build, spec).catch((error: unknown) => {
      notes.push(`the repository could not be read: ${error instanceof Error ? error.message : String(error)}`);
      return { files: {}, previous: {} };
    });
    const blamed = blamedChangeOf({ diagnosis, files, previous });
    let packument: Packument | undefined;
    if (blamed !== undefined) {
      const url = substituteEnv(spec.registry, this.env);
      try {
        packument = await new HttpPackageRegistry({ url, fetch }).packument(blamed.name);
      } catch (error) {
        if (!(error instanceof RegistryError)) throw error;
        notes.push(`the registry's metadata for ${blamed.name} could not be read: ${error.message}`);
      }
    }
    const npm = await (this.npmVersion ??= exec('npm', ['--version'], { timeout: 30_000 }).then(
      (r) => r.stdout.trim(),
      () => undefined,
    ));
    const excerpt = build.logExcerpt;
    if (excerpt !== undefined) {
      notes.push(
        `the log was ${excerpt.lines} lines; the collector kept ${keptLines(excerpt.kept)} of them (the reason lines, the head and the tail)`,
      );
    }
    const read = buildFailureOf({
      build,
      baseBranch: spec.baseBranch,
      diagnosis,
      files,
      previous,
      projectDir: spec.projectDir,
      ...(packument ? { packument } : {}),
      runtime: { node: process.versions.node, ...(npm ? { npm } : {}) },
      past,
      stored: await similarStored,
      notes,
    });
    // Line numbers of the log as the user has it, not of the excerpt that came on the bus.
    const failure = fitFailure(
      excerpt !== undefined ? { ...read, reasonLines: wholeLogRanges(read.reasonLines, excerpt.kept).slice(0, 200) } : read,
    );
    const incident: IncidentOpened = {
      incidentId,
      loop: loop.metadata.name,
      target: build.repository,
      fingerprint: failure.signature,
      severity: 'medium',
      title: buildFailureTitle(failure),
      openedAt: now.toISOString(),
      evidence: {
        series: [],
        logTemplates: diagnosis.templates.slice(0, 20).map((template, i) => ({ templateId: `build-${i + 1}`, template, count: 1 })),
        failingSpans: [],
      },
      buildFailure: failure,
    };
    return { incident, features: failure.features ?? diagnosis.features };
  }

  /**
   * Where the repository is fetched from: the build's repository as given, or, when the loop names
   * a GitHub forge, its git URL with the token (from the variable the forge names) for git alone.
   */
  private sourceOf(build: BuildReported, spec: RepairSpec): { url: string; gitEnv?: Record<string, string> } {
    const forge = spec.forge;
    if (forge?.kind !== 'github') return { url: build.repository };
    if (!isGithubRepository(build.repository, forge)) {
      throw new Error(`the build is of ${build.repository}, not of the loop's GitHub repository ${forge.owner}/${forge.repo}`);
    }
    const url = forge.gitUrl ?? `https://github.com/${forge.owner}/${forge.repo}.git`;
    const token = this.env[forge.tokenEnv];
    // Without a token a public repository still reads.
    return token ? { url, gitEnv: gitAuthEnv(url, token) } : { url };
  }

  /** package.json, the lock file and .nvmrc at the failed commit and on the base branch. */
  private async projectFiles(build: BuildReported, spec: RepairSpec): Promise<{ files: ProjectFiles; previous: ProjectFiles }> {
    const { baseBranch, projectDir } = spec;
    if (/^[a-z][\w+.-]*:\/\/[^/]*@/i.test(build.repository)) throw new Error('the repository URL carries credentials: refused');
    const source = this.sourceOf(build, spec);
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'homeostat-analyze-'));
    // No user or system git config, no prompts: the repository is read as anyone would, or with the forge's token alone.
    const env = {
      PATH: this.env['PATH'] ?? '',
      HOME: tmp,
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      LANG: 'C.UTF-8',
      ...source.gitEnv,
    };
    const git = async (...args: string[]): Promise<string> =>
      (await exec('git', ['--git-dir', path.join(tmp, 'repo.git'), ...args], { env, timeout: GIT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }))
        .stdout;
    try {
      await exec('git', ['init', '--quiet', '--bare', path.join(tmp, 'repo.git')], { env, timeout: GIT_TIMEOUT_MS });
      const refs = [`+refs/heads/${baseBranch}:refs/heads/base`];
      if (build.branch !== undefined) refs.push(`+refs/heads/${build.branch}:refs/heads/build`);
      await git('fetch', '--quiet', '--no-tags', '--depth=50', '--', source.url, ...refs);
      const at = (await git('cat-file', '-t', build.commit).catch(() => '')).trim() === 'commit' ? build.commit : 'refs/heads/build';
      const show = (ref: string, file: string): Promise<string | undefined> =>
        git('show', `${ref}:${projectDir ? `${projectDir.replace(/\/+$/, '')}/` : ''}${file}`).catch(() => undefined);
      const read = async (ref: string): Promise<ProjectFiles> => {
        const [packageJson, lockfile, nvmrc] = await Promise.all([
          show(ref, 'package.json'),
          show(ref, 'package-lock.json'),
          show(ref, '.nvmrc'),
        ]);
        return {
          ...(packageJson !== undefined ? { packageJson } : {}),
          ...(lockfile !== undefined ? { lockfile } : {}),
          ...(nvmrc !== undefined ? { nvmrc } : {}),
        };
      };
      // The base's commit too: a revert restores the lock file from it rather than carrying it (proposeFixes).
      const baseCommit = (await git('rev-parse', '--verify', 'refs/heads/base^{commit}')).trim();
      return { files: await read(at), previous: { ...(await read('refs/heads/base')), commit: baseCommit } };
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }
}

const keptLines = (kept: ReadonlyArray<readonly [number, number]>): number => kept.reduce((n, [a, b]) => n + b - a + 1, 0);

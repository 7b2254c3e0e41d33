/**
 * The repair loop's act step on real things: a real npm registry on loopback (Verdaccio) with the
 * demo's connector packages, a real bare git remote holding examples/connector-app, a real
 * dependency update that breaks the real install, triage of the real output, fixes proposed from
 * the registry's real metadata, each validated with the project's own commands in a fresh clone,
 * and the passing fix pushed to the update's branch — then checked again from another clone.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { validateCandidates, type ValidationRun } from '@homeostat/execution';
import { parseLoopSpec, type DecisionMade } from '@homeostat/contracts';
import { sampleDecisionMade } from '@homeostat/contracts/testing';
import { GitRepairActuator, GitValidator, type GitValidatorOptions } from '@homeostat/executor';
import { startLocalRegistry, type LocalRegistry } from '@homeostat/local-registry';
import {
  HttpPackageRegistry,
  lockedVersion,
  proposeFixes,
  RegistryError,
  triageLog,
  versionsInLog,
  type FixCandidate,
} from '@homeostat/repair';

const exec = promisify(execFile);
const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'connector-app');
const PR_BRANCH = 'deps/acme-connector-2.0.0';
const INSTALL = ['npm', 'ci', '--no-audit', '--no-fund'];
const TEST = ['npm', 'test'];

let root: string;
let registry: LocalRegistry;
let remote: string;
let npmCache: string;
let baseEnv: Record<string, string>;

async function sh(cwd: string, argv: string[], env: Record<string, string> = baseEnv): Promise<string> {
  const [file, ...args] = argv;
  const { stdout } = await exec(file as string, args, { cwd, env });
  return stdout.trim();
}

const git = (cwd: string, ...args: string[]): Promise<string> =>
  sh(cwd, ['git', '-c', 'user.name=Dependency Bot', '-c', 'user.email=bot@localhost', ...args]);

function validatorOptions(overrides: Partial<GitValidatorOptions> = {}): GitValidatorOptions {
  return {
    repository: remote,
    base: PR_BRANCH,
    commands: [INSTALL, TEST],
    pushBranch: PR_BRANCH,
    commandTimeoutMs: 60_000,
    env: { path: process.env['PATH'] ?? '', npmCache, extra: { npm_config_registry: registry.url } },
    workRoot: root,
    ...overrides,
  };
}

beforeAll(async () => {
  const t0 = Date.now();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-repair-'));
  npmCache = path.join(root, 'npm-cache');
  baseEnv = { PATH: process.env['PATH'] ?? '', HOME: root, npm_config_cache: npmCache, npm_config_registry: '', TZ: 'UTC' };
  registry = await startLocalRegistry({ dir: path.join(root, 'registry') });
  baseEnv['npm_config_registry'] = registry.url;
  // The connector's releases, in the order they came out: the project locked 1.4.2 before 1.5.0 and 2.0.0 existed.
  for (const v of ['1.4.0', '1.4.2']) await registry.publish(path.join(EXAMPLE, 'packages', `connector-${v}`));

  remote = path.join(root, 'remote.git');
  await sh(root, ['git', 'init', '--quiet', '--bare', '--initial-branch=main', remote]);
  const work = path.join(root, 'work');
  fs.cpSync(path.join(EXAMPLE, 'app'), work, { recursive: true });
  await sh(work, ['git', 'init', '--quiet', '--initial-branch=main']);
  await sh(work, ['npm', 'install', '--no-audit', '--no-fund']);
  await git(work, 'add', '--all');
  await git(work, 'commit', '--quiet', '-m', 'connector-app: read the database settings through @acme/connector');
  await git(work, 'push', '--quiet', remote, 'main');

  for (const v of ['1.5.0', '2.0.0']) await registry.publish(path.join(EXAMPLE, 'packages', `connector-${v}`));
  // The update bot's pull request: package.json and the lock file moved to 2.0.0, as a bot does it
  // (it resolves the lock without installing, so nothing stops it at the engine check).
  await git(work, 'checkout', '--quiet', '-b', PR_BRANCH);
  const pkg = JSON.parse(fs.readFileSync(path.join(work, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  pkg.dependencies['@acme/connector'] = '^2.0.0';
  fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  await sh(work, ['npm', 'install', '--package-lock-only', '--no-engine-strict', '--no-audit', '--no-fund']);
  await git(work, 'commit', '--quiet', '-am', 'chore(deps): bump @acme/connector from 1.4.2 to 2.0.0');
  await git(work, 'push', '--quiet', remote, PR_BRANCH);
  process.stderr.write(`[repair] setup (registry, 4 publishes, remote, update) ${Date.now() - t0} ms\n`);
}, 90_000);

afterAll(async () => {
  await registry?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const revertOf = (fixes: FixCandidate[]): FixCandidate => fixes.find((c) => c.id.startsWith('revert-update:'))!;

describe('the repair loop on a real repository, registry, install and tests', () => {
  let failedRun: ValidationRun;
  let candidates: FixCandidate[];

  it('the update fails for real: npm ci refuses @acme/connector@2.0.0 on this Node (engine-strict)', async () => {
    const validator = await GitValidator.open(validatorOptions({ pushBranch: undefined }));
    // The CI run of the pull request: the commit as it is, nothing changed.
    failedRun = await validator.validate({ id: 'ci', files: [], regenerate: [], message: '' }, { deadline: Date.now() + 60_000 });
    expect(failedRun.error).toMatch(/npm ci .* failed/);
    expect(failedRun.passed).toBe(false);
    expect(failedRun.steps).toHaveLength(1);
    expect(failedRun.steps[0]?.exitCode).not.toBe(0);
    expect(failedRun.steps[0]?.outputTail).toMatch(/EBADENGINE/);
  });

  it('triage names the connector from the real output, the registry gives its metadata, and fixes are proposed', async () => {
    const log = failedRun.steps.map((s) => `$ ${s.argv.join(' ')}\n${s.outputTail}`).join('\n');
    const diagnosis = triageLog(log);
    expect(diagnosis.category).toBe('toolchain');
    expect(diagnosis.culprits[0]?.name).toBe('@acme/connector');
    const name = diagnosis.culprits[0]!.name;

    const show = (ref: string, file: string): Promise<string> => sh(root, ['git', '--git-dir', remote, 'show', `${ref}:${file}`]);
    const [packageJson, lockfile, previousPackageJson, previousLockfile] = await Promise.all([
      show(PR_BRANCH, 'package.json'),
      show(PR_BRANCH, 'package-lock.json'),
      show('main', 'package.json'),
      show('main', 'package-lock.json'),
    ]);
    const change = { name, from: lockedVersion(previousLockfile, name)!, to: versionsInLog(log, name).pop()! };
    expect(change).toEqual({ name: '@acme/connector', from: '1.4.2', to: '2.0.0' });

    const packument = await new HttpPackageRegistry({ url: registry.url, fetch }).packument(name);
    expect(Object.keys(packument.versions).sort()).toEqual(['1.4.0', '1.4.2', '1.5.0', '2.0.0']);
    expect(packument.versions['2.0.0']?.engines).toEqual({ node: '>=22.0.0' });

    candidates = proposeFixes({
      category: diagnosis.category,
      signature: diagnosis.signature,
      change,
      project: {
        dir: '',
        // git show drops the final newline; the files as committed end with one.
        packageJson: packageJson + '\n',
        lockfile: lockfile + '\n',
        // With the last good commit, the revert restores the lock file from it in the work tree (git checkout).
        previous: {
          packageJson: previousPackageJson + '\n',
          lockfile: previousLockfile + '\n',
          commit: await sh(root, ['git', '--git-dir', remote, 'rev-parse', 'main']),
        },
      },
      packument,
      runtime: { node: process.versions.node, npm: await sh(root, ['npm', '--version']) },
    });
    expect(candidates.map((c) => c.id)).toEqual([
      'move-dependency:@acme/connector@1.5.0',
      'revert-update:@acme/connector@1.4.2',
      'adjust-runtime:node@>=22.0.0',
      'retry',
    ]);
    expect(candidates[0]?.explanation.join(' ')).toMatch(/2\.0\.0 needs Node >=22\.0\.0/);
  });

  it('propose: while the fix waits for approval, the PR’s comment carries its patch and the one command that applies it; nothing is pushed', async () => {
    const before = await sh(root, ['git', '--git-dir', remote, 'rev-parse', PR_BRANCH]);
    const parsed = parseLoopSpec(fs.readFileSync(path.join(EXAMPLE, 'loops', 'connector-app-repair.yaml'), 'utf8'));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const revert = revertOf(candidates);
    const decision: DecisionMade = {
      ...sampleDecisionMade(),
      decisionId: 'proposed-1',
      loop: parsed.spec.metadata.name,
      mode: 'approval-required',
      action: {
        name: 'revert-update',
        adapter: 'ci',
        params: {
          fix: {
            id: revert.id,
            title: revert.title,
            files: revert.files.map((f) => ({ path: f.path, content: f.content })),
            regenerate: revert.regenerate,
            message: revert.message,
          },
          repository: remote,
          branch: PR_BRANCH,
          commit: before,
        },
      },
    };
    const actuator = new GitRepairActuator({
      npmCache,
      workRoot: root,
      env: { PATH: process.env['PATH'] ?? '', HOMEOSTAT_NPM_REGISTRY: registry.url },
    });
    const where = await actuator.propose(decision as DecisionMade & { action: NonNullable<DecisionMade['action']> }, parsed.spec);
    expect(where).toMatch(/^comment \w+ on refs\/homeostat\/pr\/deps\/acme-connector-2\.0\.0/);
    const comment = await sh(root, ['git', '--git-dir', remote, 'show', `refs/homeostat/pr/${PR_BRANCH}:comment.md`]);
    expect(comment).toContain('### Patch');
    expect(comment).toMatch(/waiting for approval: approve decision proposed-1/);
    // The project's own install and tests ran on the patched commit before anyone approves it.
    expect(comment).toMatch(/^before approval, on the patched commit: passed$/m);
    expect(comment).toMatch(/^- `npm test`: exit 0 in \d+ ms$/m);
    expect(comment).toMatch(/^-\s+"@acme\/connector": "\^2\.0\.0"/m);
    expect(comment).toMatch(/^\+\s+"@acme\/connector": "\^1\.4\.0"/m);
    // Nothing pushed: the branch is as it was, and no other branch appeared.
    expect(await sh(root, ['git', '--git-dir', remote, 'rev-parse', PR_BRANCH])).toBe(before);
    expect(await sh(root, ['git', '--git-dir', remote, 'for-each-ref', '--format=%(refname)', 'refs/heads/'])).toBe(
      `refs/heads/${PR_BRANCH}\nrefs/heads/main`,
    );

    // A person applies it with the one command the comment gives, in their clone of the branch.
    const command = /```sh\n(.+)\n```/.exec(comment)![1]!;
    const clone = path.join(root, 'apply');
    await sh(root, ['git', 'clone', '--quiet', '--branch', PR_BRANCH, remote, clone]);
    await sh(clone, ['git', 'config', 'user.name', 'A Person']);
    await sh(clone, ['git', 'config', 'user.email', 'person@localhost']);
    await sh(clone, ['sh', '-c', command]);
    expect(await sh(clone, ['git', 'log', '-1', '--format=%an|%s'])).toBe('Homeostat|revert(deps): @acme/connector back to 1.4.2');
    expect(await sh(clone, ['git', 'rev-parse', 'HEAD^'])).toBe(before);
    const lock = JSON.parse(fs.readFileSync(path.join(clone, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    expect(lock.packages['node_modules/@acme/connector']?.version).toBe('1.4.2');
  });

  it('validates in rank order: the move to 1.5.0 fails its tests and is skipped, the revert passes and is pushed to the PR branch', async () => {
    const before = await sh(root, ['git', '--git-dir', remote, 'rev-parse', PR_BRANCH]);
    const validator = await GitValidator.open(validatorOptions());
    const t0 = Date.now();
    const report = await validateCandidates(candidates, validator, { maxCandidates: 3, maxTotalMs: 120_000 });
    process.stderr.write(
      `[repair] validation ${Date.now() - t0} ms: ${report.tried.map((r) => `${r.changeId} ${r.passed ? 'passed' : 'failed'} in ${r.durationMs} ms`).join('; ')}\n`,
    );
    expect(report.tried.map((r) => [r.changeId, r.passed])).toEqual([
      ['move-dependency:@acme/connector@1.5.0', false],
      ['revert-update:@acme/connector@1.4.2', true],
    ]);
    expect(report.stoppedBy).toBe('passed');
    const moved = report.tried[0]!;
    expect(moved.steps.map((s) => s.argv.join(' '))).toEqual([
      'npm install --package-lock-only --ignore-scripts --no-audit --no-fund',
      'npm ci --no-audit --no-fund',
      'npm test',
    ]);
    expect(moved.steps[2]?.outputTail).toMatch(/# fail [1-9]/);
    expect(moved.pushed).toBeUndefined();

    const fixed = report.fixed!;
    expect(fixed.pushed?.branch).toBe(PR_BRANCH);
    const tip = await sh(root, ['git', '--git-dir', remote, 'rev-parse', PR_BRANCH]);
    expect(tip).toBe(fixed.commit);
    expect(await sh(root, ['git', '--git-dir', remote, 'rev-parse', `${tip}^`])).toBe(before);
    expect(await sh(root, ['git', '--git-dir', remote, 'log', '-1', '--format=%an <%ae>|%s', tip])).toBe(
      'Homeostat <homeostat@localhost>|revert(deps): @acme/connector back to 1.4.2',
    );
    expect(await sh(root, ['git', '--git-dir', remote, 'rev-parse', 'main'])).not.toBe(tip);
    // People read the fix as a diff: every file in the stat, the patch without the lock file.
    expect(fixed.diff).toMatch(/ package\.json +\| +\d+ [+-]+/);
    expect(fixed.diff).toMatch(/ package-lock\.json +\| +\d+ [+-]+/);
    expect(fixed.diff).toMatch(/^-.*"@acme\/connector": "[^"]*2\.0\.0"/m);
    expect(fixed.diff).toMatch(/^\+.*"@acme\/connector": "[^"]*1\.4\.\d"/m);
    expect(fixed.diff).not.toMatch(/diff --git a\/package-lock\.json/);
    // The revert's lock file was restored from the last good commit in the work tree: it is main's, byte for byte.
    expect(revertOf(candidates).regenerate).toEqual([
      ['git', 'checkout', expect.stringMatching(/^[0-9a-f]{40}$/), '--', 'package-lock.json'],
    ]);
    expect(await sh(root, ['git', '--git-dir', remote, 'rev-parse', `${tip}:package-lock.json`])).toBe(
      await sh(root, ['git', '--git-dir', remote, 'rev-parse', 'main:package-lock.json']),
    );

    // That a pushed fix passes the project's commands again from a clone is checked by test/repair's Kafka-mode suite.
    // The work trees of the validation are gone.
    expect(fs.readdirSync(root).filter((f) => f.startsWith('homeostat-validate-'))).toEqual([]);
  });

  it('stops at the budget: with room for one candidate, the failing move is tried and nothing is pushed', async () => {
    const before = await sh(root, ['git', '--git-dir', remote, 'rev-parse', PR_BRANCH]);
    const validator = await GitValidator.open(validatorOptions({ base: `${before}^` }));
    const report = await validateCandidates(candidates, validator, { maxCandidates: 1, maxTotalMs: 120_000 });
    expect(report.tried.map((r) => r.changeId)).toEqual(['move-dependency:@acme/connector@1.5.0']);
    expect(report.stoppedBy).toBe('max-candidates');
    expect(report.fixed).toBeUndefined();
    expect(await sh(root, ['git', '--git-dir', remote, 'rev-parse', PR_BRANCH])).toBe(before);
  });

  it('refuses to push to the default branch (asked of the remote) or a protected one, before anything runs', async () => {
    await expect(GitValidator.open(validatorOptions({ pushBranch: 'main' }))).rejects.toThrow(/default branch/);
    await expect(GitValidator.open(validatorOptions({ pushBranch: 'release/2.x', protectedBranches: ['release/*'] }))).rejects.toThrow(
      /protected/,
    );
    await expect(GitValidator.open(validatorOptions({ repository: 'https://bot:hunter2@example.invalid/r.git' }))).rejects.toThrow(
      /credentials/,
    );
  });

  it("gives the project's commands an environment without the executor's secrets", async () => {
    process.env['HOMEOSTAT_TEST_SECRET_TOKEN'] = 'must-not-leak';
    try {
      const probe = ['node', '-e', 'console.log(JSON.stringify(Object.keys(process.env).sort()), process.env.HOME)'];
      const validator = await GitValidator.open(validatorOptions({ pushBranch: undefined, commands: [probe] }));
      const run = await validator.validate({ id: 'env', files: [], regenerate: [], message: '' }, { deadline: Date.now() + 30_000 });
      expect(run.passed).toBe(true);
      const [keys, home] = run.steps[0]!.outputTail.trim().split(' ');
      expect(JSON.parse(keys!)).toEqual(
        [
          'CI',
          'GIT_CONFIG_NOSYSTEM',
          'GIT_TERMINAL_PROMPT',
          'HOME',
          'LANG',
          'PATH',
          'TZ',
          'npm_config_cache',
          'npm_config_registry',
          'npm_config_update_notifier',
        ].sort(),
      );
      expect(home).toMatch(/homeostat-validate-[^/]+\/home$/);
    } finally {
      delete process.env['HOMEOSTAT_TEST_SECRET_TOKEN'];
    }
  });

  it('stops a project command at its time limit, with its process group, and cleans the work tree up', async () => {
    const hang = [
      'node',
      '-e',
      "require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' }); setInterval(() => {}, 1000)",
    ];
    const validator = await GitValidator.open(validatorOptions({ pushBranch: undefined, commands: [hang], commandTimeoutMs: 1_500 }));
    const run = await validator.validate({ id: 'hang', files: [], regenerate: [], message: '' }, { deadline: Date.now() + 30_000 });
    expect(run.passed).toBe(false);
    expect(run.error).toMatch(/ran out of time/);
    expect(run.steps[0]).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    expect(run.durationMs).toBeLessThan(10_000);
    expect(fs.readdirSync(root).filter((f) => f.startsWith('homeostat-validate-'))).toEqual([]);
  });

  it('reports bad input as a run that did not pass, with the reason: no such repository, no such base, a path outside the tree', async () => {
    const deadline = Date.now() + 30_000;
    const rerun = { id: 'rerun', files: [], regenerate: [], message: '' };
    const noRepo = await GitValidator.open(
      validatorOptions({ repository: path.join(root, 'nope.git'), pushBranch: undefined, defaultBranch: 'main' }),
    );
    expect((await noRepo.validate(rerun, { deadline })).error).toMatch(/git clone .* failed/);
    const noBase = await GitValidator.open(validatorOptions({ base: 'no-such-branch', pushBranch: undefined }));
    expect((await noBase.validate(rerun, { deadline })).error).toMatch(/git checkout no-such-branch failed/);
    const escape = { id: 'escape', files: [{ path: '../outside.txt', content: 'x' }], regenerate: [], message: 'x' };
    const run = await (await GitValidator.open(validatorOptions({ pushBranch: undefined }))).validate(escape, { deadline });
    expect([run.passed, run.error]).toEqual([false, "the change writes '../outside.txt', outside the work tree or into .git"]);
    expect(fs.existsSync(path.join(root, 'outside.txt'))).toBe(false);

    // A branch that holds a link out of the tree: writing through it is refused too.
    const work = path.join(root, 'work');
    const outside = fs.mkdtempSync(path.join(root, 'outside-'));
    await git(work, 'checkout', '--quiet', '-b', 'with-link', 'main');
    fs.symlinkSync(outside, path.join(work, 'linked'));
    await git(work, 'add', 'linked');
    await git(work, 'commit', '--quiet', '-m', 'a link out of the tree');
    await git(work, 'push', '--quiet', remote, 'with-link');
    const throughLink = { id: 'link', files: [{ path: 'linked/x.txt', content: 'x' }], regenerate: [], message: 'x' };
    const linked = await (
      await GitValidator.open(validatorOptions({ base: 'with-link', pushBranch: undefined }))
    ).validate(throughLink, { deadline });
    expect(linked.error).toMatch(/through a link that leads outside the work tree/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  it('reads the registry over HTTP: deprecations, and a clear error for a package it does not have', async () => {
    await registry.deprecate('@acme/connector@1.4.0', 'leaks the password in error messages; use 1.4.2');
    const reader = new HttpPackageRegistry({ url: registry.url, fetch });
    expect((await reader.packument('@acme/connector')).versions['1.4.0']?.deprecated).toMatch(/leaks the password/);
    await expect(reader.packument('@acme/no-such-package')).rejects.toMatchObject({ code: 'not-found' });
    await expect(new HttpPackageRegistry({ url: 'http://127.0.0.1:9/', fetch, timeoutMs: 2_000 }).packument('x')).rejects.toBeInstanceOf(
      RegistryError,
    );
  });
});

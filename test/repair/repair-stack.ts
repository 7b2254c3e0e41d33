/**
 * The repair loop's test stack, embedded or on Kafka, on real things: a real npm registry on
 * loopback with the connector's releases, real bare git remotes holding connector-app, each with an
 * update bot's branch, the CI run's real output, and all five stages with the example repair loop.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { MemoryIdempotencyStore } from '@homeostat/bus';
import { serviceDefinitions } from '@homeostat/cli';
import { SERVICE_NAMES } from '@homeostat/config';
import type { AnyEnvelope } from '@homeostat/contracts';
import { GitValidator } from '@homeostat/executor';
import { startLocalRegistry, type LocalRegistry } from '@homeostat/local-registry';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { testConfig } from '../support';

const exec = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'connector-app');
export const PR_BRANCH = 'deps/acme-connector-1.5.0';
export const FIX_BRANCH = `homeostat/fix/${PR_BRANCH}`;
export const WEBHOOK_SECRET = 'a webhook secret of the test';

export let root: string;
/** Where the stages keep their state files (the analyzer's state.json, …). */
export const stateDir = (): string => path.join(root, 'stack');
let registry: LocalRegistry;
let npmCache: string;
let baseEnv: Record<string, string>;
export let stack: RunningStack;
export const events: AnyEnvelope[] = [];
const lines: string[] = [];

export async function sh(cwd: string, argv: string[], env: Record<string, string> = baseEnv): Promise<string> {
  const [file, ...args] = argv;
  const { stdout } = await exec(file as string, args, { cwd, env });
  return stdout.trim();
}
export const git = (cwd: string, ...args: string[]): Promise<string> =>
  sh(cwd, ['git', '-c', 'user.name=Dependency Bot', '-c', 'user.email=bot@localhost', ...args]);
export const remoteGit = (remote: string, ...args: string[]): Promise<string> => sh(root, ['git', '--git-dir', remote, ...args]);

/** A bare remote with connector-app on main (locked at 1.4.2) and the bot's update branch to 1.5.0. */
export async function repository(
  name: string,
  to = '1.5.0',
  brokenTest = false,
): Promise<{ remote: string; commit: string; branch: string }> {
  const branch = `deps/acme-connector-${to}`;
  const remote = path.join(root, `${name}.git`);
  const work = path.join(root, `${name}-work`);
  await sh(root, ['git', 'init', '--quiet', '--bare', '--initial-branch=main', remote]);
  fs.cpSync(path.join(EXAMPLE, 'app'), work, { recursive: true });
  await sh(work, ['git', 'init', '--quiet', '--initial-branch=main']);
  await sh(work, ['npm', 'install', '--no-audit', '--no-fund', '@acme/connector@~1.4.0', '--save']);
  await git(work, 'add', '--all');
  await git(work, 'commit', '--quiet', '-m', 'connector-app: read the database settings through @acme/connector');
  await git(work, 'push', '--quiet', remote, 'main');
  await git(work, 'checkout', '--quiet', '-b', branch);
  const pkg = JSON.parse(fs.readFileSync(path.join(work, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  pkg.dependencies['@acme/connector'] = `^${to}`;
  fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  // As an update bot does it: the lock resolved without installing, so nothing stops it at the engine check.
  await sh(work, ['npm', 'install', '--package-lock-only', '--no-engine-strict', '--no-audit', '--no-fund']);
  if (brokenTest) {
    // A change of the project's own code that breaks a test whatever the connector's version: no dependency fix can pass.
    fs.writeFileSync(
      path.join(work, 'test', 'pool.test.js'),
      "'use strict';\nrequire('node:test')('the pool is sized', () => { throw new Error('pool size not configured'); });\n",
    );
    await git(work, 'add', 'test/pool.test.js');
  }
  await git(work, 'commit', '--quiet', '-am', `chore(deps): bump @acme/connector from 1.4.2 to ${to}`);
  await git(work, 'push', '--quiet', remote, branch);
  return { remote, branch, commit: await git(work, 'rev-parse', 'HEAD') };
}

/** The CI run of the update's branch: the project's own install and tests in a clone, for real; its output is the build's log. */
export async function ciRun(remote: string, branch = PR_BRANCH): Promise<string> {
  const validator = await GitValidator.open({
    repository: remote,
    base: branch,
    commands: [
      ['npm', 'ci', '--no-audit', '--no-fund'],
      ['npm', 'test'],
    ],
    defaultBranch: 'main',
    commandTimeoutMs: 60_000,
    env: { path: process.env['PATH'] ?? '', npmCache, extra: { npm_config_registry: registry.url } },
    workRoot: root,
  });
  const run = await validator.validate({ id: 'ci', files: [], regenerate: [], message: '' }, { deadline: Date.now() + 90_000 });
  expect(run.passed).toBe(false);
  return run.steps.map((s) => `$ ${s.argv.join(' ')}\n${s.outputTail}`).join('\n');
}

export async function postBuild(remote: string, commit: string, log: string, branch = PR_BRANCH, status = 'failed'): Promise<void> {
  const collector = stack.services.find((s) => s.name === 'collector')!.url;
  const res = await fetch(`${collector}/v1/builds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ repository: remote, commit, branch, pipeline: 'ci', job: 'test', status, log }),
  });
  expect(res.status).toBe(202);
}

export const of = <T>(type: string, pick: (d: T) => boolean = () => true): T[] =>
  events
    .filter((e) => e.type === type)
    .map((e) => e.data as T)
    .filter(pick);

/** Starts the stack of `mode` before the suite's tests and stops it after them. */
export function useRepairStack(mode: 'embedded' | 'kafka'): void {
  beforeAll(async () => {
    const t0 = Date.now();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-repair-loop-'));
    npmCache = path.join(root, 'npm-cache');
    baseEnv = { PATH: process.env['PATH'] ?? '', HOME: root, npm_config_cache: npmCache, npm_config_registry: '', TZ: 'UTC' };
    registry = await startLocalRegistry({ dir: path.join(root, 'registry') });
    baseEnv['npm_config_registry'] = registry.url;
    for (const v of ['1.4.0', '1.4.2', '1.5.0', '2.0.0']) await registry.publish(path.join(EXAMPLE, 'packages', `connector-${v}`));
    process.env['HOMEOSTAT_NPM_REGISTRY'] = registry.url;
    const database = `repair_${randomUUID().slice(0, 8)}`;
    const config = testConfig(mode, database, {
      HOMEOSTAT_TOPIC_PREFIX: `${database}.`,
      HOMEOSTAT_LOOPS_DIR: path.join(EXAMPLE, 'loops'),
      // The stages' own state (the analyzer's past failures, the decider's knowledge) in this run's
      // directory: another suite of the same process must not hand it what it learnt.
      HOMEOSTAT_DATA_DIR: stateDir(),
      CHDB_DIR: process.env['HOMEOSTAT_TEST_CHDB_DIR'] ?? '',
      LOG_LEVEL: 'info',
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    stack = await runServices(serviceDefinitions(SERVICE_NAMES), config, new JsonLogger('test', 'info', (l) => lines.push(l)));
    await stack.bus.subscribe({
      decode: 'event',
      group: 'repair-watcher',
      topics: ['telemetry.logs', 'loop.incidents', 'loop.decisions', 'loop.outcomes', 'loop.knowledge'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (e) => (events.push(e), Promise.resolve()),
    });
    process.stderr.write(`[repair-loop ${mode}] setup ${Date.now() - t0} ms\n`);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await registry?.stop();
    delete process.env['HOMEOSTAT_NPM_REGISTRY'];
    if (process.env['DEBUG_STACK']) process.stderr.write(lines.join('\n') + '\n');
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });
}

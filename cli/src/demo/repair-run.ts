import { execFile } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { MemoryIdempotencyStore } from '@homeostat/bus';
import { loadConfig, SERVICE_NAMES } from '@homeostat/config';
import type { AnyEnvelope, DecisionMade, IncidentOpened, OutcomeRecorded } from '@homeostat/contracts';
import { GitValidator } from '@homeostat/executor';
import { startLocalRegistry, type LocalRegistry } from '@homeostat/local-registry';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { serviceDefinitions } from '../services';

const exec = promisify(execFile);
const INSTALL = ['npm', 'ci', '--no-audit', '--no-fund'];
const TEST = ['npm', 'test'];

/** One failure of the repair demo, as `--json` writes it (a contract: checks outside the repository read it). */
export interface RepairDemoFailure {
  /** The failure's category (toolchain, test, …). */
  kind: string;
  remote: string;
  /** The pull request's branch (the update), and the branch the fix went to. */
  branch: string;
  fixBranch: string;
  fixCommit: string | null;
  testCommand: string;
  candidatesTried: string[];
  signature: string;
  timeToDiagnosisMs: number;
  timeToFixMs: number | null;
  outcome: 'fixed' | 'escalated' | 'timed-out';
}

export interface RepairDemoOptions {
  dataDir: string;
  /** examples/connector-app */
  exampleDir: string;
  timeoutMs: number;
  progress: (line: string) => void;
}

/**
 * `homeostat demo --loop repair`: connector-app in a real bare git repository on disk, its
 * connector's releases in a real npm registry on loopback (Verdaccio, started here), and two
 * dependency updates that break its install because the connector's new major needs a newer Node
 * (2.0.0, then 2.1.0), each CI run real (`npm ci && npm test` in a clone). Each failure is posted
 * to the collector and the embedded stack repairs it; the second is of the same kind.
 */
export async function runRepairDemo(options: RepairDemoOptions): Promise<{ failures: RepairDemoFailure[]; registryDir: string }> {
  const { dataDir, exampleDir, progress } = options;
  mkdirSync(dataDir, { recursive: true });
  const home = path.join(dataDir, 'home');
  mkdirSync(home, { recursive: true });
  const npmCache = path.join(dataDir, 'npm-cache');
  const registryDir = path.join(dataDir, 'registry');
  let registry: LocalRegistry | undefined;
  let stack: RunningStack | undefined;
  const previousRegistryEnv = process.env['HOMEOSTAT_NPM_REGISTRY'];
  const logStream = createWriteStream(path.join(dataDir, 'homeostat.log'), { flags: 'a' });
  try {
    progress('starting the npm registry (Verdaccio on loopback) with @acme/connector 1.4.0 and 1.4.2');
    registry = await startLocalRegistry({ dir: registryDir });
    const env = { PATH: process.env['PATH'] ?? '', HOME: home, npm_config_cache: npmCache, npm_config_registry: registry.url, TZ: 'UTC' };
    const sh = async (cwd: string, argv: string[]): Promise<string> =>
      (await exec(argv[0] as string, argv.slice(1), { cwd, env, maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
    const git = (cwd: string, ...args: string[]): Promise<string> =>
      sh(cwd, ['git', '-c', 'user.name=Dependency Bot', '-c', 'user.email=bot@localhost', '-c', 'commit.gpgsign=false', ...args]);
    for (const v of ['1.4.0', '1.4.2']) await registry.publish(path.join(exampleDir, 'packages', `connector-${v}`));

    const remote = path.join(dataDir, 'remote', 'connector-app.git');
    const work = path.join(dataDir, 'work');
    progress(`creating the git remote ${remote}: connector-app on main, locked at @acme/connector 1.4.2`);
    await sh(dataDir, ['git', 'init', '--quiet', '--bare', '--initial-branch=main', remote]);
    cpSync(path.join(exampleDir, 'app'), work, { recursive: true });
    await sh(work, ['git', 'init', '--quiet', '--initial-branch=main']);
    await sh(work, ['npm', 'install', '--no-audit', '--no-fund']);
    await git(work, 'add', '--all');
    await git(work, 'commit', '--quiet', '-m', 'connector-app: read the database settings through @acme/connector');
    await git(work, 'push', '--quiet', remote, 'main');
    for (const v of ['1.5.0', '2.0.0']) await registry.publish(path.join(exampleDir, 'packages', `connector-${v}`));

    process.env['HOMEOSTAT_NPM_REGISTRY'] = registry.url;
    const config = loadConfig(
      { LOG_LEVEL: 'info' },
      {
        HOMEOSTAT_MODE: 'embedded',
        HOMEOSTAT_DATA_DIR: path.join(dataDir, 'stack'),
        HOMEOSTAT_LOOPS_DIR: path.join(exampleDir, 'loops'),
        COLLECTOR_PORT: '0',
        ANALYZER_PORT: '0',
        DECIDER_PORT: '0',
        EXECUTOR_PORT: '0',
        LEARNER_PORT: '0',
        CONSOLE_PORT: '0',
      },
    );
    progress('starting the stack (embedded)');
    stack = await runServices(
      serviceDefinitions(SERVICE_NAMES),
      config,
      new JsonLogger('homeostat', config.logLevel, (line) => logStream.write(line + '\n')),
    );
    const events: AnyEnvelope[] = [];
    await stack.bus.subscribe({
      decode: 'event',
      group: 'repair-demo',
      topics: ['loop.incidents', 'loop.decisions', 'loop.outcomes'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (e) => (events.push(e), Promise.resolve()),
    });
    const collector = stack.services.find((s) => s.name === 'collector')?.url ?? '';

    const failures: RepairDemoFailure[] = [];
    for (const to of ['2.0.0', '2.1.0']) {
      const branch = `deps/acme-connector-${to}`;
      // 2.1.0 comes out after the first update: the second is a different update of the same kind.
      if (to === '2.1.0') await registry.publish(path.join(exampleDir, 'packages', 'connector-2.1.0'));
      progress(`the update bot moves @acme/connector to ^${to} on ${branch}`);
      await git(work, 'checkout', '--quiet', '-B', branch, 'main');
      const pkgPath = path.join(work, 'package.json');
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { dependencies: Record<string, string> };
      pkg.dependencies['@acme/connector'] = `^${to}`;
      writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
      await sh(work, ['npm', 'install', '--package-lock-only', '--no-engine-strict', '--no-audit', '--no-fund']);
      await git(work, 'commit', '--quiet', '-am', `chore(deps): bump @acme/connector from 1.4.2 to ${to}`);
      await git(work, 'push', '--quiet', '--force', remote, branch);
      const commit = await git(work, 'rev-parse', 'HEAD');

      progress(`CI runs ${INSTALL.join(' ')} && ${TEST.join(' ')} on ${branch}`);
      const ci = await GitValidator.open({
        repository: remote,
        base: branch,
        commands: [INSTALL, TEST],
        defaultBranch: 'main',
        commandTimeoutMs: 120_000,
        env: { path: env.PATH, npmCache, extra: { npm_config_registry: registry.url } },
        workRoot: dataDir,
      });
      const run = await ci.validate({ id: 'ci', files: [], regenerate: [], message: '' }, { deadline: Date.now() + 180_000 });
      if (run.passed) throw new Error(`the CI run of ${branch} passed: the demo's update should have broken it`);
      const log = run.steps.map((s) => `$ ${s.argv.join(' ')}\n${s.outputTail}`).join('\n');

      const posted = Date.now();
      const res = await fetch(`${collector}/v1/builds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ repository: remote, commit, branch, pipeline: 'ci', job: 'test', status: 'failed', log }),
      });
      if (res.status !== 202) throw new Error(`the collector answered ${res.status} to the build: ${await res.text()}`);
      progress(`failed build of ${branch} posted to /v1/builds`);

      const incidents = (): IncidentOpened[] =>
        events.flatMap((e) =>
          e.type === 'homeostat.incident.opened.v1' && (e.data as IncidentOpened).buildFailure?.commit === commit
            ? [e.data as IncidentOpened]
            : [],
        );
      const incident = await until(() => incidents()[0], options.timeoutMs, `the diagnosis of ${branch}`);
      const diagnosedMs = Date.now() - posted;
      progress(`diagnosed in ${diagnosedMs} ms: ${incident.title} (signature "${incident.fingerprint}")`);
      const outcomes = (): OutcomeRecorded[] =>
        events.flatMap((e) =>
          e.type === 'homeostat.outcome.recorded.v1' && (e.data as OutcomeRecorded).incidentId === incident.incidentId
            ? [e.data as OutcomeRecorded]
            : [],
        );
      const escalated = (): boolean =>
        events.some(
          (e) =>
            e.type === 'homeostat.decision.made.v1' &&
            (e.data as DecisionMade).incidentId === incident.incidentId &&
            (e.data as DecisionMade).mode === 'escalate',
        );
      const end = await until(
        () => (outcomes().some((o) => o.status === 'succeeded') ? 'fixed' : escalated() ? 'escalated' : undefined),
        options.timeoutMs,
        `the repair of ${branch}`,
      ).catch(() => 'timed-out' as const);
      const tried = outcomes().map((o) => String((o.action.params['fix'] as { id?: string } | undefined)?.id ?? o.action.name));
      const fixBranch = `homeostat/fix/${branch}`;
      const fixCommit = end === 'fixed' ? await sh(dataDir, ['git', '--git-dir', remote, 'rev-parse', fixBranch]) : null;
      const timeToFixMs = end === 'fixed' ? Date.now() - posted : null;
      progress(`${end}${fixCommit ? ` in ${timeToFixMs} ms: ${fixCommit} on ${fixBranch}` : ''}; tried ${tried.join(', ') || 'nothing'}`);
      failures.push({
        kind: incident.buildFailure?.category ?? 'unknown',
        remote,
        branch,
        fixBranch,
        fixCommit,
        testCommand: `${INSTALL.join(' ')} && ${TEST.join(' ')}`,
        candidatesTried: tried,
        signature: incident.fingerprint,
        timeToDiagnosisMs: diagnosedMs,
        timeToFixMs,
        outcome: end,
      });
    }
    return { failures, registryDir };
  } finally {
    await stack?.stop();
    await registry?.stop();
    if (previousRegistryEnv === undefined) delete process.env['HOMEOSTAT_NPM_REGISTRY'];
    else process.env['HOMEOSTAT_NPM_REGISTRY'] = previousRegistryEnv;
    logStream.end();
  }
}

async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The terminal table: one row per failure. */
export function formatRepairReport(failures: readonly RepairDemoFailure[]): string {
  const rows = failures.map((f) => [
    f.branch,
    f.kind,
    `${f.timeToDiagnosisMs} ms`,
    f.candidatesTried.join(', ') || '-',
    f.timeToFixMs === null ? f.outcome : `${f.timeToFixMs} ms`,
    f.fixCommit?.slice(0, 12) ?? '-',
  ]);
  const head = ['update', 'kind', 'to diagnosis', 'candidates tried', 'to a validated fix', 'fix commit'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

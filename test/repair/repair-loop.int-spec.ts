/**
 * The repair loop through the five stages, embedded, on real things: a real npm registry on
 * loopback with the connector's releases, two real bare git remotes holding connector-app, each
 * with an update bot's branch that moves @acme/connector 1.4.2 → 1.5.0 (a breaking change in a
 * minor: the app's tests fail), the CI run's real output posted to the collector's /v1/builds.
 * The analyzer diagnoses it (libs/repair triage, the lock files' diff, the registry's metadata),
 * the decider ranks the proposed fixes with the policy's Thompson sampling, the executor validates
 * the chosen one in a fresh clone with the project's own install and tests and pushes it to the
 * fix branch, the local forge's comment and status are written, the learner records the outcome
 * per signature × fix; the second repository's same failure gets the learned fix first.
 */
import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { MemoryIdempotencyStore } from '@homeostat/bus';
import { serviceDefinitions } from '@homeostat/cli';
import { SERVICE_NAMES } from '@homeostat/config';
import type { AnyEnvelope, DecisionMade, IncidentOpened, IncidentResolved, OutcomeRecorded } from '@homeostat/contracts';
import { GitValidator } from '@homeostat/executor';
import { startLocalRegistry, type LocalRegistry } from '@homeostat/local-registry';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { eventually, testConfig } from '../support';

const exec = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'connector-app');
const PR_BRANCH = 'deps/acme-connector-1.5.0';
const FIX_BRANCH = `homeostat/fix/${PR_BRANCH}`;
const WEBHOOK_SECRET = 'a webhook secret of the test';

let root: string;
let registry: LocalRegistry;
let npmCache: string;
let baseEnv: Record<string, string>;
let stack: RunningStack;
const events: AnyEnvelope[] = [];
const lines: string[] = [];

async function sh(cwd: string, argv: string[], env: Record<string, string> = baseEnv): Promise<string> {
  const [file, ...args] = argv;
  const { stdout } = await exec(file as string, args, { cwd, env });
  return stdout.trim();
}
const git = (cwd: string, ...args: string[]): Promise<string> =>
  sh(cwd, ['git', '-c', 'user.name=Dependency Bot', '-c', 'user.email=bot@localhost', ...args]);
const remoteGit = (remote: string, ...args: string[]): Promise<string> => sh(root, ['git', '--git-dir', remote, ...args]);

/** A bare remote with connector-app on main (locked at 1.4.2) and the bot's update branch to 1.5.0. */
async function repository(name: string, to = '1.5.0', brokenTest = false): Promise<{ remote: string; commit: string; branch: string }> {
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
async function ciRun(remote: string, branch = PR_BRANCH): Promise<string> {
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

async function postBuild(remote: string, commit: string, log: string, branch = PR_BRANCH, status = 'failed'): Promise<void> {
  const collector = stack.services.find((s) => s.name === 'collector')!.url;
  const res = await fetch(`${collector}/v1/builds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ repository: remote, commit, branch, pipeline: 'ci', job: 'test', status, log }),
  });
  expect(res.status).toBe(202);
}

const of = <T>(type: string, pick: (d: T) => boolean = () => true): T[] =>
  events
    .filter((e) => e.type === type)
    .map((e) => e.data as T)
    .filter(pick);

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
  const config = testConfig('embedded', database, {
    HOMEOSTAT_TOPIC_PREFIX: `${database}.`,
    HOMEOSTAT_LOOPS_DIR: path.join(EXAMPLE, 'loops'),
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
  process.stderr.write(`[repair-loop] setup ${Date.now() - t0} ms\n`);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await registry?.stop();
  delete process.env['HOMEOSTAT_NPM_REGISTRY'];
  if (process.env['DEBUG_STACK']) process.stderr.write(lines.join('\n') + '\n');
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('the repair loop through the five stages (embedded)', () => {
  let first: { remote: string; incident: IncidentOpened; fixMs: number };

  it('diagnoses the failed build, validates the revert with the project’s tests, pushes it to the fix branch and updates the forge', async () => {
    const { remote, commit } = await repository('app-a');
    const log = await ciRun(remote);
    const t0 = Date.now();
    await postBuild(remote, commit, log);

    await eventually('the incident', () => of<IncidentOpened>('homeostat.incident.opened.v1').length === 1, 60_000);
    const incident = of<IncidentOpened>('homeostat.incident.opened.v1')[0]!;
    const failure = incident.buildFailure!;
    expect(failure.category).toBe('test');
    expect(incident.fingerprint).toBe(failure.signature);
    expect(failure.culprit).toMatchObject({ name: '@acme/connector', from: '1.4.2', to: '1.5.0' });
    expect(failure.fixes.map((f) => f.id)).toEqual(['revert-update:@acme/connector@1.4.2', 'retry']);
    expect(failure.reasonText.join('\n')).toMatch(/not ok|fail/i);

    await eventually(
      'a validated fix',
      () =>
        of<OutcomeRecorded>('homeostat.outcome.recorded.v1', (o) => o.incidentId === incident.incidentId && o.status === 'succeeded')
          .length === 1,
      150_000,
    );
    const fixMs = Date.now() - t0;
    const decisions = of<DecisionMade>('homeostat.decision.made.v1', (d) => d.incidentId === incident.incidentId);
    expect(decisions[0]?.action?.name).toBe('revert-update');
    expect(decisions[0]?.mode).toBe('execute');
    expect(decisions[0]?.explanation.candidates.map((c) => c.action).sort()).toEqual(['retry', 'revert-update']);
    const outcome = of<OutcomeRecorded>('homeostat.outcome.recorded.v1', (o) => o.incidentId === incident.incidentId)[0]!;
    expect(outcome.verification.checks.map((c) => [c.name, c.passed])).toEqual([
      ['npm ci --no-audit --no-fund', true],
      ['npm test', true],
    ]);

    expect(outcome.verification.detail).toMatch(
      /pushed to homeostat\/fix\/deps\/acme-connector-1\.5\.0; comment \w+ on refs\/homeostat\/pr\//,
    );

    // The fix branch holds one commit on top of the update's; main and the update's branch are untouched.
    const tip = await remoteGit(remote, 'rev-parse', FIX_BRANCH);
    // The outcome says what people read in the console: the commands with their exit, the diff, the push.
    expect(outcome.repair?.remote).toBe(remote);
    expect(outcome.repair?.steps.map((s) => [s.command, s.exitCode])).toEqual([
      ['npm ci --no-audit --no-fund', 0],
      ['npm test', 0],
    ]);
    expect(outcome.repair?.pushed).toEqual({ branch: FIX_BRANCH, commit: tip });
    expect(outcome.repair?.diff).toMatch(/^\+.*"@acme\/connector"/m);
    expect(await remoteGit(remote, 'rev-parse', `${tip}^`)).toBe(commit);
    expect(await remoteGit(remote, 'rev-parse', PR_BRANCH)).toBe(commit);
    expect(await remoteGit(remote, 'log', '-1', '--format=%s', tip)).toBe('revert(deps): @acme/connector back to 1.4.2');
    // The forge: one comment on the pull request's ref, and the fix commit's status.
    const comment = await remoteGit(remote, 'show', `refs/homeostat/pr/${PR_BRANCH}:comment.md`);
    expect(comment).toMatch(/### Validation\npassed/);
    expect(comment).toContain(`Pushed ${tip} to \`${FIX_BRANCH}\``);
    expect(comment).toContain(decisions[0]!.decisionId);
    const status = JSON.parse(await remoteGit(remote, 'notes', '--ref=refs/notes/homeostat-status', 'show', tip)) as Record<string, string>;
    expect(status).toMatchObject({ state: 'success', context: 'homeostat/repair' });
    // The validated fix resolves the incident, naming the decision that pushed it.
    await eventually(
      'the resolution',
      () => of<IncidentResolved>('homeostat.incident.resolved.v1', (r) => r.incidentId === incident.incidentId).length === 1,
      10_000,
    );
    expect(of<IncidentResolved>('homeostat.incident.resolved.v1', (r) => r.incidentId === incident.incidentId)[0]).toMatchObject({
      resolution: 'recovered',
      decisionId: decisions[0]!.decisionId,
      title: incident.title,
      severity: incident.severity,
      fingerprint: incident.fingerprint,
      openedAt: incident.openedAt,
    });

    // Anyone can check the fix from a clone with the project's own commands.
    const clone = path.join(root, 'check-a');
    await sh(root, ['git', 'clone', '--quiet', '--branch', FIX_BRANCH, remote, clone]);
    await sh(clone, ['npm', 'ci', '--no-audit', '--no-fund']);
    expect(await sh(clone, ['npm', 'test'])).toMatch(/# fail 0/);
    first = { remote, incident, fixMs };
    process.stderr.write(`[repair-loop] first failure: validated fix pushed ${fixMs} ms after the build was posted\n`);
  }, 240_000);

  it('fixes the same failure in another repository with the learned fix first, from the signature × fix outcome', async () => {
    await eventually(
      'the learner’s knowledge of the fix',
      () =>
        events.some(
          (e) =>
            e.type === 'homeostat.knowledge.updated.v1' &&
            (e.data as { fingerprint: string; action: string; successes: number }).fingerprint === first.incident.fingerprint &&
            (e.data as { action: string }).action === 'revert-update' &&
            (e.data as { successes: number }).successes === 1,
        ),
      30_000,
    );
    const { remote, commit } = await repository('app-b');
    const log = await ciRun(remote);
    const t0 = Date.now();
    await postBuild(remote, commit, log);
    await eventually('the second incident', () => of<IncidentOpened>('homeostat.incident.opened.v1').length === 2, 60_000);
    const incident = of<IncidentOpened>('homeostat.incident.opened.v1')[1]!;
    expect(incident.fingerprint).toBe(first.incident.fingerprint);
    expect(incident.buildFailure?.similar[0]).toMatchObject({ incidentId: first.incident.incidentId });
    // What "similar" remembers, and what is open, is in the analyzer's state file: a restart continues from it.
    const saved = (): { past: Record<string, Array<{ incidentId: string }>>; open: Array<{ incidentId: string }> } | undefined => {
      const file = path.join(process.env['HOMEOSTAT_TEST_CHDB_DIR']!, 'analyzer', 'state.json');
      return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { repair?: ReturnType<typeof saved> }).repair : undefined;
    };
    await eventually(
      'the state file with the second failure',
      () => saved()?.past[incident.loop]?.[0]?.incidentId === incident.incidentId,
      10_000,
    );
    expect(
      saved()!
        .past[incident.loop]!.map((p) => p.incidentId)
        .slice(0, 2),
    ).toEqual([incident.incidentId, first.incident.incidentId]);
    expect(saved()!.open.map((o) => o.incidentId)).not.toContain(first.incident.incidentId);
    await eventually(
      'the second validated fix',
      () =>
        of<OutcomeRecorded>('homeostat.outcome.recorded.v1', (o) => o.incidentId === incident.incidentId && o.status === 'succeeded')
          .length === 1,
      150_000,
    );
    const decisions = of<DecisionMade>('homeostat.decision.made.v1', (d) => d.incidentId === incident.incidentId);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]?.action?.name).toBe('revert-update');
    const chosen = decisions[0]!.explanation.candidates.find((c) => c.action === 'revert-update')!;
    expect(chosen.reason).toMatch(/this fingerprint 1✓ 0✗/);
    expect(chosen.posterior?.mean).toBeGreaterThan(0.85);
    expect(await remoteGit(remote, 'log', '-1', '--format=%s', FIX_BRANCH)).toBe('revert(deps): @acme/connector back to 1.4.2');
    process.stderr.write(
      `[repair-loop] second failure: validated fix pushed ${Date.now() - t0} ms after the build was posted (first: ${first.fixMs} ms)\n`,
    );
  }, 240_000);

  it('tries the next fix when one fails its tests: an update to 2.0.0 (needs Node 22) is fixed by the revert, nothing pushed by a fix that failed', async () => {
    const { remote, commit, branch } = await repository('app-c', '2.0.0');
    const log = await ciRun(remote, branch);
    expect(log).toMatch(/EBADENGINE/);
    await postBuild(remote, commit, log, branch);
    await eventually('the third incident', () => of<IncidentOpened>('homeostat.incident.opened.v1').length === 3, 60_000);
    const incident = of<IncidentOpened>('homeostat.incident.opened.v1')[2]!;
    expect(incident.buildFailure).toMatchObject({
      category: 'toolchain',
      culprit: { name: '@acme/connector', from: '1.4.2', to: '2.0.0' },
    });
    expect(incident.buildFailure?.fixes.map((f) => f.id)).toEqual([
      'move-dependency:@acme/connector@1.5.0',
      'revert-update:@acme/connector@1.4.2',
      'adjust-runtime:node@>=22.0.0',
      'retry',
    ]);
    await eventually(
      'the third validated fix',
      () =>
        of<OutcomeRecorded>('homeostat.outcome.recorded.v1', (o) => o.incidentId === incident.incidentId && o.status === 'succeeded')
          .length === 1,
      200_000,
    );
    const outcomes = of<OutcomeRecorded>('homeostat.outcome.recorded.v1', (o) => o.incidentId === incident.incidentId);
    // Whichever the sampling tried first: the move to 1.5.0 installs but fails the app's tests; the revert passes.
    for (const o of outcomes.slice(0, -1)) {
      expect([o.action.name, o.status, o.error?.code]).toEqual(['move-dependency', 'failed', 'VERIFICATION_FAILED']);
      expect(o.verification.checks.map((c) => [c.name, c.passed]).slice(-2)).toEqual([
        ['npm ci --no-audit --no-fund', true],
        ['npm test', false],
      ]);
    }
    expect(outcomes[outcomes.length - 1]?.action.name).toBe('revert-update');
    // Resolved once, by the fix that passed, not by the ones that failed before it.
    await eventually(
      'the third resolution',
      () => of<IncidentResolved>('homeostat.incident.resolved.v1', (r) => r.incidentId === incident.incidentId).length === 1,
      10_000,
    );
    expect(of<IncidentResolved>('homeostat.incident.resolved.v1', (r) => r.incidentId === incident.incidentId)[0]).toMatchObject({
      resolution: 'recovered',
      decisionId: outcomes[outcomes.length - 1]!.decisionId,
    });
    const fixBranch = `homeostat/fix/${branch}`;
    const tip = await remoteGit(remote, 'rev-parse', fixBranch);
    expect(await remoteGit(remote, 'rev-parse', `${tip}^`)).toBe(commit);
    expect(await remoteGit(remote, 'log', '-1', '--format=%s', tip)).toBe('revert(deps): @acme/connector back to 1.4.2');
    const comment = await remoteGit(remote, 'show', `refs/homeostat/pr/${branch}:comment.md`);
    expect(comment).toContain(`## Homeostat: build repair (attempt ${outcomes.length})`);
    if (outcomes.length > 1)
      expect(comment).toMatch(/### Tried before\n- attempt 1: move-dependency:@acme\/connector@1\.5\.0 failed \(npm test failed\)/);
    // The comment is one ref moved forward: one commit per attempt.
    expect((await remoteGit(remote, 'rev-list', `refs/homeostat/pr/${branch}`)).split('\n')).toHaveLength(outcomes.length);
    process.stderr.write(`[repair-loop] 2.0.0 update: ${outcomes.map((o) => `${o.action.name} ${o.status}`).join(', ')}\n`);
  }, 300_000);

  it('escalates with what it tried when no fix passes the tests, and pushes nothing', async () => {
    const { remote, commit, branch } = await repository('app-d', '1.5.0', true);
    const log = await ciRun(remote, branch);
    await postBuild(remote, commit, log, branch);
    await eventually('the fourth incident', () => of<IncidentOpened>('homeostat.incident.opened.v1').length === 4, 60_000);
    const incident = of<IncidentOpened>('homeostat.incident.opened.v1')[3]!;
    const escalation = (): DecisionMade | undefined =>
      of<DecisionMade>('homeostat.decision.made.v1', (d) => d.incidentId === incident.incidentId && d.mode === 'escalate')[0];
    await eventually('the escalation', () => escalation() !== undefined, 200_000);
    const outcomes = of<OutcomeRecorded>('homeostat.outcome.recorded.v1', (o) => o.incidentId === incident.incidentId);
    expect(outcomes.map((o) => [o.action.name, o.status])).toEqual([
      ['revert-update', 'failed'],
      ['retry', 'failed'],
    ]);
    const { explanation, action } = escalation()!;
    expect(action).toBeNull();
    expect(explanation.candidates.map((c) => [c.action, c.eligible, c.reason])).toEqual([
      ['revert-update', false, 'already tried for this incident (attempt 1 failed)'],
      ['retry', false, 'already tried for this incident (attempt 2 failed)'],
    ]);
    // Nothing was pushed: no fix branch, the update's branch as it was; the comment says what was tried.
    await expect(remoteGit(remote, 'rev-parse', '--verify', `refs/heads/homeostat/fix/${branch}`)).rejects.toThrow();
    expect(await remoteGit(remote, 'rev-parse', branch)).toBe(commit);
    const comment = await remoteGit(remote, 'show', `refs/homeostat/pr/${branch}:comment.md`);
    expect(comment).toContain('Nothing was pushed.');
    expect(comment).toMatch(/- attempt 1: revert-update:@acme\/connector@1\.4\.2 failed \(npm test failed\)/);
    const status = JSON.parse(await remoteGit(remote, 'notes', '--ref=refs/notes/homeostat-status', 'show', commit)) as Record<
      string,
      string
    >;
    expect(status).toMatchObject({ state: 'failure' });

    // Escalated, the incident stays open until a person's fix makes the branch's build pass: then it
    // resolves as self-healed (no decision of ours fixed it). The passing build is reported as CI
    // would report it; the analyzer reads nothing from a passing build's log.
    const work = path.join(root, 'app-d-work');
    await git(work, 'rm', '--quiet', 'test/pool.test.js');
    await git(work, 'commit', '--quiet', '-m', 'test: drop the pool test until the pool is configurable');
    await git(work, 'push', '--quiet', remote, branch);
    const fixed = await git(work, 'rev-parse', 'HEAD');
    await postBuild(remote, fixed, '# pass 2\n# fail 0\n', branch, 'passed');
    const resolutions = (): IncidentResolved[] =>
      of<IncidentResolved>('homeostat.incident.resolved.v1', (r) => r.incidentId === incident.incidentId);
    await eventually('the escalated incident resolved by the passing build', () => resolutions().length > 0, 10_000);
    expect(resolutions()).toHaveLength(1);
    expect(resolutions()[0]).toMatchObject({ resolution: 'self-healed', title: incident.title, severity: incident.severity });
    expect(resolutions()[0]?.decisionId).toBeUndefined();
  }, 300_000);

  it('takes a GitHub check_run delivery only with a valid X-Hub-Signature-256: a bad one gets 401 and nothing is published', async () => {
    type Example = { name: string; examples: Array<Record<string, unknown>> };
    const recorded = require('@octokit/webhooks-examples/api.github.com/index.json') as Example[];
    const delivery = recorded
      .find((e) => e.name === 'check_run')!
      .examples.find((p) => (p['check_run'] as { conclusion?: string }).conclusion === 'failure')!;
    const body = Buffer.from(JSON.stringify(delivery));
    const collector = stack.services.find((s) => s.name === 'collector')!.url;
    const post = (signature: string | undefined): Promise<Response> =>
      fetch(`${collector}/v1/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'check_run',
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body,
      });
    const builds = (): number => events.filter((e) => e.type === 'homeostat.build.reported.v1').length;
    const before = builds();
    const forged = await post(`sha256=${createHmac('sha256', 'not the secret').update(body).digest('hex')}`);
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { message: string }).message).toMatch(/does not verify/);
    expect((await post(undefined)).status).toBe(401);
    const signed = await post(`sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`);
    expect(signed.status).toBe(202);
    await eventually('the delivery as a build event', () => builds() === before + 1, 10_000);
    const build = events.filter((e) => e.type === 'homeostat.build.reported.v1').pop()!.data as { status: string; commit: string };
    expect(build).toMatchObject({ status: 'failed', commit: (delivery['check_run'] as { head_sha: string }).head_sha });
  });
});

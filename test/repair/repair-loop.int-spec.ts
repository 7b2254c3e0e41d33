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
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DecisionMade, IncidentOpened, IncidentResolved, OutcomeRecorded } from '@homeostat/contracts';
import { eventually } from '../support';
import {
  ciRun,
  events,
  FIX_BRANCH,
  git,
  of,
  postBuild,
  PR_BRANCH,
  remoteGit,
  repository,
  root,
  sh,
  stateDir,
  stack,
  useRepairStack,
  WEBHOOK_SECRET,
} from './repair-stack';

useRepairStack('embedded');

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
    // The revert restores the lock file from the base's commit in the work tree, then the project's own commands run.
    const base = await remoteGit(remote, 'rev-parse', 'main');
    expect(outcome.verification.checks.map((c) => [c.name, c.passed])).toEqual([
      [`git checkout ${base} -- package-lock.json`, true],
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
      [`git checkout ${base} -- package-lock.json`, 0],
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

    // That the fix passes the project's tests again from a clone is checked by the Kafka-mode suite.
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
      const file = path.join(stateDir(), 'analyzer', 'state.json');
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

  it('takes a 50 MB log as a text/plain stream: read line by line in bounded memory, cut to its excerpt, diagnosed with the whole log’s line numbers', async () => {
    const LINES = 540_000;
    const failAt = 250_001;
    // The CI's log on disk, posted by curl as a pipeline step would: the memory measured is the stack's alone.
    const file = path.join(root, 'big.log');
    const out = fs.createWriteStream(file);
    for (let n = 1; n <= LINES; n++) {
      const line =
        n === failAt
          ? 'not ok 7 - the pool reconnects after a failover'
          : n === LINES
            ? 'npm error Test failed.'
            : `[INFO] Downloading from central: https://repo.example/org/acme/lib/${n}/lib-${n}.pom (${n} B)`;
      if (!out.write(line + '\n')) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    const bytes = fs.statSync(file).size;
    const collector = stack.services.find((s) => s.name === 'collector')!.url;
    const query = new URLSearchParams({
      repository: path.join(root, 'no-such-repository.git'),
      commit: 'f'.repeat(40),
      branch: 'big-log',
      pipeline: 'ci',
      job: 'test',
      status: 'failed',
    });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const t0 = Date.now();
    try {
      const status = await sh(root, [
        'curl',
        '--silent',
        '--show-error',
        '--output',
        '/dev/null',
        '--write-out',
        '%{http_code}',
        '--header',
        'Content-Type: text/plain; charset=utf-8',
        '--data-binary',
        `@${file}`,
        `${collector}/v1/builds?${query.toString()}`,
      ]);
      expect(status).toBe('202');
    } finally {
      clearInterval(sampler);
    }
    const growthMb = (peak - before) / 2 ** 20;
    process.stderr.write(
      `[repair-loop] 50 MB log: ${(bytes / 2 ** 20).toFixed(1)} MiB posted in ${Date.now() - t0} ms, RSS +${growthMb.toFixed(1)} MiB at peak\n`,
    );
    expect(bytes).toBeGreaterThan(50 * 2 ** 20);
    // Buffered whole it would be the body (50 MB) and its text again: streamed, a fraction of one.
    expect(growthMb).toBeLessThan(32);

    const incident = (): IncidentOpened | undefined =>
      of<IncidentOpened>('homeostat.incident.opened.v1', (i) => i.buildFailure?.branch === 'big-log')[0];
    await eventually('the big log’s incident', () => incident() !== undefined, 60_000);
    const build = events
      .filter((e) => e.type === 'homeostat.build.reported.v1')
      .map((e) => e.data as { branch?: string; log?: string; logExcerpt?: { lines: number } })
      .find((b) => b.branch === 'big-log')!;
    expect(build.logExcerpt?.lines).toBe(LINES);
    expect(build.log!.length).toBeLessThan(400 * 1024);
    const failure = incident()!.buildFailure!;
    expect(failure.category).toBe('test');
    expect(failure.reasonLines).toEqual([
      [failAt, failAt],
      [LINES, LINES],
    ]);
    expect(failure.reasonText[0]).toBe('not ok 7 - the pool reconnects after a failover');
    expect(failure.notes.join('\n')).toMatch(new RegExp(`the log was ${LINES} lines; the collector kept \\d+ of them`));
  }, 120_000);
});

import { outcomeRecordedSchema, REPAIR_DIFF_MAX } from '@homeostat/contracts';
import {
  pushRefusal,
  repairValidationOf,
  validateCandidates,
  validationEnv,
  type ChangeValidator,
  type CodeChange,
  type ValidationRun,
} from './validation';

const change = (id: string): CodeChange => ({ id, files: [{ path: 'package.json', content: '{}' }], regenerate: [], message: id });

/** Given how each change's validation ends and how long it takes on a manual clock. */
function validatorOf(
  outcomes: Record<string, { passed: boolean; ms: number }>,
  clock: { t: number },
): ChangeValidator & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    validate: (c, { deadline }) => {
      seen.push(`${c.id}<${deadline}`);
      const o = outcomes[c.id] ?? { passed: false, ms: 1 };
      clock.t += o.ms;
      return Promise.resolve<ValidationRun>({ changeId: c.id, passed: o.passed, steps: [], durationMs: o.ms });
    },
  };
}

describe('validateCandidates', () => {
  it('tries in order and stops at the first that passes', async () => {
    const clock = { t: 0 };
    const v = validatorOf({ a: { passed: false, ms: 10 }, b: { passed: true, ms: 10 } }, clock);
    const report = await validateCandidates(
      [change('a'), change('b'), change('c')],
      v,
      { maxCandidates: 5, maxTotalMs: 1000 },
      () => clock.t,
    );
    expect(report.tried.map((r) => r.changeId)).toEqual(['a', 'b']);
    expect(report.fixed?.changeId).toBe('b');
    expect(report.stoppedBy).toBe('passed');
    // Every run gets the loop's deadline, not a fresh one.
    expect(v.seen).toEqual(['a<1000', 'b<1000']);
  });

  it('stops at the count budget and at the time budget, and says which', async () => {
    const clock = { t: 0 };
    const byCount = await validateCandidates(
      [change('a'), change('b')],
      validatorOf({}, clock),
      { maxCandidates: 1, maxTotalMs: 1000 },
      () => clock.t,
    );
    expect([byCount.tried.length, byCount.stoppedBy]).toEqual([1, 'max-candidates']);
    clock.t = 0;
    const slow = validatorOf({ a: { passed: false, ms: 600 }, b: { passed: false, ms: 600 } }, clock);
    const byTime = await validateCandidates(
      [change('a'), change('b'), change('c')],
      slow,
      { maxCandidates: 5, maxTotalMs: 1000 },
      () => clock.t,
    );
    expect([byTime.tried.map((r) => r.changeId), byTime.stoppedBy]).toEqual([['a', 'b'], 'time-budget']);
  });

  it('says the candidates ran out when none passed within the budget', async () => {
    const clock = { t: 0 };
    const report = await validateCandidates([change('a')], validatorOf({}, clock), { maxCandidates: 5, maxTotalMs: 1000 }, () => clock.t);
    expect([report.fixed, report.stoppedBy]).toEqual([undefined, 'exhausted']);
  });
});

describe('pushRefusal', () => {
  const policy = { defaultBranch: 'main', protectedBranches: ['release/*', 'production'] };
  it('refuses the default branch, protected ones and names git would not take; allows a fix branch', () => {
    expect(pushRefusal('main', policy)).toMatch(/default branch/);
    expect(pushRefusal('refs/heads/main', policy)).toMatch(/default branch/);
    expect(pushRefusal('release/2.x', policy)).toMatch(/protected \(release\/\*\)/);
    expect(pushRefusal('production', policy)).toMatch(/protected/);
    for (const bad of ['-f', 'a..b', 'x.lock', 'a b', '']) expect(pushRefusal(bad, policy)).toMatch(/not a branch name/);
    expect(pushRefusal('deps/acme-connector-2.0.0', policy)).toBeUndefined();
    expect(pushRefusal('homeostat/fix-42', policy)).toBeUndefined();
  });
});

describe('validationEnv', () => {
  it('is an allow-list: only what is named, nothing of the parent process', () => {
    process.env['HOMEOSTAT_SPEC_SECRET'] = 'x';
    try {
      const env = validationEnv({
        path: '/usr/bin',
        home: '/tmp/h',
        npmCache: '/tmp/c',
        extra: { npm_config_registry: 'http://127.0.0.1:4873/' },
      });
      expect(Object.keys(env).sort()).toEqual(
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
      expect(env['HOME']).toBe('/tmp/h');
    } finally {
      delete process.env['HOMEOSTAT_SPEC_SECRET'];
    }
  });

  it('refuses extra settings that may carry a secret or change what runs', () => {
    for (const key of ['NPM_TOKEN', 'GITHUB_TOKEN', '//registry/:_authToken', 'NODE_OPTIONS', 'npm_config_userconfig', 'DB_PASSWORD']) {
      expect(() => validationEnv({ path: '', home: '', npmCache: '', extra: { [key]: 'x' } })).toThrow(/does not take/);
    }
  });
});

describe('repairValidationOf', () => {
  const outcome = {
    decisionId: 'dec-1',
    incidentId: 'inc-1',
    loop: 'connector-ci',
    target: 'connector-app',
    fingerprint: 'dependency|engine',
    action: { name: 'pin-compatible', adapter: 'ci' as const, params: {} },
    status: 'succeeded' as const,
    dryRun: false,
    applied: true,
    verification: { passed: true, checks: [] },
    timeToRecoverMs: 5000,
    startedAt: '2026-03-02T08:00:00.000Z',
    finishedAt: '2026-03-02T08:00:05.000Z',
  };
  const step = (argv: string[], exitCode: number | null, outputTail: string) => ({
    argv,
    exitCode,
    signal: null,
    timedOut: exitCode === null,
    durationMs: 1234.4,
    outputTail,
  });

  it('keeps each command with its exit, duration and the end of its output, the diff and where the fix went', () => {
    const run: ValidationRun = {
      changeId: 'pin',
      passed: true,
      commit: 'c0ffee',
      pushed: { branch: 'deps/x', commit: 'c0ffee' },
      diff: ' package.json | 2 +-\n--- a/package.json\n+++ b/package.json\n',
      steps: [step(['npm', 'ci'], 0, 'added 3 packages'), step(['npm', 'test'], 0, 'x'.repeat(10_000) + 'ok 4 tests')],
      durationMs: 5000,
    };
    const v = repairValidationOf(run, '/tmp/remote.git');
    expect(v).toMatchObject({
      remote: '/tmp/remote.git',
      commit: 'c0ffee',
      pushed: { branch: 'deps/x', commit: 'c0ffee' },
      diff: run.diff,
    });
    expect(v.steps.map((s) => [s.command, s.exitCode, s.durationMs])).toEqual([
      ['npm ci', 0, 1234],
      ['npm test', 0, 1234],
    ]);
    expect(v.steps[1]?.outputTail).toHaveLength(4_000);
    expect(v.steps[1]?.outputTail.endsWith('ok 4 tests')).toBe(true);
    // What the executor publishes passes the contract.
    expect(outcomeRecordedSchema.safeParse({ ...outcome, repair: v }).success).toBe(true);
  });

  it('cuts a long diff to what the contract keeps and says so; a run that pushed nothing has no push', () => {
    const run: ValidationRun = {
      changeId: 'x',
      passed: false,
      diff: 'd'.repeat(REPAIR_DIFF_MAX + 10),
      steps: [step(['npm', 'test'], 1, 'boom')],
      durationMs: 1,
    };
    const v = repairValidationOf(run, 'https://git.example/repo.git');
    expect(v.diff).toHaveLength(REPAIR_DIFF_MAX);
    expect(v.diff).toMatch(/diff cut/);
    expect(v.pushed).toBeUndefined();
    expect(v.commit).toBeUndefined();
    expect(outcomeRecordedSchema.safeParse({ ...outcome, repair: v }).success).toBe(true);
  });
});

import { loopSpecSchema, type BuildFailure, type BuildReported } from '@homeostat/contracts';
import type { Packument } from './registry';
import {
  blameChange,
  buildFailureOf,
  dependencyChanges,
  fixBranchFor,
  renderRepairComment,
  repairCatalog,
  repairLoopFor,
} from './repair-loop';
import { triageLog } from './triage';

const lock = (versions: Record<string, string>): string =>
  JSON.stringify({
    name: 'app',
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', dependencies: Object.fromEntries(Object.keys(versions).map((n) => [n, '*'])) },
      ...Object.fromEntries(Object.entries(versions).map(([n, v]) => [`node_modules/${n}`, { version: v }])),
      'node_modules/a/node_modules/nested': { version: '9.9.9' },
    },
  }) + '\n';
const pkg = (range: string): string =>
  JSON.stringify({ name: 'app', dependencies: { '@acme/connector': range, left: '^1.0.0' } }, null, 2) + '\n';

const TAP = [
  '> node --test',
  'TAP version 13',
  'not ok 1 - reads the port as a number',
  '  ---',
  "  code: 'ERR_ASSERTION'",
  '  ...',
  '# fail 1',
].join('\n');

const loop = loopSpecSchema.parse({
  apiVersion: 'homeostat.dev/v1',
  kind: 'Loop',
  metadata: { name: 'app-repair', version: 1 },
  spec: {
    kind: 'repair',
    target: { service: 'app' },
    signals: [{ kind: 'build', pipeline: 'ci' }],
    actions: [
      { name: 'revert-update', adapter: 'ci', risk: 'low' },
      { name: 'move-dependency', adapter: 'ci', risk: 'low' },
      { name: 'retry', adapter: 'ci', risk: 'low' },
    ],
    guardrails: {
      budget: { maxActions: 3, window: '1h' },
      cooldown: '0s',
      blastRadius: { maxConcurrent: 1 },
      circuitBreaker: { consecutiveFailures: 3 },
      approval: { aboveRisk: 'medium' },
      dryRun: false,
    },
    verification: { deadline: '5m' },
    repair: {},
  },
});

const build: BuildReported = {
  repository: '/srv/git/app.git',
  commit: 'c0ffee',
  branch: 'deps/connector',
  pipeline: 'ci',
  job: 'test',
  status: 'failed',
  log: TAP,
};

describe('dependencyChanges and blameChange', () => {
  it('lists the top-level packages whose locked version changed, added or removed', () => {
    expect(
      dependencyChanges(
        lock({ '@acme/connector': '1.4.2', left: '1.0.0', gone: '1.0.0' }),
        lock({ '@acme/connector': '1.5.0', left: '1.0.0', added: '2.0.0' }),
      ),
    ).toEqual([
      { name: '@acme/connector', from: '1.4.2', to: '1.5.0' },
      { name: 'added', to: '2.0.0' },
      { name: 'gone', from: '1.0.0' },
    ]);
    expect(dependencyChanges('not json', lock({ a: '1.0.0' }))).toEqual([{ name: 'a', to: '1.0.0' }]);
  });

  it('blames the changed package the log names first; else the direct dependency that changed', () => {
    const changes = [
      { name: '@other/transitive', from: '1.0.0', to: '1.1.0' },
      { name: '@acme/connector', from: '1.4.2', to: '1.5.0' },
    ];
    const naming = triageLog('npm warn EBADENGINE Unsupported engine for @other/transitive@1.1.0: wanted: {"node":">=22"}');
    expect(blameChange(naming, changes, ['@acme/connector'])?.name).toBe('@other/transitive');
    const silent = triageLog(TAP);
    expect(blameChange(silent, changes, ['@acme/connector'])).toMatchObject({ name: '@acme/connector', from: '1.4.2', to: '1.5.0' });
    expect(blameChange(silent, changes, [])).toBeUndefined();
    expect(blameChange(silent, [], ['x'])).toBeUndefined();
  });
});

describe('buildFailureOf', () => {
  const packument: Packument = {
    name: '@acme/connector',
    versions: Object.fromEntries(
      ['1.4.2', '1.5.0'].map((v) => [v, { version: v, engines: {}, peerDependencies: {}, optionalPeers: [] }]),
    ) as Packument['versions'],
  } as Packument;

  it('diagnoses a failing test after an update: category, signature, culprit from the locks, the revert proposed with its prior', () => {
    const failure = buildFailureOf({
      build,
      baseBranch: 'main',
      diagnosis: triageLog(TAP),
      files: { packageJson: pkg('^1.5.0'), lockfile: lock({ '@acme/connector': '1.5.0', left: '1.0.0' }) },
      previous: { packageJson: pkg('~1.4.0'), lockfile: lock({ '@acme/connector': '1.4.2', left: '1.0.0' }) },
      projectDir: '',
      packument,
      runtime: { node: '20.20.2' },
      past: [],
    });
    expect(failure.category).toBe('test');
    expect(failure.signature).toBe('test: not ok * reads the port as a number');
    expect(failure.culprit).toMatchObject({ name: '@acme/connector', from: '1.4.2', to: '1.5.0' });
    expect(failure.reasonText[0]).toBe('not ok 1 - reads the port as a number');
    expect(failure.fixes.map((f) => [f.id, f.prior])).toEqual([
      ['revert-update:@acme/connector@1.4.2', 0.6],
      ['retry', 0.05],
    ]);
    expect(failure.fixes[0]?.files.map((f) => f.path)).toEqual(['package.json', 'package-lock.json']);
  });

  it('says why there are no fixes when the project has no package.json, and finds a similar past failure', () => {
    const diagnosis = triageLog(TAP);
    const failure = buildFailureOf({
      build,
      baseBranch: 'main',
      diagnosis,
      files: {},
      previous: {},
      projectDir: 'app',
      runtime: { node: '20.20.2' },
      past: [
        { incidentId: 'other', signature: 'compilation: x', features: { 'category:compilation': 1 } },
        { incidentId: 'same', signature: diagnosis.signature, features: diagnosis.features },
      ],
    });
    expect(failure.fixes).toEqual([]);
    expect(failure.notes).toEqual(["no package.json in 'app' at c0ffee: no fix can be proposed"]);
    expect(failure.similar[0]).toMatchObject({ incidentId: 'same', score: 1 });
  });

  it("carries the failure's features, and ranks the ledger's similar failures (any loop) with the loop's own", () => {
    const diagnosis = triageLog(TAP);
    const failure = buildFailureOf({
      build,
      baseBranch: 'main',
      diagnosis,
      files: {},
      previous: {},
      projectDir: 'app',
      runtime: { node: '20.20.2' },
      past: [{ incidentId: 'same', signature: diagnosis.signature, features: diagnosis.features }],
      stored: [
        { incidentId: 'elsewhere', signature: diagnosis.signature, score: 0.8 },
        { incidentId: 'same', signature: diagnosis.signature, score: 0.95 },
      ],
    });
    expect(failure.features).toEqual(diagnosis.features);
    expect(failure.similar).toEqual([
      { incidentId: 'same', signature: diagnosis.signature, score: 0.95 },
      { incidentId: 'elsewhere', signature: diagnosis.signature, score: 0.8 },
    ]);
  });
});

describe('repairCatalog', () => {
  const failure = {
    repository: build.repository,
    branch: 'deps/connector',
    commit: 'c0ffee',
    category: 'test',
    signature: 'test: x',
    reasonText: ['not ok 1'],
    fixes: [
      {
        id: 'revert-update:a@1',
        recipe: 'revert-update',
        title: 'Revert',
        explanation: [],
        prior: 0.6,
        files: [],
        regenerate: [],
        message: 'm',
      },
      {
        id: 'refresh-lock',
        recipe: 'refresh-lock',
        title: 'Refresh',
        explanation: [],
        prior: 0.3,
        files: [],
        regenerate: [],
        message: 'm',
      },
      { id: 'retry', recipe: 'retry', title: 'Retry', explanation: [], prior: 0.05, files: [], regenerate: [], message: '' },
    ],
  } as unknown as BuildFailure;

  it("narrows the loop's recipes to the fixes proposed, each with its fix and prior; a recipe the loop lacks is not used", () => {
    const catalog = repairCatalog(loop, failure);
    expect(catalog.loop.spec.actions.map((a) => a.name)).toEqual(['revert-update', 'retry']);
    expect(catalog.priors).toEqual({ 'revert-update': 0.6, retry: 0.05 });
    expect(catalog.loop.spec.actions[0]?.params).toMatchObject({
      fix: { id: 'revert-update:a@1' },
      repository: build.repository,
      commit: 'c0ffee',
    });
    expect(loop.spec.actions).toHaveLength(3);
  });

  it('finds the repair loop of a build, and where its fix goes', () => {
    expect(repairLoopFor(build, [loop])).toBe(loop);
    expect(repairLoopFor({ ...build, pipeline: 'nightly' }, [loop])).toBeUndefined();
    expect(fixBranchFor('fix-branch', 'homeostat/fix/', 'deps/x')).toBe('homeostat/fix/deps/x');
    expect(fixBranchFor('pr-branch', 'homeostat/fix/', 'deps/x')).toBe('deps/x');
  });

  it('renders the one PR comment with the diagnosis, the validation steps and the decision', () => {
    const body = renderRepairComment({
      decisionId: 'd1',
      incidentId: 'i1',
      attempt: 2,
      mode: 'execute',
      fix: { id: 'revert-update:a@1', title: 'Revert a to 1', message: 'm', files: [{ path: 'package.json' }] },
      diagnosis: { category: 'test', signature: 'test: x', culprit: 'a 1 → 2', reasonText: ['not ok 1'] },
      validation: {
        passed: true,
        pushed: { branch: 'homeostat/fix/deps/x', commit: 'abc' },
        steps: [{ argv: ['npm', 'test'], exitCode: 0, timedOut: false, durationMs: 12 }],
      },
      earlier: ['attempt 1: move-dependency:a@3 failed (npm test failed)'],
    });
    expect(body).toContain('<!-- homeostat:repair -->');
    expect(body).toContain('- `npm test`: exit 0 in 12 ms');
    expect(body).toContain('Pushed abc to `homeostat/fix/deps/x`');
    expect(body).toContain('- attempt 1: move-dependency:a@3 failed');
    expect(body).toContain('`homeostat explain d1`');
  });
});

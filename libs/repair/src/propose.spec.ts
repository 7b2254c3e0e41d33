import { lockedVersion, proposeFixes, rankScore, versionsInLog, NPM_LOCK_REFRESH, ProjectFileError, type RepairInput } from './propose';
import { parsePackument, RegistryError } from './registry';

/** A packument as npm registries answer it (only the fields the recipes read, plus some they ignore). */
function packument(versions: Record<string, Record<string, unknown>>): ReturnType<typeof parsePackument> {
  const body = {
    _id: '@acme/connector',
    name: '@acme/connector',
    'dist-tags': { latest: Object.keys(versions).pop() },
    versions: Object.fromEntries(
      Object.entries(versions).map(([v, m]) => [v, { name: '@acme/connector', version: v, dist: { tarball: `http://r/${v}.tgz` }, ...m }]),
    ),
  };
  return parsePackument('@acme/connector', JSON.parse(JSON.stringify(body)));
}

const PACKAGE_JSON =
  JSON.stringify({ name: 'app', engines: { node: '>=20' }, dependencies: { '@acme/connector': '^2.0.0' } }, null, 2) + '\n';

function lock(connector: string, more: Record<string, Record<string, unknown>> = {}): string {
  return (
    JSON.stringify(
      {
        name: 'app',
        lockfileVersion: 3,
        packages: {
          '': { name: 'app', dependencies: { '@acme/connector': '^2.0.0' } },
          'node_modules/@acme/connector': { version: connector },
          ...more,
        },
      },
      null,
      2,
    ) + '\n'
  );
}

function input(overrides: Partial<RepairInput> = {}): RepairInput {
  return {
    category: 'toolchain',
    signature: 'toolchain: code ebadengine',
    change: { name: '@acme/connector', from: '1.4.2', to: '2.0.0' },
    project: { dir: '', packageJson: PACKAGE_JSON, lockfile: lock('2.0.0') },
    packument: packument({
      '1.4.0': { deprecated: 'leaks the password' },
      '1.4.2': {},
      '1.5.0': {},
      '1.6.0-beta.1': {},
      '2.0.0': { engines: { node: '>=22.0.0' } },
    }),
    runtime: { node: '20.20.2', npm: '11.19.1' },
    ...overrides,
  };
}

describe('proposeFixes', () => {
  it('given a version that needs a newer Node, moves to the newest compatible one, then reverts, then the runtime, then a rerun', () => {
    const fixes = proposeFixes(input());
    expect(fixes.map((f) => f.id)).toEqual([
      'move-dependency:@acme/connector@1.5.0',
      'revert-update:@acme/connector@1.4.2',
      'adjust-runtime:node@>=22.0.0',
      'retry',
    ]);
    const [move, revert, runtime] = fixes;
    // ^1.5.0 keeps 2.0.0 out already; prereleases are never a target.
    expect(JSON.parse(move!.files[0]!.content).dependencies).toEqual({ '@acme/connector': '^1.5.0' });
    expect(move!.regenerate).toEqual([NPM_LOCK_REFRESH]);
    expect(move!.explanation[0]).toBe('@acme/connector@2.0.0 needs Node >=22.0.0, the project runs on 20.20.2.');
    expect(move!.message).toMatch(/^fix\(deps\): move @acme\/connector to \^1\.5\.0/);
    // Without the old files a revert pins exactly: ^1.4.2 would resolve to 1.5.0, not known to pass.
    expect(JSON.parse(revert!.files[0]!.content).dependencies).toEqual({ '@acme/connector': '1.4.2' });
    expect(JSON.parse(runtime!.files[0]!.content).engines).toEqual({ node: '>=22.0.0' });
    expect(fixes.map((f) => f.score)).toEqual([0.7, 0.6, 0.25, 0.05]);
  });

  it('keeps out newer unusable versions with the narrowest range that must: ~ when one is inside ^, exact when one is inside ~', () => {
    const tilde = proposeFixes(
      input({
        packument: packument({ '1.4.2': {}, '1.5.0': {}, '1.9.0': { engines: { node: '>=22' } }, '2.0.0': { engines: { node: '>=22' } } }),
      }),
    );
    expect(JSON.parse(tilde[0]!.files[0]!.content).dependencies['@acme/connector']).toBe('~1.5.0');
    const exact = proposeFixes(
      input({
        packument: packument({ '1.4.2': {}, '1.5.0': {}, '1.5.1': { deprecated: 'broken' }, '2.0.0': { engines: { node: '>=22' } } }),
      }),
    );
    expect(JSON.parse(exact[0]!.files[0]!.content).dependencies['@acme/connector']).toBe('1.5.0');
  });

  it("skips versions whose peers the project cannot have, and versions another package's peer range excludes", () => {
    const versions = {
      '1.4.2': {},
      '1.5.0': { peerDependencies: { '@acme/tls': '^3.0.0' } },
      '1.6.0': {
        peerDependencies: { '@acme/tls': '^3.0.0', '@acme/metrics': '*' },
        peerDependenciesMeta: { '@acme/metrics': { optional: true } },
      },
      '2.0.0': {},
    };
    const lockfile = lock('2.0.0', {
      'node_modules/@acme/tls': { version: '2.1.0' },
      'node_modules/@acme/auth': { version: '1.0.0', peerDependencies: { '@acme/connector': '>=1.4 <2' } },
    });
    const fixes = proposeFixes(input({ packument: packument(versions), project: { dir: '', packageJson: PACKAGE_JSON, lockfile } }));
    // 2.0.0 (auth wants <2), 1.6.0 and 1.5.0 (tls ^3, the project has 2.1.0) are out; 1.4.2 is where the revert goes anyway.
    expect(fixes.map((f) => f.recipe)).toEqual(['revert-update', 'retry']);
  });

  it('with the files of the last good build, the revert restores them exactly and regenerates nothing', () => {
    const previous = { packageJson: '{"dependencies":{"@acme/connector":"^1.4.0"}}\n', lockfile: lock('1.4.2') };
    const revert = proposeFixes(
      input({ project: { dir: 'services/api', packageJson: PACKAGE_JSON, lockfile: lock('2.0.0'), previous } }),
    ).find((f) => f.recipe === 'revert-update')!;
    expect(revert.files).toEqual([
      { path: 'services/api/package.json', content: previous.packageJson },
      { path: 'services/api/package-lock.json', content: previous.lockfile },
    ]);
    expect(revert.regenerate).toEqual([]);
  });

  it('with the last good commit too, the revert restores the lock file from it with git instead of carrying it', () => {
    const commit = 'a'.repeat(40);
    const previous = { packageJson: '{"dependencies":{"@acme/connector":"^1.4.0"}}\n', lockfile: lock('1.4.2'), commit };
    const revert = proposeFixes(
      input({ project: { dir: 'services/api', packageJson: PACKAGE_JSON, lockfile: lock('2.0.0'), previous } }),
    ).find((f) => f.recipe === 'revert-update')!;
    expect(revert.files).toEqual([{ path: 'services/api/package.json', content: previous.packageJson }]);
    // Run in the project's directory, so the path is the project's own.
    expect(revert.regenerate).toEqual([['git', 'checkout', commit, '--', 'package-lock.json']]);
    expect(revert.explanation.join(' ')).toContain(`the lock file from ${commit.slice(0, 12)}`);
    // Anything but a full object id is not put in a command: the lock file is carried as before.
    const carried = proposeFixes(
      input({
        project: { dir: '', packageJson: PACKAGE_JSON, lockfile: lock('2.0.0'), previous: { ...previous, commit: '--orphan' } },
      }),
    ).find((f) => f.recipe === 'revert-update')!;
    expect(carried.files.map((f) => f.path)).toEqual(['package.json', 'package-lock.json']);
    expect(carried.regenerate).toEqual([]);
  });

  it('ranks by past outcomes on the signature once there are some: a move that kept failing falls below the revert', () => {
    const fixes = proposeFixes(
      input({ outcomes: { 'move-dependency': { successes: 0, failures: 3 }, 'revert-update': { successes: 4, failures: 0 } } }),
    );
    expect(fixes.map((f) => f.recipe)).toEqual(['revert-update', 'move-dependency', 'adjust-runtime', 'retry']);
    expect(fixes[0]!.explanation.at(-1)).toBe('Before, on this signature: 4 fixed, 0 did not (prior 0.6 for a toolchain failure) → 0.867.');
    expect(rankScore(0.7, undefined)).toBe(0.7);
    expect(rankScore(0.7, { successes: 0, failures: 3 })).toBe(0.28);
  });

  it('puts a rerun first for an infrastructure failure and a lock refresh first for a lock-file failure', () => {
    expect(proposeFixes(input({ category: 'infrastructure', change: undefined, packument: undefined }))[0]!.recipe).toBe('retry');
    const lockFixes = proposeFixes(input({ category: 'lock-file', change: undefined, packument: undefined }));
    expect(lockFixes.map((f) => f.recipe)).toEqual(['refresh-lock', 'retry']);
    expect(lockFixes[0]!.regenerate).toEqual([NPM_LOCK_REFRESH]);
  });

  it("keeps the file's indentation and final newline, and changes only the dependency", () => {
    const fourSpaces = JSON.stringify({ name: 'app', devDependencies: { '@acme/connector': '2.0.0', jest: '^30' } }, null, 4);
    const [move] = proposeFixes(input({ project: { dir: '', packageJson: fourSpaces } }));
    expect(move!.files[0]!.content).toBe(fourSpaces.replace('"2.0.0"', '"^1.5.0"'));
    // No lock file: nothing to regenerate.
    expect(move!.regenerate).toEqual([]);
  });

  it('gives a clear error for a package.json that is not JSON or does not depend on the culprit', () => {
    expect(() => proposeFixes(input({ project: { dir: '', packageJson: '{ nope' } }))).toThrow(ProjectFileError);
    expect(() => proposeFixes(input({ project: { dir: '', packageJson: '{"dependencies":{}}' } }))).toThrow(
      /does not depend on @acme\/connector/,
    );
  });
});

describe('reading versions', () => {
  it('finds the versions a log shows for a package, and the locked version', () => {
    const log = 'npm error notsup Not compatible with your version of node/npm: @acme/connector@2.0.0\nnot-@acme/connector@9.9.9';
    expect(versionsInLog(log, '@acme/connector')).toEqual(['2.0.0']);
    expect(lockedVersion(lock('1.4.2'), '@acme/connector')).toBe('1.4.2');
    expect(lockedVersion(JSON.stringify({ lockfileVersion: 1, dependencies: { left: { version: '1.0.0' } } }), 'left')).toBe('1.0.0');
    expect(lockedVersion(lock('1.4.2'), 'absent')).toBeUndefined();
  });

  it('rejects a registry answer that is not a packument', () => {
    expect(() => parsePackument('x', ['not', 'one'])).toThrow(RegistryError);
    expect(() => parsePackument('x', { name: 'x' })).toThrow(/no versions/);
  });
});

// Test tiers by file suffix: `*.spec.ts` are unit tests next to the code (no broker, no database);
// `*.int-spec.ts` are integration suites against the real Kafka broker and chDB; `*.scenario-spec.ts`
// are long end-to-end scenarios on the same setup, run on demand.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const roots = ['libs', 'services', 'cli', 'examples', 'tools', 'test']
  .filter((d) => existsSync(join(__dirname, d)))
  .map((d) => `<rootDir>/${d}`);
// @kubernetes/client-node (the executor's Kubernetes adapter), Octokit (the GitHub forge and the
// collector's log reads) and a few of their dependencies ship only ES modules. Node 20 can
// require() them, jest's module registry cannot: SWC compiles exactly these packages to CommonJS;
// every other package in node_modules is loaded as it is. (Entries are regular expressions;
// content-type is Octokit's v3, ESM, nested under @octokit/request; express's CommonJS one passes through unchanged.)
const ESM_ONLY_PACKAGES = [
  '@kubernetes/client-node',
  'openid-client',
  'oauth4webapi',
  'jose',
  '@octokit/[^/]+',
  'universal-user-agent',
  'before-after-hook',
  'json-with-bigint',
  'content-type',
];
const swcEsm = ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

const common = {
  rootDir: __dirname,
  roots,
  transform: { '^.+\\.ts$': swc, [`/node_modules/(${ESM_ONLY_PACKAGES.join('|')})/.+\\.m?js$`]: swcEsm },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  // The repair demo's connector packages are npm packages to publish, several versions of one name.
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/examples/connector-app/packages/'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/integration-timeout.ts'],
    },
    // Long end-to-end scenarios (minutes each), run as benchmarks are (`npm run bench:learning`),
    // not by `npm test`: the integration project keeps one end-to-end suite per loop kind and mode.
    {
      ...common,
      displayName: 'scenario',
      testMatch: ['**/*.scenario-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/integration-timeout.ts'],
    },
  ],
};

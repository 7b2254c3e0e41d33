// Test tiers by file suffix: `*.spec.ts` are unit tests next to the code (no broker, no database);
// `*.int-spec.ts` are integration suites against the real Kafka broker and chDB.
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

const roots = ['libs', 'services', 'cli', 'examples', 'test'].filter((d) => existsSync(join(__dirname, d))).map((d) => `<rootDir>/${d}`);
const common = {
  rootDir: __dirname,
  roots,
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
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
  ],
};

import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier/flat';

/**
 * Module boundaries (enforced from the Nx project tags in each package.json):
 * - type:lib      shared libs: may import only other libs;
 * - type:service  one stage of the loop: may import libs, never another service;
 * - type:cli      the homeostat command: composes services and libs;
 * - type:testing  test tooling under tools/ (the local Kafka broker): libs only; the local npm registry
 *                 is type:example: the repair demo starts it, and it stands alone like the demo targets;
 * - type:example  the demo shop: imports nothing of ours, like any system under control;
 * - type:example-kit what the demo targets share (OTel set-up, config store): nothing of Homeostat's;
 * - kind:pure     algorithms and contracts: no framework, transport or database imports.
 */
export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', '.homeostat/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:lib', 'type:service', 'type:example'] },
            // The demo target stands alone, like any service a team would point at Homeostat.
            { sourceTag: 'type:example', onlyDependOnLibsWithTags: ['type:example-kit'] },
            { sourceTag: 'type:example-kit', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib'] },
            {
              sourceTag: 'kind:pure',
              onlyDependOnLibsWithTags: ['kind:pure'],
              bannedExternalImports: ['@nestjs/*', 'express', 'kafkajs', '@clickhouse/*', 'chdb', 'chdb/*', 'prom-client'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/testing/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // Layout is Prettier's (checked in npm test); lint keeps to what the code means.
  prettier,
];

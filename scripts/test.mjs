#!/usr/bin/env node
// The one test command (README, CI): type check, build the service bundles, lint, the format check, unit tests, then the integration suites
// against a real Kafka broker (started here unless KAFKA_BROKERS is set) and chDB.
// Each step prints its own summary; the last lines are jest's. Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.TZ = 'UTC';
process.env.NX_NO_CLOUD = 'true';
process.env.NX_DAEMON = 'false';

const jestReport = join(mkdtempSync(join(tmpdir(), 'homeostat-test-')), 'jest.json');

const steps = [
  // The services and tests, then the browser client (DOM types, its own tsconfig).
  ['typecheck', 'sh', ['-c', 'npx tsc -p tsconfig.json --noEmit && npx tsc -p services/console/client']],
  // The runnable bundles (dist/services/*, dist/examples/shop) the images are made of; the deploy
  // suite (test/deploy) starts them, so this runs before jest.
  ['build (service bundles)', 'npx', ['nx', 'run-many', '-t', 'build', '--output-style=static']],
  // The module-boundary rule reads Nx's project graph; computing it first makes lint enforce it.
  ['lint', 'sh', ['-c', 'npx nx show projects > /dev/null && npx eslint . --max-warnings=0']],
  // Layout is Prettier's (.prettierrc.json): `npm run format` writes it.
  ['format', 'npx', ['prettier', '--check', '.']],
  [
    'jest (unit + integration)',
    'npx',
    ['jest', '--ci', '--runInBand', '--selectProjects', 'unit', 'integration', '--json', `--outputFile=${jestReport}`],
  ],
];

const only = process.argv[2];
let failed = false;
for (const [name, cmd, args] of steps) {
  if (only && !name.startsWith(only)) continue;
  const start = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  const secs = ((Date.now() - start) / 1000).toFixed(1);
  process.stdout.write(`=== ${name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${secs}s\n`);
  if (r.status !== 0) failed = true;
}

// One plain closing line with jest's counts, for whoever reads only the end of the log.
try {
  const r = JSON.parse(readFileSync(jestReport, 'utf8'));
  process.stdout.write(`\njest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`);
} catch {
  if (!only || 'jest'.startsWith(only)) process.stdout.write('\njest: 0 passed, 1 failed (no report: jest did not finish)\n');
}
process.exit(failed ? 1 : 0);

/** Jest globalTeardown for the `integration` project: undoes test/global-setup.ts. */
import * as fs from 'node:fs';
import { INTEGRATION_ENV_KEY, type IntegrationEnv } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const store = globalThis as Record<string, unknown>;
  const env = store[INTEGRATION_ENV_KEY] as IntegrationEnv | undefined;
  if (!env) return;
  delete store[INTEGRATION_ENV_KEY];
  try {
    await env.stopKafka();
  } finally {
    for (const dir of env.tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

import { loadConfig, type HomeostatConfig } from '@homeostat/config';

/** Waits until `predicate` holds, polling; fails with `what` after the timeout. */
export async function eventually(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A config for a test stack: ephemeral ports, the process's one chDB directory, a database of its own. */
export function testConfig(mode: 'embedded' | 'kafka', database: string, extra: Record<string, string> = {}): HomeostatConfig {
  const dataDir = process.env['HOMEOSTAT_TEST_CHDB_DIR'];
  if (!dataDir) throw new Error('HOMEOSTAT_TEST_CHDB_DIR is not set: run through the integration project');
  return loadConfig({
    HOMEOSTAT_MODE: mode,
    HOMEOSTAT_DATA_DIR: dataDir,
    CLICKHOUSE_DATABASE: database,
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
    HOMEOSTAT_TOPIC_PARTITIONS: '3',
    HOMEOSTAT_CONSUMER_BACKOFF_MS: '20',
    COLLECTOR_PORT: '0',
    ANALYZER_PORT: '0',
    DECIDER_PORT: '0',
    EXECUTOR_PORT: '0',
    LEARNER_PORT: '0',
    CONSOLE_PORT: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  });
}

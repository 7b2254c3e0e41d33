import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig, type HomeostatConfig, type ServiceName } from '@homeostat/config';

const ROOT = resolve(__dirname, '..');

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
    // Body buffers are overwritten when they go back to the pool: a reader that kept one fails.
    COLLECTOR_BODY_POOL_POISON: 'true',
    ANALYZER_PORT: '0',
    DECIDER_PORT: '0',
    EXECUTOR_PORT: '0',
    LEARNER_PORT: '0',
    CONSOLE_PORT: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  });
}

/** One service as its own process (services/<name>/src/main.ts), as in a distributed deployment. */
export class ServiceProcess {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<void>;

  constructor(
    readonly name: ServiceName,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', `services/${name}/src/main.ts`], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), TZ: 'UTC', OTEL_SDK_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // HOMEOSTAT_TEST_LOGS=DIR keeps each process's whole output, for a failure the last lines do not explain.
    const keep = process.env['HOMEOSTAT_TEST_LOGS'];
    const file = keep ? createWriteStream(join(keep, `${name}-${process.pid}.log`), { flags: 'a' }) : undefined;
    for (const stream of [this.child.stdout!, this.child.stderr!])
      createInterface({ input: stream }).on('line', (l) => {
        this.lines.push(l);
        file?.write(`${l}\n`);
      });
    this.exited = new Promise((done) => this.child.on('exit', () => done()));
  }

  async ready(): Promise<string> {
    let url: string | undefined;
    const pattern = new RegExp(`${this.name} ready on (http://\\S+?)"`);
    await eventually(
      `${this.name} process ready`,
      async () => {
        if (this.child.exitCode !== null)
          throw new Error(`${this.name} exited ${this.child.exitCode}:\n${this.lines.slice(-30).join('\n')}`);
        url ??= this.lines.map((l) => pattern.exec(l)?.[1]).find((u) => u !== undefined);
        return url !== undefined && (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
      },
      120_000,
    );
    return url!;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(killer);
  }
}

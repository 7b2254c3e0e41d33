import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MemoryIdempotencyStore } from '@homeostat/bus';
import { loadConfig, SERVICE_NAMES } from '@homeostat/config';
import type { AnyEnvelope } from '@homeostat/contracts';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { serviceDefinitions } from '../services';

export interface OptimizeStackOptions {
  /** The stack's data (chDB, ledger), its loops dir and its log go under it. */
  dataDir: string;
  /** The gateway-optimize loop spec (YAML) the stack runs. */
  loopSpec: string;
  /** The gateway the loop acts on: the executor reads ${GATEWAY_URL} in the actions' params at start. */
  gatewayUrl: string;
  /** The bus consumer group of the event recorder. */
  group: string;
  /**
   * The collector's port (default: any free one). A stack started again in its place keeps it, so
   * a running target's OTLP exporter needs no new endpoint.
   */
  collectorPort?: number;
  /**
   * chDB's directory and the database the learner keeps its data in (defaults: under `dataDir`,
   * the default database). chDB binds one directory per process: stacks started one after the
   * other in one process share the directory and keep apart by database.
   */
  chdbDir?: string;
  database?: string;
}

export interface OptimizeStack {
  stack: RunningStack;
  /** Every incident, decision, outcome and knowledge event since the start, in order of arrival. */
  events: AnyEnvelope[];
  /** A stage's base URL (`collector`, `console`, ...). */
  url(service: string): string;
  /** Pauses or resumes the gateway-optimize loop through the console, as a person does. */
  control(command: 'pause' | 'resume', reason: string): Promise<void>;
  stop(): Promise<void>;
}

export const OPTIMIZE_LOOP_NAME = 'gateway-optimize';

/**
 * Every stage in this process (embedded: in-process bus, chDB) running only the gateway's
 * optimize loop, with short analyzer ticks, and a recorder of the loop's events. Shared by
 * `homeostat demo --loop optimize` and `npm run bench:optimize`.
 */
export async function startOptimizeStack(options: OptimizeStackOptions): Promise<OptimizeStack> {
  const loopsDir = path.join(options.dataDir, 'loops');
  mkdirSync(loopsDir, { recursive: true });
  writeFileSync(path.join(loopsDir, 'gateway-optimize.yaml'), options.loopSpec);
  const logStream = createWriteStream(path.join(options.dataDir, 'homeostat.log'), { flags: 'a' });
  const previousGatewayUrl = process.env['GATEWAY_URL'];
  process.env['GATEWAY_URL'] = options.gatewayUrl;
  const restore = (): void => {
    if (previousGatewayUrl === undefined) delete process.env['GATEWAY_URL'];
    else process.env['GATEWAY_URL'] = previousGatewayUrl;
    logStream.end();
  };
  let stack: RunningStack | undefined;
  try {
    const config = loadConfig(
      { LOG_LEVEL: 'info' },
      {
        HOMEOSTAT_MODE: 'embedded',
        HOMEOSTAT_DATA_DIR: path.join(options.dataDir, 'stack'),
        HOMEOSTAT_LOOPS_DIR: loopsDir,
        ANALYZER_TICK_MS: '250',
        COLLECTOR_PORT: String(options.collectorPort ?? 0),
        ...(options.chdbDir === undefined ? {} : { CHDB_DIR: options.chdbDir }),
        ...(options.database === undefined ? {} : { CLICKHOUSE_DATABASE: options.database }),
        ANALYZER_PORT: '0',
        DECIDER_PORT: '0',
        EXECUTOR_PORT: '0',
        LEARNER_PORT: '0',
        CONSOLE_PORT: '0',
      },
    );
    stack = await runServices(
      serviceDefinitions(SERVICE_NAMES),
      config,
      new JsonLogger('homeostat', config.logLevel, (l) => logStream.write(l + '\n')),
    );
    const events: AnyEnvelope[] = [];
    await stack.bus.subscribe({
      decode: 'event',
      group: options.group,
      topics: ['loop.incidents', 'loop.decisions', 'loop.outcomes', 'loop.knowledge'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (e) => (events.push(e), Promise.resolve()),
    });
    const running = stack;
    const url = (name: string): string => running.services.find((s) => s.name === name)?.url ?? '';
    return {
      stack: running,
      events,
      url,
      control: async (command, reason) => {
        const res = await fetch(`${url('console')}/api/loops/${OPTIMIZE_LOOP_NAME}/${command}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ actor: options.group, reason }),
        });
        if (!res.ok) throw new Error(`${command} of ${OPTIMIZE_LOOP_NAME} answered ${res.status}: ${await res.text()}`);
      },
      stop: async () => {
        try {
          await running.stop();
        } finally {
          restore();
        }
      },
    };
  } catch (error) {
    await stack?.stop().catch(() => undefined);
    restore();
    throw error;
  }
}

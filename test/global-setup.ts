/**
 * Jest globalSetup for the `integration` project (see jest.config.js). Runs once in the parent
 * process; environment variables set here are inherited by the test workers.
 *
 * Kafka, in order of preference:
 *   1. KAFKA_BROKERS already set: use that cluster as is.
 *   2. A Docker engine answers and @testcontainers/kafka can be required: a Kafka container.
 *   3. Otherwise: a local broker on the JVM (tools/local-kafka) with a fresh temp data dir.
 * Also: HOMEOSTAT_TEST_CHDB_DIR (fresh temp dir) and TZ=UTC.
 * The handle for global-teardown.ts is kept on globalThis.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalKafka } from '@homeostat/local-kafka';

export type KafkaSource = 'external' | 'testcontainers' | 'local';

export interface IntegrationEnv {
  kafkaSource: KafkaSource;
  brokers: string;
  /** Stops what this setup started (no-op for an external cluster). */
  stopKafka: () => Promise<void>;
  /** Temp dirs this setup created; removed in teardown. */
  tempDirs: string[];
}

export const INTEGRATION_ENV_KEY = '__HOMEOSTAT_INTEGRATION_ENV__';

/** Default image for the testcontainers path; override with HOMEOSTAT_TEST_KAFKA_IMAGE. */
const KAFKA_IMAGE = 'confluentinc/cp-kafka:8.0.0';

function log(line: string): void {
  process.stderr.write(`[global-setup] ${line}\n`);
}

/** GET /_ping against the Docker engine API; true when it answers 200 within 1.5 s. */
function pingDocker(target: { socketPath: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ ...target, path: '/_ping', timeout: 1500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function dockerAvailable(): Promise<boolean> {
  const dockerHost = process.env['DOCKER_HOST'];
  if (dockerHost) {
    if (dockerHost.startsWith('unix://')) return pingDocker({ socketPath: dockerHost.slice('unix://'.length) });
    if (dockerHost.startsWith('tcp://')) {
      // TLS engines (DOCKER_TLS_VERIFY) are left to testcontainers itself.
      if (process.env['DOCKER_TLS_VERIFY']) return true;
      const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
      return pingDocker({ host: url.hostname, port: Number(url.port || 2375) });
    }
    return true; // ssh:// and others: let testcontainers try
  }
  const socketPath = '/var/run/docker.sock';
  return fs.existsSync(socketPath) && pingDocker({ socketPath });
}

/** The parts of @testcontainers/kafka used here (the package is optional). */
interface StartedKafkaContainerLike {
  getHost(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}
interface KafkaContainerLike {
  withKraft?: () => KafkaContainerLike;
  start(): Promise<StartedKafkaContainerLike>;
}
type KafkaContainerCtor = new (image: string) => KafkaContainerLike;

function loadTestcontainersKafka(): KafkaContainerCtor | undefined {
  try {
    const mod = require('@testcontainers/kafka') as { KafkaContainer?: KafkaContainerCtor };
    return mod.KafkaContainer;
  } catch {
    return undefined;
  }
}

async function startKafka(tempDirs: string[]): Promise<Pick<IntegrationEnv, 'kafkaSource' | 'brokers' | 'stopKafka'>> {
  const external = process.env['KAFKA_BROKERS']?.trim();
  if (external) {
    log(`using KAFKA_BROKERS=${external}`);
    return { kafkaSource: 'external', brokers: external, stopKafka: async () => undefined };
  }

  const KafkaContainer = loadTestcontainersKafka();
  if (KafkaContainer && (await dockerAvailable())) {
    const image = process.env['HOMEOSTAT_TEST_KAFKA_IMAGE'] ?? KAFKA_IMAGE;
    log(`starting Kafka container ${image} (testcontainers)`);
    let container = new KafkaContainer(image);
    // cp-kafka 7.x needs KRaft switched on; 8.x is KRaft only.
    if (/:7\./.test(image) && container.withKraft) container = container.withKraft();
    const started = await container.start();
    const brokers = `${started.getHost()}:${started.getMappedPort(9093)}`;
    return {
      kafkaSource: 'testcontainers',
      brokers,
      stopKafka: async () => {
        await started.stop();
      },
    };
  }

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-kafka-'));
  tempDirs.push(dataDir);
  log(`no KAFKA_BROKERS and no Docker/testcontainers: starting a local broker in ${dataDir}`);
  const kafka = await startLocalKafka({ dataDir, log });
  // If jest exits without running the teardown (crash), do not leave the JVM behind.
  const killOnExit = () => {
    try {
      process.kill(kafka.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  return {
    kafkaSource: 'local',
    brokers: kafka.brokers,
    stopKafka: async () => {
      process.removeListener('exit', killOnExit);
      await kafka.stop();
    },
  };
}

export default async function globalSetup(): Promise<void> {
  process.env['TZ'] = 'UTC';
  const tempDirs: string[] = [];
  const chdbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-chdb-'));
  tempDirs.push(chdbDir);
  process.env['HOMEOSTAT_TEST_CHDB_DIR'] = chdbDir;

  let kafka: Awaited<ReturnType<typeof startKafka>>;
  try {
    kafka = await startKafka(tempDirs);
  } catch (err) {
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  process.env['KAFKA_BROKERS'] = kafka.brokers;
  process.env['HOMEOSTAT_TEST_KAFKA_SOURCE'] = kafka.kafkaSource;

  const env: IntegrationEnv = { ...kafka, tempDirs };
  (globalThis as Record<string, unknown>)[INTEGRATION_ENV_KEY] = env;
  log(`KAFKA_BROKERS=${kafka.brokers} (${kafka.kafkaSource}), HOMEOSTAT_TEST_CHDB_DIR=${chdbDir}`);
}

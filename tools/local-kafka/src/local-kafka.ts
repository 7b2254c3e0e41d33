/**
 * A real Apache Kafka broker (single KRaft node: broker + controller) for development and tests,
 * run straight on the JVM without Docker. The jars are fetched once by Maven into a cache folder
 * (deploy/local-kafka/pom.xml); each data dir holds its own config, KRaft storage, pid and logs.
 *
 * This module is the one implementation behind deploy/local-kafka/kafka.sh (via ./cli.ts) and the
 * jest global setup (test/global-setup.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

export const KAFKA_VERSION = '4.1.1';
export const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
export const DEFAULT_DATA_DIR = path.join('.homeostat', 'kafka');
export const DEFAULT_HEAP_MB = 512;
export const DEFAULT_START_TIMEOUT_MS = 90_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/** deploy/local-kafka: pom.xml, server.properties.template, log4j2.properties. */
export const ASSETS_DIR = path.resolve(__dirname, '..', '..', '..', 'deploy', 'local-kafka');

const MARKER = '.complete';
const PID_FILE = 'kafka.pid';
const STATE_FILE = 'broker.json';
const LOG_FILE = 'kafka.log';
const OUT_FILE = 'kafka.out';
const STORAGE_SUBDIR = 'kraft-data';

export type Logger = (line: string) => void;
const stderrLogger: Logger = (line) => process.stderr.write(`[local-kafka] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Jars
// ---------------------------------------------------------------------------------------------

export interface FetchKafkaJarsOptions {
  /** Cache root; default `$HOMEOSTAT_KAFKA_CACHE` or `~/.cache/homeostat/kafka`. */
  cacheDir?: string;
  /** Re-download even when the cache is complete. */
  force?: boolean;
  log?: Logger;
}

export function kafkaCacheRoot(cacheDir?: string): string {
  return path.resolve(cacheDir ?? process.env['HOMEOSTAT_KAFKA_CACHE'] ?? path.join(os.homedir(), '.cache', 'homeostat', 'kafka'));
}

/** `<cache>/4.1.1/libs` — the classpath folder (may not exist yet). */
export function kafkaJarsDir(cacheDir?: string): string {
  return path.join(kafkaCacheRoot(cacheDir), KAFKA_VERSION, 'libs');
}

function pomDigest(): string {
  return createHash('sha256')
    .update(fs.readFileSync(path.join(ASSETS_DIR, 'pom.xml')))
    .digest('hex');
}

/** True when the jars were copied completely for the current pom.xml. */
export function kafkaJarsComplete(cacheDir?: string): boolean {
  const marker = path.join(kafkaJarsDir(cacheDir), MARKER);
  try {
    return fs.readFileSync(marker, 'utf8').trim() === pomDigest();
  } catch {
    return false;
  }
}

/**
 * Copies Kafka and its runtime dependencies into the cache once (Maven, pinned
 * maven-dependency-plugin). A marker written after a successful copy makes a half download
 * count as missing, so it is redone. Returns the jars folder.
 */
export async function fetchKafkaJars(opts: FetchKafkaJarsOptions = {}): Promise<string> {
  const log = opts.log ?? stderrLogger;
  const libs = kafkaJarsDir(opts.cacheDir);
  if (!opts.force && kafkaJarsComplete(opts.cacheDir)) return libs;

  const mvn = findOnPath('mvn');
  if (!mvn) {
    throw new Error(
      'local-kafka: Maven (`mvn`) is not on PATH; it is needed once to fetch the Kafka jars ' +
        `into ${libs}. Install Maven 3.8+ (e.g. apt-get install maven) or copy the jars there by hand.`,
    );
  }
  const digest = pomDigest();
  const parent = path.dirname(libs);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, 'libs.partial-'));
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars into ${libs} ...`);
  const started = Date.now();
  try {
    const { code, output } = await runCaptured(mvn, [
      '-B',
      '-q',
      '-Dstyle.color=never',
      '-f',
      path.join(ASSETS_DIR, 'pom.xml'),
      `${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`,
      `-DoutputDirectory=${tmp}`,
      '-DincludeScope=runtime',
    ]);
    if (code !== 0) {
      const tail = output.trimEnd().split('\n').slice(-40).join('\n');
      throw new Error(`local-kafka: mvn copy-dependencies failed (exit code ${code}):\n${tail}`);
    }
    const jars = fs.readdirSync(tmp).filter((f) => f.endsWith('.jar'));
    if (!jars.some((j) => j.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
      throw new Error(`local-kafka: mvn finished but kafka_2.13-${KAFKA_VERSION}.jar is missing in ${tmp}`);
    }
    fs.writeFileSync(path.join(tmp, MARKER), `${digest}\n`);
    // Swap in atomically; another process may have completed the same fetch meanwhile.
    fs.rmSync(libs, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, libs);
    } catch (err) {
      if (!kafkaJarsComplete(opts.cacheDir)) throw err;
    }
    log(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return libs;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Java, ports, config
// ---------------------------------------------------------------------------------------------

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `$JAVA_HOME/bin/java`, else `java` on PATH; throws a clear error when neither exists. */
export function findJava(): string {
  const home = process.env['JAVA_HOME'];
  if (home) {
    const java = path.join(home, 'bin', 'java');
    if (fs.existsSync(java)) return java;
  }
  const onPath = findOnPath('java');
  if (onPath) return onPath;
  throw new Error(
    'local-kafka: no Java runtime found. Kafka 4.1 needs Java 17+: set JAVA_HOME or put `java` on PATH ' +
      '(e.g. apt-get install openjdk-17-jre-headless).' +
      (home ? ` JAVA_HOME=${home} has no bin/java.` : ''),
  );
}

/** A currently free TCP port on 127.0.0.1 (the OS picks it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('local-kafka: no free port'))));
    });
  });
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface ServerPropertiesVars {
  port: number;
  controllerPort: number;
  logDirs: string;
}

/** Fills deploy/local-kafka/server.properties.template. */
export function renderServerProperties(vars: ServerPropertiesVars, template?: string): string {
  const text = template ?? fs.readFileSync(path.join(ASSETS_DIR, 'server.properties.template'), 'utf8');
  const values: Record<string, string> = {
    PORT: String(vars.port),
    CONTROLLER_PORT: String(vars.controllerPort),
    // Java properties treat backslash as an escape character.
    LOG_DIRS: vars.logDirs.replace(/\\/g, '\\\\'),
  };
  const out = text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`local-kafka: unknown placeholder ${whole} in server.properties.template`);
    return value;
  });
  return out;
}

/** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

// ---------------------------------------------------------------------------------------------
// Process helpers
// ---------------------------------------------------------------------------------------------

/** Runs a command, collecting stdout+stderr (ANSI colour codes stripped). */
function runCaptured(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const output = Buffer.concat(chunks)
        .toString('utf8')
        // eslint-disable-next-line no-control-regex
        .replace(/\x1b\[[0-9;]*m/g, '');
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** True while the process exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** On Linux, checks that a pid is our Kafka JVM (guards against pid reuse). */
function looksLikeKafka(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return process.platform !== 'linux';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Last lines of a log, without Java stack frames (`\tat ...`, `... 6 more`) so the causes stay visible. */
function tailFile(file: string, lines = 40): string {
  try {
    const buf = fs.readFileSync(file);
    const text = buf.subarray(Math.max(0, buf.length - 256 * 1024)).toString('utf8');
    return text
      .trimEnd()
      .split('\n')
      .filter((l) => !/^\s+(at |\.\.\. \d+ more)/.test(l))
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

function logTails(dataDir: string): string {
  const parts: string[] = [];
  for (const name of [LOG_FILE, OUT_FILE]) {
    const t = tailFile(path.join(dataDir, name));
    parts.push(`--- tail of ${path.join(dataDir, name)} ---\n${t || '(empty or missing)'}`);
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Readiness
// ---------------------------------------------------------------------------------------------

/** One admin round trip: connect and describeCluster(). Resolves true when the broker answers. */
export async function pingKafka(brokers: string, timeoutMs = 3000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'homeostat-local-kafka-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Loads the group coordinator (describeGroups -> FindCoordinator creates __consumer_offsets) and
 * the transaction coordinator (an idempotent producer's InitProducerId) with kafkajs' own retries.
 */
async function warmUp(brokers: string, timeoutMs: number): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'homeostat-local-kafka-warmup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    requestTimeout: Math.min(timeoutMs, 10_000),
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.describeGroups(['homeostat-local-kafka-warmup']);
    await producer.connect();
    return true;
  } catch {
    return false;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Start / stop / status
// ---------------------------------------------------------------------------------------------

export interface StartLocalKafkaOptions {
  /** Default `./.homeostat/kafka` (relative to the current directory). */
  dataDir?: string;
  /** Client port on 127.0.0.1; default: the port of the previous start of this data dir if free, else a free one. */
  port?: number;
  /** KRaft controller port on 127.0.0.1; default: a free one. */
  controllerPort?: number;
  /** JVM max heap in MiB (default 512). */
  heapMb?: number;
  /** Readiness deadline (default 90 s). */
  startTimeoutMs?: number;
  /** Jar cache root (see fetchKafkaJars). */
  cacheDir?: string;
  /**
   * After the broker answers, also wait until the group and transaction coordinators are loaded
   * (creates __consumer_offsets and __transaction_state), so first clients do not see
   * "coordinator is loading" errors. Default true.
   */
  warmUp?: boolean;
  log?: Logger;
}

export interface LocalKafka {
  /** Bootstrap address, `127.0.0.1:PORT`. */
  brokers: string;
  pid: number;
  port: number;
  dataDir: string;
  /** The broker's INFO log. */
  logFile: string;
  /** SIGTERM, wait up to 30 s for a clean exit, then SIGKILL. */
  stop(): Promise<void>;
}

interface BrokerState {
  pid: number;
  port: number;
  controllerPort: number;
  brokers: string;
  startedAt: string;
}

function readState(dataDir: string): BrokerState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, STATE_FILE), 'utf8')) as BrokerState;
  } catch {
    return undefined;
  }
}

function readPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(path.join(dataDir, PID_FILE), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the broker running from this data dir, if any (stale pid files are ignored). */
function runningPid(dataDir: string): number | undefined {
  const pid = readPid(dataDir);
  return pid !== undefined && isProcessAlive(pid) && looksLikeKafka(pid) ? pid : undefined;
}

function makeHandle(dataDir: string, pid: number, port: number, child?: ChildProcess): LocalKafka {
  return {
    brokers: `127.0.0.1:${port}`,
    pid,
    port,
    dataDir,
    logFile: path.join(dataDir, LOG_FILE),
    stop: () => stopPid(pid, { dataDir, child }),
  };
}

/**
 * Starts a broker from `dataDir` in the background (fetching jars and formatting KRaft storage
 * when needed) and resolves once an admin client gets an answer to describeCluster().
 * If a broker from the same data dir is already running, returns a handle to it.
 */
export async function startLocalKafka(opts: StartLocalKafkaOptions = {}): Promise<LocalKafka> {
  const log = opts.log ?? stderrLogger;
  const dataDir = path.resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });

  const existing = runningPid(dataDir);
  if (existing !== undefined) {
    const state = readState(dataDir);
    if (state && state.pid === existing && (opts.port === undefined || opts.port === state.port)) {
      log(`broker already running from ${dataDir} (pid ${existing})`);
      return makeHandle(dataDir, existing, state.port);
    }
    throw new Error(
      `local-kafka: a broker (pid ${existing}) already runs from ${dataDir}` +
        (opts.port !== undefined ? ` on another port than ${opts.port}` : '') +
        '; stop it first.',
    );
  }

  const java = findJava();
  const libs = await fetchKafkaJars({ cacheDir: opts.cacheDir, log });
  const previous = readState(dataDir);
  for (const [name, p] of [
    ['port', opts.port],
    ['controllerPort', opts.controllerPort],
  ] as const) {
    if (p !== undefined && !(await isPortFree(p))) {
      throw new Error(`local-kafka: ${name} ${p} on 127.0.0.1 is already in use`);
    }
  }
  // Retry only when the ports were picked here (another process may grab one before java binds).
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let port = opts.port;
    if (port === undefined) {
      const reuse = attempt === 1 && previous?.port !== undefined && (await isPortFree(previous.port));
      port = reuse && previous ? previous.port : await findFreePort();
    }
    let controllerPort = opts.controllerPort;
    while (controllerPort === undefined || controllerPort === port) controllerPort = await findFreePort();
    try {
      return await launch({ java, libs, dataDir, port, controllerPort, opts, log });
    } catch (err) {
      lastError = err;
      // Another process grabbed an auto-picked port between the check and the bind: retry.
      const msg = err instanceof Error ? err.message : String(err);
      if (attempt < attempts && /Address already in use|BindException/.test(msg)) {
        log(`port taken meanwhile, retrying (${msg.split('\n')[0]})`);
        continue;
      }
      throw err;
    }
  }
  throw lastError;
}

interface LaunchArgs {
  java: string;
  libs: string;
  dataDir: string;
  port: number;
  controllerPort: number;
  opts: StartLocalKafkaOptions;
  log: Logger;
}

async function launch(a: LaunchArgs): Promise<LocalKafka> {
  const { java, libs, dataDir, port, controllerPort, opts, log } = a;
  const started = Date.now();
  const storage = path.join(dataDir, STORAGE_SUBDIR);
  const propsFile = path.join(dataDir, 'server.properties');
  fs.writeFileSync(propsFile, renderServerProperties({ port, controllerPort, logDirs: storage }));
  const classpath = path.join(libs, '*');

  // Format KRaft storage once per data dir.
  if (!fs.existsSync(path.join(storage, 'meta.properties'))) {
    const clusterId = randomClusterId();
    const res = spawnSync(java, ['-Xmx256m', '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile], {
      encoding: 'utf8',
    });
    if (res.status !== 0) {
      throw new Error(
        `local-kafka: formatting KRaft storage in ${storage} failed (exit ${res.status ?? res.signal}):\n` +
          `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? String(res.error) : ''}`,
      );
    }
    log(`formatted ${storage} (cluster id ${clusterId})`);
  }

  const heapMb = opts.heapMb ?? DEFAULT_HEAP_MB;
  const jvmArgs = [
    `-Xms${Math.min(256, heapMb)}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(ASSETS_DIR, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${dataDir}`,
    '-cp',
    classpath,
    'kafka.Kafka',
    propsFile,
  ];
  // Truncate the previous run's stdout/stderr so error tails show this run only.
  const out = fs.openSync(path.join(dataDir, OUT_FILE), 'w');
  let child: ChildProcess;
  try {
    child = spawn(java, jvmArgs, { detached: true, stdio: ['ignore', out, out], cwd: dataDir });
  } finally {
    fs.closeSync(out);
  }
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`local-kafka: could not spawn ${java}`);
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.once('error', (err) => {
    exited = String(err);
  });
  fs.writeFileSync(path.join(dataDir, PID_FILE), `${pid}\n`);
  const brokers = `127.0.0.1:${port}`;
  const state: BrokerState = { pid, port, controllerPort, brokers, startedAt: new Date().toISOString() };
  fs.writeFileSync(path.join(dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  log(`started java pid ${pid} (heap ${heapMb} MiB), waiting for ${brokers} ...`);

  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const deadline = started + timeoutMs;
  for (;;) {
    if (exited) {
      fs.rmSync(path.join(dataDir, PID_FILE), { force: true });
      throw new Error(`local-kafka: the broker exited during startup (${exited}).\n${logTails(dataDir)}`);
    }
    if (await pingKafka(brokers, 2000)) {
      if (opts.warmUp === false) break;
      if (await warmUp(brokers, Math.max(1000, deadline - Date.now()))) break;
      log('coordinators not loaded yet, retrying');
    }
    if (exited) continue; // report the exit, not a timeout
    if (Date.now() > deadline) {
      await stopPid(pid, { dataDir, child, timeoutMs: 5000 }).catch(() => undefined);
      throw new Error(`local-kafka: the broker did not answer on ${brokers} within ${timeoutMs} ms (stopped it).\n${logTails(dataDir)}`);
    }
    await sleep(200);
  }
  log(`broker ready on ${brokers} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return makeHandle(dataDir, pid, port, child);
}

interface StopPidOptions {
  dataDir?: string;
  child?: ChildProcess;
  timeoutMs?: number;
  log?: Logger;
}

async function stopPid(pid: number, o: StopPidOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const cleanup = () => {
    if (o.dataDir && readPid(o.dataDir) === pid) fs.rmSync(path.join(o.dataDir, PID_FILE), { force: true });
  };
  if (!isProcessAlive(pid)) return cleanup();
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isProcessAlive(pid)) {
    (o.log ?? stderrLogger)(`broker pid ${pid} did not exit within ${timeoutMs} ms, sending SIGKILL`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    const killDeadline = Date.now() + 5000;
    while (isProcessAlive(pid) && Date.now() < killDeadline) await sleep(50);
  }
  cleanup();
}

export type StopTarget = number | Pick<LocalKafka, 'stop'> | { dataDir: string };

/**
 * Stops a broker given its pid, a handle from startLocalKafka(), or its data dir (pid file).
 * Resolves true when a broker was running and has been stopped, false when nothing ran.
 */
export async function stopLocalKafka(target: StopTarget, opts: { timeoutMs?: number; log?: Logger } = {}): Promise<boolean> {
  if (typeof target === 'number') {
    if (!isProcessAlive(target)) return false;
    if (!looksLikeKafka(target)) throw new Error(`local-kafka: pid ${target} is not a Kafka broker; not stopping it`);
    await stopPid(target, { timeoutMs: opts.timeoutMs, log: opts.log });
    return true;
  }
  if ('stop' in target) {
    await target.stop();
    return true;
  }
  const dataDir = path.resolve(target.dataDir);
  const pid = runningPid(dataDir);
  if (pid === undefined) {
    fs.rmSync(path.join(dataDir, PID_FILE), { force: true });
    return false;
  }
  await stopPid(pid, { dataDir, timeoutMs: opts.timeoutMs, log: opts.log });
  return true;
}

export interface LocalKafkaStatus {
  running: boolean;
  dataDir: string;
  pid?: number;
  brokers?: string;
  /** The broker answered an admin request. */
  ready?: boolean;
}

export async function localKafkaStatus(dataDir: string = DEFAULT_DATA_DIR): Promise<LocalKafkaStatus> {
  const dir = path.resolve(dataDir);
  const pid = runningPid(dir);
  if (pid === undefined) return { running: false, dataDir: dir };
  const state = readState(dir);
  const brokers = state?.pid === pid ? state.brokers : undefined;
  const ready = brokers ? await pingKafka(brokers, 2000) : false;
  return { running: true, dataDir: dir, pid, ...(brokers ? { brokers } : {}), ready };
}

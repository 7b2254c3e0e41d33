/**
 * Ingest throughput on one core: the collector (OTLP/HTTP protobuf → contract batches → in-process
 * bus, a consumer that drops them) against a bare Node http server that reads and discards the
 * same bodies. Each server runs in a child process pinned to one core (taskset -c 1); the load
 * generator runs here, pinned to core 0, over loopback with keep-alive and a few connections.
 *
 * Besides throughput it reports each server's CPU time per request (from /proc), whose ratio
 * holds better when the core is shared with other work and throughput figures wander. The two
 * servers take turns for BENCH_ROUNDS rounds (bare, collector, bare, collector, ...), so that a
 * neighbour's load falls on both alike, and the ratios are of the medians.
 *
 *   npm run bench:ingest            (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_SPANS, BENCH_CHECK_PROTOBUF to vary)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const WARMUP_SECONDS = 2;
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 4);
const SPANS_PER_REQUEST = Number(process.env['BENCH_SPANS'] ?? 500);
const SERVER_CORE = '1';
const LOAD_CORE = '0';

type Kind = 'collector' | 'bare';

// ---- the servers (child processes) ----------------------------------------------------------

async function serveCollector(): Promise<number> {
  const { loadConfig } = await import('@homeostat/config');
  const { runServices } = await import('@homeostat/runtime');
  const { JsonLogger } = await import('@homeostat/telemetry');
  const { MemoryIdempotencyStore } = await import('@homeostat/bus');
  const { collectorService } = await import('../src/index');
  const config = loadConfig({
    HOMEOSTAT_MODE: 'embedded',
    HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'ingest-bench-')),
    COLLECTOR_PORT: '0',
    LOG_LEVEL: 'error',
    HOMEOSTAT_INPROCESS_QUEUE_LIMIT: '1000000',
    // BENCH_CHECK_PROTOBUF=true measures the collector checking each span (partial_success).
    COLLECTOR_CHECK_PROTOBUF: process.env['BENCH_CHECK_PROTOBUF'] ?? 'false',
  });
  const stack = await runServices([collectorService], config, new JsonLogger('bench', 'error'));
  // A consumer that drops what it gets, so the queue never pushes back. It decodes events as
  // the stages do (envelope and contract check; for OTLP protobuf events, the ce_ headers only),
  // not raw: a raw subscription (for dead letters) identifies a message by hashing its bytes.
  await stack.bus.subscribe({
    decode: 'event',
    group: 'bench-drop',
    topics: ['telemetry.spans'],
    retry: { maxAttempts: 1, backoffMs: 0 },
    idempotency: new MemoryIdempotencyStore(1000),
    handler: () => Promise.resolve(),
  });
  const [collector] = stack.services;
  if (!collector) throw new Error('the collector did not start');
  return Number(new URL(collector.url).port);
}

function serveBare(): Promise<number> {
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

// ---- the load generator (this process) ------------------------------------------------------

async function payload(): Promise<Buffer> {
  const { benchTracesRequest } = await import('@homeostat/otlp/testing');
  return benchTracesRequest(SPANS_PER_REQUEST);
}

function post(agent: Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function load(port: number, body: Buffer, seconds: number): Promise<{ requests: number; failed: number; elapsedS: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const deadline = Date.now() + seconds * 1000;
  const start = process.hrtime.bigint();
  let requests = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < deadline) {
        const status = await post(agent, port, body);
        if (status === 200) requests++;
        else failed++;
      }
    }),
  );
  agent.destroy();
  return { requests, failed, elapsedS: Number(process.hrtime.bigint() - start) / 1e9 };
}

const hasTaskset = spawnSync('taskset', ['-V']).status === 0;

function startServer(kind: Kind): Promise<{ child: ChildProcess; port: number }> {
  const args = [
    '-r',
    '@swc-node/register',
    ...process.execArgv.filter((a) => a.startsWith('--cpu-prof') || a.startsWith('--trace-gc')),
    __filename,
    '--serve',
    kind,
  ];
  const child = hasTaskset
    ? spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const stdout = child.stdout;
  if (!stdout) throw new Error('no stdout from the server process');
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stdout });
    lines.on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** CPU seconds (user + system) a process has used so far, from /proc; undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

interface Measured {
  spansPerSecond: number;
  /** Server CPU per request: unlike throughput, barely moved by others sharing the core. */
  cpuMicrosPerRequest: number | undefined;
}

async function measure(kind: Kind, body: Buffer): Promise<Measured> {
  const { child, port } = await startServer(kind);
  try {
    await load(port, body, WARMUP_SECONDS);
    const cpuBefore = cpuSeconds(child.pid);
    const r = await load(port, body, SECONDS);
    const cpuAfter = cpuSeconds(child.pid);
    const spansPerSecond = (r.requests * SPANS_PER_REQUEST) / r.elapsedS;
    const cpu = cpuBefore !== undefined && cpuAfter !== undefined && r.requests > 0 ? cpuAfter - cpuBefore : undefined;
    const cpuMicrosPerRequest = cpu !== undefined ? (cpu * 1e6) / r.requests : undefined;
    process.stdout.write(
      `${kind.padEnd(9)} ${r.requests} requests in ${r.elapsedS.toFixed(1)} s (${r.failed} not 200): ${(r.requests / r.elapsedS).toFixed(0)} req/s, ${Math.round(spansPerSecond).toLocaleString('en')} spans/s` +
        (cpu !== undefined && cpuMicrosPerRequest !== undefined
          ? `; server CPU ${((cpu / r.elapsedS) * 100).toFixed(0)} % of a core, ${cpuMicrosPerRequest.toFixed(0)} µs/request`
          : '') +
        '\n',
    );
    return { spansPerSecond, cpuMicrosPerRequest };
  } finally {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  }
}

async function main(): Promise<void> {
  const serve = process.argv.indexOf('--serve');
  if (serve >= 0) {
    const kind = process.argv[serve + 1] as Kind;
    const port = kind === 'collector' ? await serveCollector() : await serveBare();
    process.stdout.write(`PORT ${port}\n`);
    process.on('SIGINT', () => process.exit(0));
    return;
  }
  if (hasTaskset) spawnSync('taskset', ['-p', '-c', LOAD_CORE, String(process.pid)]);
  const body = await payload();
  process.stdout.write(
    `ingest bench: ${SPANS_PER_REQUEST} spans × 20 attributes per request (${(body.length / 1024).toFixed(0)} KiB protobuf), ${CONNECTIONS} keep-alive connections, ${SECONDS} s per side after ${WARMUP_SECONDS} s warm-up; ` +
      `servers ${hasTaskset ? `pinned to core ${SERVER_CORE}` : 'NOT pinned (no taskset)'}\n`,
  );
  const runs: Record<Kind, Measured[]> = { bare: [], collector: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1) process.stdout.write(`round ${round} of ${ROUNDS}\n`);
    runs.bare.push(await measure('bare', body));
    runs.collector.push(await measure('collector', body));
  }
  const bare = runs.bare.map((m) => m.spansPerSecond);
  const collector = runs.collector.map((m) => m.spansPerSecond);
  process.stdout.write(
    `median of ${ROUNDS}: bare ${Math.round(median(bare)).toLocaleString('en')} spans/s, collector ${Math.round(median(collector)).toLocaleString('en')} spans/s\n` +
      `ratio collector / bare: ${(median(collector) / median(bare)).toFixed(3)} (target ≥ 0.5; per round: ${collector.map((c, i) => (c / (bare[i] as number)).toFixed(3)).join(', ')})\n`,
  );
  // On a core shared with other work, throughput moves with the neighbours; CPU per request
  // moves less, so its ratio says more about what each would do with the core to itself.
  const cpu = (ms: Measured[]): number[] => ms.flatMap((m) => (m.cpuMicrosPerRequest === undefined ? [] : [m.cpuMicrosPerRequest]));
  if (cpu(runs.bare).length === ROUNDS && cpu(runs.collector).length === ROUNDS) {
    const b = median(cpu(runs.bare));
    const c = median(cpu(runs.collector));
    process.stdout.write(
      `ratio by server CPU per request (bare ${b.toFixed(0)} µs / collector ${c.toFixed(0)} µs): ${(b / c).toFixed(3)}\n`,
    );
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * The whole embedded pipeline under OTLP traces load, as a user runs it: `homeostat start`
 * (every stage in one process, in-process bus, chDB in a temp data dir, the shop's loops) pinned
 * to one core (taskset -c 1), and, in the same run, a bare Node HTTP server on that core that only
 * reads the bodies. The load generator runs here (core 0) over loopback: undici, N keep-alive
 * connections, the same request over and over (100 spans of ~20 attributes), for a fixed time;
 * OTLP/JSON first, then OTLP/protobuf, each against a fresh stack.
 *
 * Per encoding it prints: spans/s acknowledged (200) and stored (the learner's
 * homeostat_telemetry_items_stored_total{signal="spans"} on GET /metrics, sampled every 250 ms),
 * the time stored took to catch up with acknowledged after the load stopped, the 429/503 answers,
 * RSS before / at peak / after, the stack's CPU per 1,000 acknowledged spans by thread group (the
 * main thread runs every stage's JavaScript; with --cpu-prof DIR the main thread's share is split
 * per stage from the profile), the rows ClickHouse counts in otel_traces after a clean stop, and
 * the bare server's spans/s with the ratio.
 *
 *   npm run bench:pipeline [-- --duration S --connections N --spans N --encodings json,protobuf --catch-up-limit S --json FILE --cpu-prof DIR]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import {
  catchUpSeconds,
  counterValue,
  storedAt,
  summarizeProfile,
  threadGroup,
  type CpuProfile,
  type ProfileSummary,
  type StoredSample,
  type ThreadGroup,
} from './pipeline-figures';
import { freePort } from '../src/demo/ports';

const ROOT = resolve(__dirname, '../..');
const SERVER_CORE = '1';
const LOAD_CORE = '0';
const SAMPLE_MS = 250;
const SERVICES = ['collector', 'analyzer', 'decider', 'executor', 'learner', 'console'] as const;
type Encoding = 'json' | 'protobuf';
const CONTENT_TYPE: Record<Encoding, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

interface Options {
  durationS: number;
  connections: number;
  spans: number;
  encodings: Encoding[];
  /** How long to wait after the load for stored to reach acknowledged. */
  catchUpLimitS: number;
  json?: string;
  cpuProfDir?: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '16' },
      spans: { type: 'string', default: '100' },
      encodings: { type: 'string', default: 'json,protobuf' },
      'catch-up-limit': { type: 'string', default: '120' },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const positive = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${text}"`);
    return n;
  };
  const encodings = values.encodings.split(',').map((e) => e.trim());
  for (const e of encodings) if (e !== 'json' && e !== 'protobuf') throw new Error(`--encodings: "${e}" is not json or protobuf`);
  return {
    durationS: positive('duration', values.duration),
    connections: positive('connections', values.connections),
    spans: positive('spans', values.spans),
    encodings: encodings as Encoding[],
    catchUpLimitS: positive('catch-up-limit', values['catch-up-limit']),
    ...(values.json ? { json: resolve(values.json) } : {}),
    ...(values['cpu-prof'] ? { cpuProfDir: resolve(values['cpu-prof']) } : {}),
  };
}

// ---- /proc ----------------------------------------------------------------------------------

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** utime + stime in seconds from a /proc stat line (fields after the command name, which may hold spaces). */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds of the process so far (threads that ended included), and of its live threads by group. */
function cpuByGroup(pid: number): { total: number; groups: Record<ThreadGroup, number> } | undefined {
  try {
    const total = statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const groups: Record<ThreadGroup, number> = { 'js-main': 0, 'node-workers': 0, clickhouse: 0 };
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        const seconds = statCpuSeconds(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
        groups[threadGroup(comm, Number(tid) === pid)] += seconds;
      } catch {
        // the thread ended between the listing and the read
      }
    }
    // Threads that ended are only in the process's total: charge them to ClickHouse's, whose pools come and go.
    const live = Object.values(groups).reduce((a, b) => a + b, 0);
    groups.clickhouse += Math.max(0, total - live);
    return { total, groups };
  } catch {
    return undefined;
  }
}

function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---- servers --------------------------------------------------------------------------------

const hasTaskset = spawnSync('taskset', ['-V']).status === 0;

function spawnPinned(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return hasTaskset
    ? spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function serveBare(): void {
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${(server.address() as { port: number }).port}\n`));
  process.on('SIGINT', () => process.exit(0));
}

async function startBare(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnPinned(['-r', '@swc-node/register', __filename, '--serve-bare'], process.env);
  child.stderr?.pipe(process.stderr);
  const port = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line);
      if (m) resolvePort(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
  });
  return { child, port };
}

interface Stack {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  ports: Record<(typeof SERVICES)[number], number>;
  stderrTail: string[];
}

async function startStack(cpuProfDir: string | undefined): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pipeline-bench-'));
  const ports = {} as Stack['ports'];
  for (const s of SERVICES) ports[s] = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TZ: 'UTC',
    LOG_LEVEL: 'error',
    HOMEOSTAT_MODE: 'embedded',
    LEARNER_URL: `http://127.0.0.1:${ports.learner}`,
  };
  for (const s of SERVICES) env[`${s.toUpperCase()}_PORT`] = String(ports[s]);
  const args = [
    ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
    join(ROOT, 'cli/bin/homeostat.js'),
    'start',
    '--data-dir',
    dataDir,
    '--loops',
    join(ROOT, 'examples/shop/loops'),
  ];
  const child = spawnPinned(args, env);
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
  });
  child.stdout?.resume();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`homeostat start exited with ${exited}:\n${stderrTail.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`the stack was not ready within 90 s:\n${stderrTail.join('\n')}`);
    const ready = await fetch(`http://127.0.0.1:${ports.collector}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    await sleep(250);
  }
  return { child, pid: child.pid as number, dataDir, ports, stderrTail };
}

/** Stops the stack with SIGINT (a clean shutdown: stages drain and commit) and says how it ended and how long it took. */
async function stopStack(stack: Stack): Promise<{ exit: string; seconds: number }> {
  const started = Date.now();
  const ended = (): string | undefined =>
    stack.child.exitCode !== null ? `exit ${stack.child.exitCode}` : stack.child.signalCode !== null ? stack.child.signalCode : undefined;
  const already = ended();
  if (already) return { exit: already, seconds: 0 };
  await new Promise<void>((done) => {
    stack.child.once('exit', () => done());
    stack.child.kill('SIGINT');
  });
  return { exit: ended() ?? '?', seconds: (Date.now() - started) / 1000 };
}

interface Scrape {
  stored: number;
  /** Span events waiting in the in-process bus, all consumer groups together. */
  queued: number;
  text: string;
}

async function scrape(port: number): Promise<Scrape> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return {
    stored: counterValue(text, 'homeostat_telemetry_items_stored_total', { signal: 'spans' }) ?? 0,
    queued: counterValue(text, 'homeostat_bus_queue_depth', { topic: 'telemetry.spans' }) ?? 0,
    text,
  };
}

/** Rows and seconds per insert into otel_traces, from the learner's histograms. */
function insertFigures(text: string): { inserts: number; meanRows: number | null; meanSeconds: number | null } {
  const table = { table: 'otel_traces' };
  const inserts = counterValue(text, 'homeostat_store_insert_batch_rows_count', table) ?? 0;
  const rows = counterValue(text, 'homeostat_store_insert_batch_rows_sum', table) ?? 0;
  const seconds = counterValue(text, 'homeostat_store_insert_duration_seconds_sum', table);
  return { inserts, meanRows: inserts ? rows / inserts : null, meanSeconds: inserts && seconds !== undefined ? seconds / inserts : null };
}

async function clickhouseSpanCount(dataDir: string): Promise<number> {
  // The stack has stopped and closed chDB: this process may open its data directory.
  const { createStoreClient } = await import('@homeostat/store');
  const store = await createStoreClient({ dataDir });
  try {
    const rs = await store.client.query({ query: 'SELECT count() AS n FROM otel_traces', format: 'JSONEachRow' });
    const [row] = await rs.json<{ n: string }>();
    return Number(row?.n ?? 0);
  } finally {
    await store.close();
  }
}

// ---- load -----------------------------------------------------------------------------------

interface LoadResult {
  statuses: Record<string, number>;
  elapsedS: number;
  startedMs: number;
  endedMs: number;
}

async function load(port: number, body: Buffer, encoding: Encoding, o: Options, tick?: () => void): Promise<LoadResult> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: o.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const statuses: Record<string, number> = {};
  const startedMs = Date.now();
  const deadline = startedMs + o.durationS * 1000;
  const timer = tick ? setInterval(tick, SAMPLE_MS) : undefined;
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (Date.now() < deadline) {
        try {
          const res = await pool.request({
            path: '/v1/traces',
            method: 'POST',
            headers: { 'content-type': CONTENT_TYPE[encoding] },
            body,
          });
          await res.body.dump();
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          // Back-pressure answers: wait a little, as an exporter would (not the whole Retry-After,
          // which would idle the bench), so the refused requests do not spin the generator.
          if (res.statusCode === 429 || res.statusCode === 503) await sleep(50);
        } catch {
          statuses['error'] = (statuses['error'] ?? 0) + 1;
          await sleep(50);
        }
      }
    }),
  );
  if (timer) clearInterval(timer);
  const endedMs = Date.now();
  await pool.close();
  return { statuses, elapsedS: (endedMs - startedMs) / 1000, startedMs, endedMs };
}

// ---- one encoding ---------------------------------------------------------------------------

interface CpuWindow {
  /** The spans the CPU is divided by: acknowledged during the load, stored during the catch-up. */
  spans: number;
  seconds: Record<string, number>;
  msPer1000Spans: Record<string, number>;
}

interface EncodingFigures {
  encoding: Encoding;
  requestBytes: number;
  bare: { spansPerSecond: number; statuses: Record<string, number> };
  stack: {
    acknowledgedSpans: number;
    acknowledgedPerSecond: number;
    storedDuringLoadPerSecond: number;
    storedAtEnd: number;
    catchUpSeconds: number | null;
    storedPerSecondUntilCaughtUp: number | null;
    clickhouseCount: number;
    /** The most span events waiting in the bus at one sample. */
    queuedPeak: number;
    inserts: ReturnType<typeof insertFigures>;
    statuses: Record<string, number>;
    rssMiB: { before: number | null; peak: number | null; after: number | null };
    /** The stored counter at the last scrape, before the stack was stopped. */
    storedLast: number;
    /** How the stack ended after SIGINT, and how long its shutdown took. */
    stop: { exit: string; seconds: number };
    cpuLoad: CpuWindow | null;
    cpuCatchUp: CpuWindow | null;
    profile?: { file: string; summary: ProfileSummary; mainThreadMsPer1000SpansByStage: Record<string, number> };
  };
  ratio: number;
}

async function runEncoding(encoding: Encoding, o: Options): Promise<EncodingFigures> {
  const { benchTracesRequest, benchTracesRequestJson } = await import('@homeostat/otlp/testing');
  const body = encoding === 'json' ? benchTracesRequestJson(o.spans) : benchTracesRequest(o.spans);
  out(`\n== OTLP/${encoding}: ${o.spans} spans × ~20 attributes per request (${(body.length / 1024).toFixed(1)} KiB) ==\n`);

  const bare = await startBare();
  let bareResult: LoadResult;
  try {
    bareResult = await load(bare.port, body, encoding, o);
  } finally {
    bare.child.kill('SIGINT');
  }
  const bareOk = bareResult.statuses['200'] ?? 0;
  const bareSpansPerSecond = (bareOk * o.spans) / bareResult.elapsedS;
  out(
    `bare server   ${Math.round(bareSpansPerSecond).toLocaleString('en')} spans/s (${bareOk} requests in ${bareResult.elapsedS.toFixed(1)} s)\n`,
  );

  const profDir = o.cpuProfDir ? join(o.cpuProfDir, encoding) : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const stack = await startStack(profDir);
  try {
    const rssBefore = rssMiB(stack.pid);
    let rssPeak = rssBefore ?? 0;
    const samples: StoredSample[] = [];
    let queuedPeak = 0;
    let sampling = false;
    const sample = (): void => {
      if (sampling) return; // a slow scrape under load: skip a beat rather than pile up
      sampling = true;
      const atMs = Date.now();
      rssPeak = Math.max(rssPeak, rssMiB(stack.pid) ?? 0);
      scrape(stack.ports.learner).then(
        ({ stored, queued }) => {
          samples.push({ atMs, stored });
          queuedPeak = Math.max(queuedPeak, queued);
          sampling = false;
        },
        () => (sampling = false),
      );
    };
    const cpuBefore = cpuByGroup(stack.pid);
    const r = await load(stack.ports.collector, body, encoding, o, sample);
    const cpuAtEnd = cpuByGroup(stack.pid);
    const acknowledged = (r.statuses['200'] ?? 0) * o.spans;
    // Wait for stored to catch up (sampling on), or give up after --catch-up-limit.
    const waitUntil = Date.now() + o.catchUpLimitS * 1000;
    let caughtUpMs: number | undefined;
    let lastText = '';
    while (Date.now() < waitUntil) {
      const { stored, text } = await scrape(stack.ports.learner);
      lastText = text;
      const atMs = Date.now();
      samples.push({ atMs, stored });
      rssPeak = Math.max(rssPeak, rssMiB(stack.pid) ?? 0);
      if (stored >= acknowledged) {
        caughtUpMs = atMs;
        break;
      }
      await sleep(SAMPLE_MS);
    }
    samples.sort((a, b) => a.atMs - b.atMs);
    const cpuCaughtUp = cpuByGroup(stack.pid);
    const rssAfter = rssMiB(stack.pid);
    const catchUp = caughtUpMs === undefined ? undefined : catchUpSeconds(samples, acknowledged, r.endedMs);
    const storedAtEnd = storedAt(samples, r.endedMs);
    const storedAtStart = storedAt(samples, r.startedMs);
    const inserts = insertFigures(lastText);
    const storedLast = samples.at(-1)?.stored ?? 0;
    const stopped = await stopStack(stack);
    const clickhouseCount = await clickhouseSpanCount(stack.dataDir);

    // CPU during the load per 1,000 acknowledged spans (ingest, and what analysis and storage kept
    // up with meanwhile); CPU after it, until caught up or given up, per 1,000 spans stored then.
    const cpu = (from: typeof cpuBefore, to: typeof cpuBefore, spans: number): CpuWindow | null => {
      if (!from || !to || spans <= 0) return null;
      const seconds: Record<string, number> = { total: to.total - from.total };
      for (const g of Object.keys(from.groups) as ThreadGroup[]) seconds[g] = to.groups[g] - from.groups[g];
      return { spans, seconds, msPer1000Spans: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, (v * 1e6) / spans])) };
    };
    const cpuLoad = cpu(cpuBefore, cpuAtEnd, acknowledged);
    const cpuCatchUp = cpu(cpuAtEnd, cpuCaughtUp, storedLast - storedAtEnd);

    const figures: EncodingFigures['stack'] = {
      acknowledgedSpans: acknowledged,
      acknowledgedPerSecond: acknowledged / r.elapsedS,
      storedDuringLoadPerSecond: (storedAtEnd - storedAtStart) / r.elapsedS,
      storedAtEnd,
      catchUpSeconds: catchUp ?? null,
      storedPerSecondUntilCaughtUp: catchUp === undefined ? null : acknowledged / (r.elapsedS + catchUp),
      clickhouseCount,
      queuedPeak,
      inserts,
      statuses: r.statuses,
      rssMiB: { before: rssBefore ?? null, peak: rssPeak || null, after: rssAfter ?? null },
      storedLast,
      stop: stopped,
      cpuLoad,
      cpuCatchUp,
    };
    if (profDir) {
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        const summary = summarizeProfile(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile);
        const mainMs = cpuLoad?.msPer1000Spans['js-main'] ?? 0;
        figures.profile = {
          file: join(profDir, file),
          summary,
          // The profile covers the whole process life (start-up, catch-up too); its shares are applied to the load's main-thread CPU.
          mainThreadMsPer1000SpansByStage: Object.fromEntries(summary.byStage.map((s) => [s.name, s.share * mainMs])),
        };
      }
    }
    report(encoding, o, figures, bareSpansPerSecond, r.elapsedS);
    return {
      encoding,
      requestBytes: body.length,
      bare: { spansPerSecond: bareSpansPerSecond, statuses: bareResult.statuses },
      stack: figures,
      ratio: figures.acknowledgedPerSecond / bareSpansPerSecond,
    };
  } finally {
    await stopStack(stack);
    rmSync(stack.dataDir, { recursive: true, force: true });
  }
}

function report(encoding: Encoding, o: Options, f: EncodingFigures['stack'], bare: number, elapsedS: number): void {
  const n = (x: number): string => Math.round(x).toLocaleString('en');
  const mib = (x: number | null): string => (x === null ? '?' : `${x.toFixed(0)} MiB`);
  const refused = Object.entries(f.statuses)
    .filter(([s]) => s !== '200')
    .map(([s, c]) => `${c}× ${s}`)
    .join(', ');
  out(
    `homeostat     ${n(f.acknowledgedPerSecond)} spans/s acknowledged (${n(f.acknowledgedSpans)} spans in ${elapsedS.toFixed(1)} s; ` +
      `429: ${f.statuses['429'] ?? 0}, 503: ${f.statuses['503'] ?? 0}${refused ? `; all not 200: ${refused}` : ''})\n` +
      `              ${n(f.storedDuringLoadPerSecond)} spans/s stored during the load (${n(f.storedAtEnd)} stored when it stopped)\n` +
      `              caught up ${f.catchUpSeconds === null ? `NOT within ${o.catchUpLimitS} s` : `${f.catchUpSeconds.toFixed(2)} s after the load stopped (${n(f.storedPerSecondUntilCaughtUp ?? 0)} spans/s stored from start to caught up)`}\n` +
      `              stored counter at the last scrape ${n(f.storedLast)}; SIGINT → ${f.stop.exit} after ${f.stop.seconds.toFixed(1)} s; ` +
      `then ClickHouse count(otel_traces) ${n(f.clickhouseCount)} (acknowledged ${n(f.acknowledgedSpans)}${f.clickhouseCount === f.acknowledgedSpans ? ', equal' : `, ${n(f.acknowledgedSpans - f.clickhouseCount)} MISSING`})\n` +
      `              RSS before ${mib(f.rssMiB.before)}, peak ${mib(f.rssMiB.peak)}, after ${mib(f.rssMiB.after)}; ` +
      `span events queued in the bus at most ${n(f.queuedPeak)}; ` +
      `${n(f.inserts.inserts)} inserts into otel_traces, ${f.inserts.meanRows === null ? '?' : n(f.inserts.meanRows)} rows and ` +
      `${f.inserts.meanSeconds === null ? '?' : (f.inserts.meanSeconds * 1000).toFixed(1)} ms each on average\n`,
  );
  const cpuLine = (label: string, w: CpuWindow | null, what: string): void => {
    if (!w) return;
    const per = w.msPer1000Spans;
    out(
      `              CPU ${label} ${(w.seconds['total'] ?? 0).toFixed(1)} s, per 1,000 spans ${what}: ${(per['total'] ?? 0).toFixed(1)} ms = ` +
        `JS main thread (all stages) ${(per['js-main'] ?? 0).toFixed(1)}, node's other threads (V8 GC and compiler; libuv pool, where chDB's queries run) ` +
        `${(per['node-workers'] ?? 0).toFixed(1)}, ClickHouse's own threads (pools, merges) and ended threads ${(per['clickhouse'] ?? 0).toFixed(1)}\n`,
    );
  };
  cpuLine(`during the load (${(((f.cpuLoad?.seconds['total'] ?? 0) / elapsedS) * 100).toFixed(0)} % of a core)`, f.cpuLoad, 'acknowledged');
  cpuLine('after the load', f.cpuCatchUp, `stored after the load (${n(f.cpuCatchUp?.spans ?? 0)})`);
  if (f.profile) {
    const stages = Object.entries(f.profile.mainThreadMsPer1000SpansByStage)
      .filter(([, ms]) => ms >= 0.005)
      .map(([s, ms]) => `${s} ${ms.toFixed(2)}`)
      .join(', ');
    out(
      `              main thread per 1,000 spans acknowledged by calling stage (the load's main-thread CPU split by the profile's shares): ${stages}\n`,
    );
    const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;
    out(
      `              profile self time by library: ${f.profile.summary.byLibrary
        .slice(0, 14)
        .map((l) => `${l.name} ${pct(l.share)}`)
        .join(', ')}\n`,
    );
    out(`              top functions (self time):\n`);
    for (const t of f.profile.summary.top.slice(0, 20)) out(`                ${pct(t.share).padStart(7)}  ${t.fn}  ${t.where}\n`);
    out(`              profile: ${f.profile.file}\n`);
  }
  out(`ratio homeostat / bare: ${(f.acknowledgedPerSecond / bare).toFixed(3)} (${encoding}, ${o.connections} connections)\n`);
}

function out(text: string): void {
  process.stdout.write(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve-bare')) return serveBare();
  process.env['TZ'] = 'UTC';
  const o = options();
  if (hasTaskset) spawnSync('taskset', ['-p', '-c', LOAD_CORE, String(process.pid)]);
  out(
    `pipeline bench: homeostat start (embedded, every stage, chDB) vs a bare Node server, ${o.connections} connections, ${o.durationS} s of load each; ` +
      `servers ${hasTaskset ? `pinned to core ${SERVER_CORE}, load generator to core ${LOAD_CORE}` : 'NOT pinned (no taskset)'}\n`,
  );
  const results: EncodingFigures[] = [];
  for (const e of o.encodings) results.push(await runEncoding(e, o));
  if (o.json) {
    writeFileSync(o.json, JSON.stringify({ options: o, at: new Date().toISOString(), results }, null, 2));
    out(`\nwrote ${o.json}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

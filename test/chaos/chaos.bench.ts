/**
 * Part of the black-box checks of issue 18, against real processes on loopback: a local Kafka
 * broker (tools/local-kafka), the learner and the collector each in its own process in Kafka mode,
 * and a client that sends numbered spans as OTel exporters do (10 s timeout; 429/503 and timeouts
 * sent again after Retry-After). While it sends, the learner is killed with SIGKILL and started
 * again, then the broker is stopped and started again. Hostile requests go to the collector
 * before and after. At the end the learner stops and its chDB is read here: every span id
 * acknowledged must be stored, each once.
 *
 *   npm run chaos                 (CHAOS_SPANS, CHAOS_BATCH, CHAOS_RATE spans/s to vary)
 *
 * Not (yet) in it: the analyzer, decider and executor (kill -9 mid-action, a sustained fault),
 * and a fuzz of every endpoint. Exits 1 when lost, duplicated, 5xx other than 503, or hangs are
 * not 0, or a hostile request is answered other than as expected.
 */
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalKafka, type LocalKafka } from '@homeostat/local-kafka';
import { createStoreClient } from '@homeostat/store';
import { ServiceProcess } from '../support';

const SPANS = Number(process.env['CHAOS_SPANS'] ?? 12_000);
const BATCH = Number(process.env['CHAOS_BATCH'] ?? 100);
const RATE = Number(process.env['CHAOS_RATE'] ?? 400);
const SERVICE = 'chaos-shop';
const EXPORTER_TIMEOUT_MS = 10_000;
const DATABASE = 'chaos';

interface Figures {
  requests: number;
  acknowledged: Set<number>;
  answers: Map<number, number>;
  hangs: number;
  fiveHundreds: number;
}

const figures: Figures = { requests: 0, acknowledged: new Set(), answers: new Map(), hangs: 0, fiveHundreds: 0 };
const checks: { check: string; pass: boolean; figures: string }[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

function spansRequest(first: number, count: number, serviceName = SERVICE): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: hex(first + i + 1, 32),
    spanId: hex(first + i + 1, 16),
    name: 'GET /chaos',
    kind: 2,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 1_000_000n),
    attributes: [{ key: 'http.route', value: { stringValue: '/chaos' } }],
    status: {},
  }));
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
          scopeSpans: [{ scope: { name: 'chaos' }, spans }],
        },
      ],
    }),
  );
}

async function post(url: string, body: Buffer, headers: Record<string, string>, timeoutMs = EXPORTER_TIMEOUT_MS) {
  const started = Date.now();
  try {
    const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: Number(res.headers.get('retry-after') ?? 0), ms: Date.now() - started };
  } catch (error) {
    // 0: no answer within the timeout (a hang); -1: the connection was closed without an answer.
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { status: timedOut ? 0 : -1, retryAfter: 0, ms: Date.now() - started };
  }
}

/** One batch as an exporter sends it: again after Retry-After (or 1 s) until it is acknowledged. */
async function export_(collector: () => string, first: number): Promise<void> {
  const body = spansRequest(first, BATCH);
  for (let attempt = 0; attempt < 30; attempt++) {
    figures.requests++;
    const r = await post(`${collector()}/v1/traces`, body, { 'content-type': 'application/json' });
    figures.answers.set(r.status, (figures.answers.get(r.status) ?? 0) + 1);
    if (r.status === 0) figures.hangs++;
    if (r.status >= 500 && r.status !== 503) figures.fiveHundreds++;
    if (r.status === 200) {
      for (let i = 0; i < BATCH; i++) figures.acknowledged.add(first + i + 1);
      return;
    }
    if (r.status > 0 && r.status !== 429 && r.status !== 503) return;
    await sleep(Math.max(1, r.retryAfter) * 1000);
  }
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.replace(/\D+/g, '') ?? 0) / 1024);
}

/** Hostile requests: each must be answered 4xx (or 200 for what is only looked at later) within 5 s, never 5xx or silence. */
async function hostile(url: string, when: string): Promise<void> {
  // Built as text: JSON.stringify itself overflows the stack on 5,000 levels.
  const deep = (depth: number): string =>
    `${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth)}{"stringValue":"x"}${'}]}}'.repeat(depth)}`;
  const cases: { name: string; body: Buffer; headers: Record<string, string>; expect: (s: number) => boolean }[] = [
    {
      name: '2 MB service.name',
      body: spansRequest(10_000_000, 1, 'x'.repeat(2 * 1024 * 1024)),
      headers: { 'content-type': 'application/json' },
      expect: (s) => s === 400,
    },
    {
      name: 'gzip bomb (64 MiB of zeros, 64 KiB gzipped)',
      body: gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      expect: (s) => s === 413 || s === 400,
    },
    {
      name: 'oversized body (40 MB)',
      body: Buffer.alloc(40 * 1024 * 1024, 0x20),
      headers: { 'content-type': 'application/json' },
      // Answered 413 while the client still sends: the collector closes the connection, and a
      // client may see the close before the answer. Either is fine; silence is not.
      expect: (s) => s === 413 || s === -1,
    },
    {
      name: 'attribute nested 5,000 deep',
      body: Buffer.from(
        `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"${SERVICE}"}},{"key":"deep","value":${deep(5000)}}]},"scopeSpans":[]}]}`,
      ),
      headers: { 'content-type': 'application/json' },
      expect: (s) => s === 400,
    },
  ];
  for (const c of cases) {
    const r = await post(`${url}/v1/traces`, c.body, c.headers, 5_000);
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => res.status,
      () => 0,
    );
    checks.push({
      check: `${when}: ${c.name}`,
      pass: c.expect(r.status) && r.status !== 0 && ready === 200,
      figures: `${r.status > 0 ? `answered ${r.status}` : r.status < 0 ? 'closed the connection' : 'no answer'} in ${r.ms} ms; /readyz ${ready || 'nothing'}`,
    });
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'homeostat-chaos-'));
  let kafka: LocalKafka | undefined;
  const processes: ServiceProcess[] = [];
  try {
    const broker = await startLocalKafka({ dataDir: join(root, 'kafka'), log: () => undefined });
    kafka = broker;
    const env = (name: string): Record<string, string> => ({
      HOMEOSTAT_MODE: 'kafka',
      KAFKA_BROKERS: broker.brokers,
      HOMEOSTAT_DATA_DIR: join(root, name),
      CLICKHOUSE_DATABASE: DATABASE,
      HOMEOSTAT_TOPIC_PARTITIONS: '3',
      COLLECTOR_PORT: '0',
      LEARNER_PORT: '0',
      LOG_LEVEL: 'info',
    });
    let learnerUrl = '';
    let supervisorRestarts = 0;
    const startLearner = async (): Promise<ServiceProcess> => {
      const learner = new ServiceProcess('learner', env('learner'));
      processes.push(learner);
      learnerUrl = await learner.ready();
      return learner;
    };
    let learner = await startLearner();
    const collectorProcess = new ServiceProcess('collector', env('collector'));
    processes.push(collectorProcess);
    const collectorUrl = await collectorProcess.ready();
    const rssBefore = rssMb(collectorProcess.child.pid);
    await hostile(collectorUrl, 'before');

    // Load, paced at RATE spans/s, with the learner killed twice and the broker stopped once.
    const started = Date.now();
    const sending: Promise<void>[] = [];
    const batches = Math.ceil(SPANS / BATCH);
    // The faults run on their own clock, whatever state the process they hit is in: the second
    // kill may find the learner still starting.
    const at = (fraction: number): Promise<void> => sleep(fraction * (SPANS / RATE) * 1000 - (Date.now() - started));
    const faults = (async () => {
      let starting: Promise<ServiceProcess> | undefined;
      for (const fraction of [0.2, 0.4]) {
        await at(fraction);
        learner.child.kill('SIGKILL');
        await learner.exited;
        learner = new ServiceProcess('learner', env('learner'));
        processes.push(learner);
        const next = learner;
        starting = next.ready().then((url) => ((learnerUrl = url), next));
        // A learner killed while it starts never gets ready: only the last one is awaited.
        starting.catch(() => undefined);
      }
      await at(0.6);
      await broker.stop();
      await sleep(15_000);
      kafka = await startLocalKafka({ dataDir: join(root, 'kafka'), port: broker.port, log: () => undefined });
      // A learner that was starting while the broker was down gives up and exits; a supervisor
      // (compose, Kubernetes) starts it again, as this does.
      if (
        !(await starting?.then(
          () => true,
          () => false,
        ))
      ) {
        supervisorRestarts++;
        learner = await startLearner();
      }
    })();
    for (let b = 0; b < batches; b++) {
      const due = started + (b * BATCH * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      sending.push(export_(() => collectorUrl, b * BATCH));
    }
    await Promise.all(sending);
    await faults;
    const rssAfter = rssMb(collectorProcess.child.pid);
    await hostile(collectorUrl, 'after');

    // Let the learner catch up (its lag on telemetry.spans 0 three times in a row), then read its
    // chDB here once it has stopped.
    const loadEnd = Date.now();
    for (let zero = 0; zero < 3 && Date.now() - loadEnd < 180_000; await sleep(1_000)) {
      const text = await fetch(`${learnerUrl}/metrics`, { signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.text(),
        () => '',
      );
      const lags = text.split('\n').filter((l) => l.startsWith('homeostat_bus_consumer_lag{') && l.includes('topic="telemetry.spans"'));
      zero = lags.length > 0 && lags.every((l) => Number(l.split(' ').pop()) === 0) ? zero + 1 : 0;
    }
    const catchUpS = Math.round((Date.now() - loadEnd) / 1000);
    for (const p of processes.reverse()) await p.stop();
    const store = await createStoreClient({ dataDir: join(root, 'learner'), database: DATABASE });
    const [row] = await (
      await store.client.query({
        query: `SELECT count() AS stored, uniqExact(SpanId) AS distinct, groupArray(reinterpretAsUInt64(reverse(unhex(SpanId)))) AS ids,
                       (SELECT count() FROM otel_traces FINAL WHERE ServiceName = '${SERVICE}') AS final
                FROM otel_traces WHERE ServiceName = '${SERVICE}'`,
        format: 'JSONEachRow',
      })
    ).json<{ stored: string; distinct: string; ids: string[]; final: string }>();
    await store.close();
    const storedIds = new Set((row?.ids ?? []).map(Number));
    const lost = [...figures.acknowledged].filter((id) => !storedIds.has(id)).length;
    const stored = Number(row?.stored ?? 0);
    const distinct = Number(row?.distinct ?? 0);
    // Rows a redelivery or a retry stored again stay until their parts merge (migration 0008);
    // read with FINAL, as every counting query does, each span is one row.
    const duplicatedFinal = Number(row?.final ?? 0) - distinct;
    checks.push(
      { check: 'acknowledged spans stored (lost)', pass: lost === 0, figures: `${figures.acknowledged.size} acknowledged, ${lost} lost` },
      {
        check: 'each stored once (read with FINAL)',
        pass: duplicatedFinal === 0,
        figures: `${duplicatedFinal} duplicated with FINAL; ${stored - distinct} extra rows without FINAL, waiting for a merge`,
      },
      {
        check: 'answers: no 5xx but 503, no hang',
        pass: figures.fiveHundreds === 0 && figures.hangs === 0,
        figures: `${figures.requests} requests: ${[...figures.answers].map(([s, n]) => `${s > 0 ? s : s < 0 ? 'closed' : 'timeout'}×${n}`).join(', ')}`,
      },
      { check: 'collector RSS before/after (MB)', pass: true, figures: `${rssBefore} → ${rssAfter}` },
      {
        check: 'learner caught up after the load',
        pass: catchUpS < 180,
        figures: `${catchUpS} s; restarted by the supervisor after exiting at start-up: ${supervisorRestarts}`,
      },
    );
  } finally {
    for (const p of processes) await p.stop().catch(() => undefined);
    await kafka?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
  const width = Math.max(...checks.map((c) => c.check.length));
  process.stdout.write(`chaos: ${SPANS} spans in batches of ${BATCH} at ${RATE} spans/s; learner kill -9 ×2, broker stop/start ×1\n`);
  for (const c of checks) process.stdout.write(`${c.check.padEnd(width)}  ${c.pass ? 'pass' : 'FAIL'}  ${c.figures}\n`);
  process.exitCode = checks.every((c) => c.pass) ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * The black-box suite of issue 18, against real processes on loopback: a local Kafka broker, every
 * stage in its own process in Kafka mode, the demo shop behind a logging proxy (stack.ts).
 *
 *   1. Telemetry under faults: a client sends numbered spans as OTel exporters do (client.ts)
 *      while the learner is killed -9 twice, the analyzer and the decider once each, and the
 *      broker is stopped for 15 s; hostile requests before and after.
 *   2. The executor killed -9 mid-action: a pool leak in the shop; the executor is killed while
 *      its actuator call is held by the proxy, then again while it verifies a later action.
 *   3. A sustained fault: the pool leak re-injected every 2 s for CHAOS_SUSTAINED_S; /health
 *      sampled every second against the incidents the loop has open; the analyzer and the decider
 *      killed -9 meanwhile.
 *   4. A seeded fuzz of every HTTP endpoint of the collector and the console (fuzz.ts).
 * At the end the learner's chDB is read here: every acknowledged span stored, each once; every
 * action started has its outcome in the ledger; no action was applied twice (the proxy's record).
 *
 *   npm run chaos [-- --json FILE] [--logs DIR]
 * --logs DIR keeps every stage's output (all incarnations) there; a failing run keeps it anyway, in
 * a directory it names, since its cause is in what the stages said before and after their kills.
 *   CHAOS_SUSTAINED_S (600), CHAOS_SPANS (12000), CHAOS_BATCH (100), CHAOS_RATE (400 spans/s),
 *   CHAOS_SEED (18), CHAOS_FUZZ_COUNT (2000), CHAOS_FUZZ_S (240), CHAOS_ACTUATOR_DELAY_MS (3000)
 *
 * Exits 1 when lost, duplicated, actions twice, outcomes missing, 5xx, hangs, incidents resolved
 * twice or a sustained-fault check is not 0.
 */
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoreClient } from '@homeostat/store';
import { Answers, request, sleep, SpanClient, spansRequest } from './client';
import { fuzz, deepAnyValue } from './fuzz';
import { passes, printTable, writeJson, type Row } from './table';
import { ADMIN_TOKEN, DATABASE, Stack, WEBHOOK_SECRET } from './stack';

const num = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got "${process.env[name]}"`);
  return value;
};
const SPANS = num('CHAOS_SPANS', 12_000);
const BATCH = num('CHAOS_BATCH', 100);
const RATE = num('CHAOS_RATE', 400);
const SUSTAINED_S = num('CHAOS_SUSTAINED_S', 600);
const SEED = num('CHAOS_SEED', 18);
const FUZZ_COUNT = num('CHAOS_FUZZ_COUNT', 2_000);
const FUZZ_S = num('CHAOS_FUZZ_S', 240);
const ACTUATOR_DELAY_MS = num('CHAOS_ACTUATOR_DELAY_MS', 3_000);
const SERVICE = 'chaos-client';
/** Longest the shop may fail with no incident open before that counts as the loop not seeing it (detection takes gatherFor + buckets). */
const BLIND_LIMIT_S = 60;

const progress = (text: string): void => {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
};

/** Hostile requests with a known right answer; each also checks /readyz answers right after. */
async function hostile(url: string, when: string, answers: Answers, wrong: string[]): Promise<void> {
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
        `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"${SERVICE}"}},{"key":"deep","value":${deepAnyValue('kvlistValue', 5000)}}]},"scopeSpans":[]}]}`,
      ),
      headers: { 'content-type': 'application/json' },
      expect: (s) => s === 400,
    },
  ];
  for (const c of cases) {
    const r = await request(`${url}/v1/traces`, { body: c.body, headers: c.headers }, 5_000);
    answers.count(r.status, `${when}: ${c.name}`);
    const ready = await request(`${url}/readyz`, { method: 'GET' }, 2_000);
    if (!c.expect(r.status) || ready.status !== 200)
      wrong.push(`${when}: ${c.name}: answered ${r.status} in ${r.ms} ms, /readyz ${ready.status}`);
  }
}

/** Phase 1: numbered spans at RATE, with the learner killed twice, the analyzer and decider once, the broker stopped for 15 s. */
async function telemetryUnderFaults(stack: Stack, client: SpanClient): Promise<void> {
  const started = Date.now();
  const total = (SPANS / RATE) * 1000;
  const at = (fraction: number): Promise<void> => sleep(fraction * total - (Date.now() - started));
  let faultsDone = false;
  const faults = (async () => {
    for (const [fraction, stage] of [
      [0.15, 'learner'],
      [0.25, 'analyzer'],
      [0.35, 'learner'],
      [0.45, 'decider'],
    ] as const) {
      await at(fraction);
      progress(`kill -9 ${stage}`);
      await stack.kill(stage);
    }
    await at(0.6);
    progress('broker stopped for 15 s');
    await stack.stopBroker();
    await sleep(15_000);
    await stack.startBroker();
    progress('broker started again');
    faultsDone = true;
  })();
  const sending: Promise<void>[] = [];
  // A restart takes longer on a busy machine: the load goes on until the last fault is over.
  for (let b = 0; b < Math.ceil(SPANS / BATCH) || !faultsDone; b++) {
    const due = started + (b * BATCH * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    sending.push(client.send(b * BATCH));
  }
  await Promise.all(sending);
  await faults;
}

/** Phase 2: the executor killed -9 while an action's call is held, then while a later one is verified. Returns what was done. */
async function executorMidAction(stack: Stack): Promise<string[]> {
  const shop = stack.shop!.url;
  const proxy = stack.proxy!;
  const observer = stack.observer;
  const done: string[] = [];
  const hasOutcome = (decisionId: string): boolean => observer.outcomes.some((o) => o.data.decisionId === decisionId);
  const until = async <T>(what: string, predicate: () => T | undefined, timeoutMs: number): Promise<T | undefined> => {
    const end = Date.now() + timeoutMs;
    for (; Date.now() < end; await sleep(100)) {
      const value = predicate();
      if (value !== undefined) return value;
    }
    done.push(`no ${what} within ${timeoutMs / 1000} s`);
    return undefined;
  };

  await request(`${shop}/faults/pool-leak`, { method: 'POST' });
  const held = await until('actuator call', () => proxy.inFlight()[0], 240_000);
  if (held) {
    progress(`kill -9 executor mid-call (${held.method} ${held.path}, key ${held.key})`);
    await stack.kill('executor');
    done.push(`mid-call: ${held.method} ${held.path}`);
    await until('outcome of the call cut short', () => (hasOutcome(held.key) ? true : undefined), 120_000);
  }
  // Another action: the leak again once the loop has answered the first; killed after the shop
  // answered, before the outcome (the executor verifies: three /health 200s, 1 s apart).
  const before = proxy.calls.length;
  await request(`${shop}/faults/pool-leak`, { method: 'POST' });
  const answered = await until(
    'second action answered',
    () => proxy.calls.slice(before).find((c) => c.answeredAt !== undefined && !c.key.endsWith(':rollback') && !hasOutcome(c.key)),
    240_000,
  );
  if (answered) {
    await sleep(500);
    if (!hasOutcome(answered.key)) {
      progress(`kill -9 executor mid-verification (${answered.method} ${answered.path}, key ${answered.key})`);
      await stack.kill('executor');
      done.push(`mid-verification: ${answered.method} ${answered.path}`);
    } else done.push('the second action was verified before the kill');
  }
  return done;
}

interface Sustained {
  samples: number;
  failing: number;
  resolvedWhileFailing: string[];
  blindStretches: number[];
  incidents: number;
  decisions: number;
  kills: string[];
}

/** Phase 3: the pool leak re-injected every 2 s; /health against the incidents open, once a second. */
async function sustainedFault(stack: Stack, seconds: number): Promise<Sustained> {
  const shop = stack.shop!.url;
  const observer = stack.observer;
  const start = Date.now();
  const health: { at: number; status: number }[] = [];
  const result: Sustained = { samples: 0, failing: 0, resolvedWhileFailing: [], blindStretches: [], incidents: 0, decisions: 0, kills: [] };
  const openedBefore = observer.opened.length;
  const resolvedBefore = observer.resolved.length;
  const decisionsBefore = observer.decisions.length;
  let blindSince: number | undefined;
  // The stages that see and decide are killed -9 while the fault goes on (an incident open, decisions
  // being made): the analyzer at a quarter of it, the decider at half.
  const kills = (async () => {
    for (const [fraction, stage] of [
      [0.25, 'analyzer'],
      [0.5, 'decider'],
    ] as const) {
      await sleep(start + fraction * seconds * 1000 - Date.now());
      progress(`kill -9 ${stage} during the sustained fault (open incidents ${observer.openIncidents().length})`);
      await stack.kill(stage);
      result.kills.push(stage);
    }
  })();
  for (let tick = 0; Date.now() - start < seconds * 1000; tick++) {
    if (tick % 2 === 0) await request(`${shop}/faults/pool-leak`, { method: 'POST' }, 5_000);
    const h = await request(`${shop}/health`, { method: 'GET' }, 5_000);
    health.push({ at: Date.now(), status: h.status });
    result.samples++;
    const failing = h.status !== 200;
    if (failing) result.failing++;
    const open = observer.openIncidents().length > 0;
    if (failing && !open) blindSince ??= Date.now();
    else if (blindSince !== undefined) {
      result.blindStretches.push(Math.round((Date.now() - blindSince) / 1000));
      blindSince = undefined;
    }
    if (tick % 30 === 0)
      progress(
        `sustained fault: ${Math.round((Date.now() - start) / 1000)} s, /health ${h.status}, open incidents ${observer.openIncidents().length}`,
      );
    await sleep(1_000);
  }
  await kills;
  if (blindSince !== undefined) result.blindStretches.push(Math.round((Date.now() - blindSince) / 1000));
  // A resolve while the shop failed: every /health sample in the 5 s before it was not 200.
  for (const r of observer.resolved.slice(resolvedBefore)) {
    const window = health.filter((s) => s.at <= r.at && s.at > r.at - 5_000);
    if (window.length >= 3 && window.every((s) => s.status !== 200))
      result.resolvedWhileFailing.push(`${r.data.incidentId} at +${Math.round((r.at - start) / 1000)} s`);
  }
  result.incidents = observer.opened.length - openedBefore;
  result.decisions = observer.decisions.length - decisionsBefore;
  return result;
}

/** Decisions whose action started and that have no outcome: on the bus (the observer) and in the ledger (the console's API). */
async function outcomesMissing(stack: Stack, waitMs: number): Promise<{ missing: string[]; started: number }> {
  const observer = stack.observer;
  const startedIds = () => [...new Set(observer.started.map((s) => s.data.decisionId))];
  const noOutcome = (): string[] => startedIds().filter((id) => !observer.outcomes.some((o) => o.data.decisionId === id));
  const end = Date.now() + waitMs;
  // Settled: every started action has its outcome, for 10 s in a row (the loop may still start one
  // on an incident that is open when the fault stops). Actions that start later are not counted.
  for (let quiet = 0; quiet < 10 && Date.now() < end;) {
    await sleep(1_000);
    quiet = noOutcome().length === 0 ? quiet + 1 : 0;
  }
  const pending = noOutcome();
  const ledgerStarted = async (): Promise<string[]> => {
    const r = await request(`${stack.url('console')}/api/decisions?limit=1000&loop=shop`, {
      method: 'GET',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (r.status !== 200) return [`the ledger answered ${r.status}`];
    const parsed = JSON.parse(r.body) as unknown;
    const rows = (Array.isArray(parsed) ? parsed : (Object.values(parsed as object).find(Array.isArray) ?? [])) as {
      decision_id: string;
      outcome: string;
    }[];
    return rows.filter((row) => row.outcome === 'started').map((row) => row.decision_id);
  };
  let inLedger = await ledgerStarted();
  // The learner writes the outcome a moment after the bus carries it.
  for (let i = 0; i < 30 && inLedger.length > 0; i++) {
    await sleep(1_000);
    inLedger = await ledgerStarted();
  }
  return { missing: [...new Set([...pending, ...inLedger])], started: startedIds().length };
}

async function storedSpans(dataDir: string): Promise<{ ids: Set<number>; rows: number; final: number; distinct: number }> {
  const store = await createStoreClient({ dataDir, database: DATABASE });
  try {
    const [row] = await (
      await store.client.query({
        query: `SELECT count() AS stored, uniqExact(SpanId) AS distinct, groupArray(reinterpretAsUInt64(reverse(unhex(SpanId)))) AS ids,
                       (SELECT count() FROM otel_traces FINAL WHERE ServiceName = '${SERVICE}') AS final
                FROM otel_traces WHERE ServiceName = '${SERVICE}'`,
        format: 'JSONEachRow',
      })
    ).json<{ stored: string; distinct: string; ids: string[]; final: string }>();
    return {
      ids: new Set((row?.ids ?? []).map(Number)),
      rows: Number(row?.stored ?? 0),
      final: Number(row?.final ?? 0),
      distinct: Number(row?.distinct ?? 0),
    };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const jsonAt = process.argv.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? process.argv[jsonAt + 1] : undefined;
  if (jsonAt >= 0 && !jsonFile) throw new Error('--json needs a file name');
  const logsAt = process.argv.indexOf('--logs');
  const logsDir = logsAt >= 0 ? process.argv[logsAt + 1] : undefined;
  if (logsAt >= 0 && !logsDir) throw new Error('--logs needs a directory');
  let failed = true;
  const root = mkdtempSync(join(tmpdir(), 'homeostat-chaos-'));
  const stack = new Stack(root);
  const rows: Row[] = [];
  const title = `chaos: ≥ ${SPANS} spans (until the last fault is over) in batches of ${BATCH} at ${RATE} spans/s; kill -9 learner ×2, analyzer ×2, decider ×2, executor mid-call and mid-verification; broker stop/start; sustained fault ${SUSTAINED_S} s; fuzz seed ${SEED}, ≤ ${FUZZ_COUNT} requests in ≤ ${FUZZ_S} s`;
  try {
    progress('starting the stack (broker, six stages, shop)');
    await stack.start(ACTUATOR_DELAY_MS);
    const client = new SpanClient(() => stack.url('collector'), SERVICE, BATCH);
    const hostileAnswers = new Answers();
    const wrong: string[] = [];
    await hostile(stack.url('collector'), 'before', hostileAnswers, wrong);

    progress('phase 1: telemetry under faults');
    await telemetryUnderFaults(stack, client);
    // The collector says it is not ready until a publish goes through after the broker is back.
    const readyEnd = Date.now() + 60_000;
    while ((await request(`${stack.url('collector')}/readyz`, { method: 'GET' }, 2_000)).status !== 200 && Date.now() < readyEnd)
      await sleep(500);
    await hostile(stack.url('collector'), 'after', hostileAnswers, wrong);

    progress('phase 2: the executor killed mid-action');
    await stack.superviseOnce();
    const midAction = await executorMidAction(stack);

    progress(`phase 3: sustained fault for ${SUSTAINED_S} s`);
    const sustained = await sustainedFault(stack, SUSTAINED_S);
    await request(`${stack.shop!.url}/faults`, { method: 'DELETE' });

    progress('settling: every started action has its outcome');
    const outcomes = await outcomesMissing(stack, 180_000);

    progress('phase 4: fuzz');
    const fuzzed = await fuzz({
      seed: SEED,
      count: FUZZ_COUNT,
      budgetMs: FUZZ_S * 1000,
      collectorUrl: stack.url('collector'),
      consoleUrl: stack.url('console'),
      token: ADMIN_TOKEN,
      webhookSecret: WEBHOOK_SECRET,
    });
    const readyAfterFuzz = await Promise.all(
      (['collector', 'console'] as const).map(
        async (s) => `${s} ${(await request(`${stack.url(s)}/readyz`, { method: 'GET' }, 5_000)).status}`,
      ),
    );

    // The learner catches up (its lag on telemetry.spans 0 three times in a row), then stops and its chDB is read here.
    const loadEnd = Date.now();
    for (let zero = 0; zero < 3 && Date.now() - loadEnd < 180_000; await sleep(1_000)) {
      const text = (await request(`${stack.url('learner')}/metrics`, { method: 'GET' }, 5_000)).body;
      const lags = text.split('\n').filter((l) => l.startsWith('homeostat_bus_consumer_lag{') && l.includes('topic="telemetry.spans"'));
      zero = lags.length > 0 && lags.every((l) => Number(l.split(' ').pop()) === 0) ? zero + 1 : 0;
    }
    const rssAfter = stack.rss();
    const resolutions = new Map<string, Set<string>>();
    for (const r of stack.observer.resolved)
      resolutions.set(r.data.incidentId, (resolutions.get(r.data.incidentId) ?? new Set()).add(r.data.resolvedAt));
    const resolvedTwice = [...resolutions].filter(([, at]) => at.size > 1).map(([id, at]) => `${id} at ${[...at].join(' and ')}`);
    const twice = stack.proxy!.appliedTwice();
    const actuatorCalls = stack.proxy!.calls.length;
    await stack.stop();
    const stored = await storedSpans(join(root, 'learner'));
    const lost = [...client.acknowledged].filter((id) => !stored.ids.has(id)).length;

    const answers = [client.answers, hostileAnswers, fuzzed.answers];
    const fiveHundreds = answers.reduce((n, a) => n + a.fiveHundreds, 0);
    const hangs = answers.reduce((n, a) => n + a.hangs, 0);
    const examples = answers.flatMap((a) => a.examples).slice(0, 5);
    const blind = sustained.blindStretches.filter((s) => s > BLIND_LIMIT_S);
    rows.push(
      {
        name: 'acknowledged spans',
        value: client.acknowledged.size,
        detail: `of ${client.sent} sent; client: ${client.answers.summary()}`,
      },
      { name: 'stored', value: stored.distinct, detail: `${stored.rows} rows without FINAL (redeliveries wait for a merge)` },
      { name: 'lost', value: lost, target: 0 },
      // Rows a redelivery or a retry stored again stay until their parts merge (migration 0008); read with FINAL, as every counting query does, each span is one row.
      { name: 'duplicated (FINAL)', value: stored.final - stored.distinct, target: 0 },
      {
        name: 'actions run twice',
        value: twice.length,
        target: 0,
        detail: `${actuatorCalls} actuator calls; ${midAction.join('; ')}${twice.length ? `; keys ${twice.join(', ')}` : ''}`,
      },
      {
        name: 'outcomes missing',
        value: outcomes.missing.length,
        target: 0,
        detail: `${outcomes.started} actions started${outcomes.missing.length ? `; ${outcomes.missing.slice(0, 5).join(', ')}` : ''}`,
      },
      { name: '5xx answers (not 503)', value: fiveHundreds, target: 0, detail: examples.join(' | ') },
      { name: 'hangs (no answer in 10 s)', value: hangs, target: 0 },
      { name: 'hostile answered wrong', value: wrong.length, target: 0, detail: wrong.join(' | ') },
      {
        name: 'fuzz requests',
        value: fuzzed.cases,
        detail: `${fuzzed.seconds} s, seed ${SEED}: ${fuzzed.answers.summary()}; slowest ${fuzzed.answers.slowest.ms} ms (${fuzzed.answers.slowest.what}); closed: ${fuzzed.answers.closed.join(' | ') || 'none'}; /readyz after: ${readyAfterFuzz.join(', ')}`,
      },
      {
        // An incident resolved again (another resolvedAt) by a stage that restarted from a stale state.
        name: 'incidents resolved twice',
        value: resolvedTwice.length,
        target: 0,
        detail: `${new Set(stack.observer.resolved.map((r) => r.data.incidentId)).size} incidents resolved${resolvedTwice.length ? `; ${resolvedTwice.slice(0, 5).join(', ')}` : ''}`,
      },
      {
        name: 'sustained: resolved while failing',
        value: sustained.resolvedWhileFailing.length,
        target: 0,
        detail: `${sustained.failing}/${sustained.samples} /health samples failing; ${sustained.incidents} incidents opened, ${sustained.decisions} decisions; kill -9 of ${sustained.kills.join(', ')} meanwhile ${sustained.resolvedWhileFailing.join(', ')}`,
      },
      {
        name: `sustained: unseen > ${BLIND_LIMIT_S} s`,
        value: blind.length,
        target: 0,
        detail: `stretches failing with no incident open (s): ${sustained.blindStretches.join(', ') || 'none'}`,
      },
      {
        name: 'RSS MB before → after',
        value: '',
        detail: [...stack.rssBefore].map(([name, mb]) => `${name} ${mb} → ${rssAfter.get(name) ?? Number.NaN}`).join(', '),
      },
      {
        name: 'supervisor restarts',
        value: stack.supervisorRestarts,
        detail: 'stages that exited by themselves (e.g. starting while the broker was down)',
      },
    );
    failed = !passes(rows);
  } catch (error) {
    process.stderr.write(`${stack.lastLines(10)}\n`);
    throw error;
  } finally {
    await stack.stop().catch(() => undefined);
    const keep = logsDir ?? (failed ? mkdtempSync(join(tmpdir(), 'homeostat-chaos-logs-')) : undefined);
    if (keep !== undefined) {
      stack.writeLogs(keep);
      progress(`the stages' logs are in ${keep}`);
    }
    rmSync(root, { recursive: true, force: true });
  }
  printTable(title, rows);
  if (jsonFile) writeJson(jsonFile, title, rows);
  process.exitCode = passes(rows) ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

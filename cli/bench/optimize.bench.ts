/**
 * The optimize loop against three static and adaptive peers, on the demo gateway, in one run:
 *
 *   npm run bench:optimize [-- --json FILE] [--svg FILE] [--scenarios a,b | --scenario a --scenario b] [--seed N]
 *                             [--duration S] [--search-duration S] [--base-rps N]
 *
 * One demo platform (the gateway and its upstream replicas in processes of their own, exporting
 * OTLP to the embedded stack) serves every run; the load comes from a second process on loopback
 * (optimize-load.ts: open loop, seeded paths, the scenario's rate). Per scenario, the contenders
 * run one after another with the same seeded load, each from a reset platform (faults healed,
 * caches emptied by a default config, then its own config):
 *
 * - `static-default`: the gateway's default config (no cache, no retry, round-robin).
 * - `static-best`: the best static config for the scenario, found first, offline, by a coordinate
 *   search from the default over five knob groups (P2C-EWMA balancing; caches as the intent's
 *   staleness allows; two attempts with a 20 % budget on idempotent routes; the intent's
 *   per-upstream concurrency limits and queues; the intent's per-attempt timeouts), each group
 *   tried once on top of the best so far and kept when it scored higher, each trial the whole
 *   scenario compressed into --search-duration seconds: 6 short runs a scenario.
 * - `adaptive`: Gradient2 concurrency on every upstream, P2C-EWMA, two attempts with a 20 % retry
 *   budget on idempotent routes (the published defaults; examples/gateway/src/adaptive).
 * - `homeostat`: the intent's config (`homeostat intent`'s generateGatewayConfig of
 *   examples/gateway/intent/demo.intent.yaml) under the gateway-optimize loop with 1 s buckets.
 *
 * The loop is paused while the other contenders run and resumed when its own run's load starts,
 * each scenario's homeostat run on a stack of its own (fresh analyzer windows, decider state and
 * learner database): what it learnt in one scenario does not carry into the next one's figures.
 * An experiment's baseline is the newest buckets before the change served by the config live
 * then alone (libs/optimize cleanBaseline), so the reset and the previous contender's run never
 * count in it. After its run the bench waits for the outcome of an experiment still in its trial
 * (at most 30 s, without load), so that no late rollback lands on the next run; a run whose config
 * version moved anyway is marked DISTURBED. The loop's decisions and verdicts are logged in words
 * and kept in the JSON beside its changes.
 * Measurement: cli/bench/optimize-figures.ts (unit-tested). Durations: --duration (default 20 s,
 * env BENCH_OPTIMIZE_DURATION_S) × the scenario's `scale` a run (16 s for the rate-only scenarios,
 * 24–40 s for the faults), --search-duration (4 s a search trial, BENCH_OPTIMIZE_SEARCH_S),
 * --base-rps (25, BENCH_OPTIMIZE_BASE_RPS): 6 scenarios × (4 runs + 6 trials) in about 15
 * minutes on 2 shared cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readIntentFile, type DecisionMade, type OutcomeRecorded } from '@homeostat/contracts';
import type { GatewayConfig } from '@homeostat/gateway';
import { generateGatewayConfig } from '@homeostat/optimize';
import { GATEWAY_LOOP_FILE, GatewayProcess, withIntentFromExample } from '../src/demo/optimize-scenario';
import { startOptimizeStack, type OptimizeStack } from '../src/demo/optimize-stack';
import { freePort } from '../src/demo/ports';
import {
  perSecond,
  phaseFigures,
  recurrences,
  runAdaptSeconds,
  summarize,
  type Figures,
  type PhaseFigures,
  type RouteSlo,
  type Sample,
  type SecondFigures,
} from './optimize-figures';
import { phasesOf, runSeconds, scenarios, type Scenario } from './optimize-scenarios';

const ROOT = resolve(__dirname, '../..');
const INTENT_FILE = join(ROOT, 'examples/gateway/intent/demo.intent.yaml');
const CONTENDERS = ['static-default', 'static-best', 'adaptive', 'homeostat'] as const;
type ContenderName = (typeof CONTENDERS)[number];
const BUCKET_S = 1;
const BASELINE_BUCKETS = 6;
const TRIAL_BUCKETS = 6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (line: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/**
 * The example loop with the bench's windows (1 s buckets, 6 + 6: an experiment is judged within
 * about 15 s of its opportunity, inside the scenarios' fault phases), every knob, and a budget for
 * the whole bench.
 */
export function benchLoopSpec(example: string): string {
  const spec = withIntentFromExample(example)
    .replace('cooldown: 5s', 'cooldown: 1s')
    .replace('resolveAfter: 30s', 'resolveAfter: 3s')
    .replace('bucket: 2s', `bucket: ${BUCKET_S}s`)
    .replace('baselineBuckets: 10', `baselineBuckets: ${BASELINE_BUCKETS}`)
    .replace('trialBuckets: 10', `trialBuckets: ${TRIAL_BUCKETS}`)
    .replace('budget: { maxActions: 10, window: 1h }', 'budget: { maxActions: 500, window: 1h }');
  for (const line of [
    'cooldown: 1s',
    `bucket: ${BUCKET_S}s`,
    `baselineBuckets: ${BASELINE_BUCKETS}`,
    `trialBuckets: ${TRIAL_BUCKETS}`,
    'maxActions: 500',
  ])
    if (!spec.includes(line)) throw new Error(`the example loop changed: "${line}" could not be set in ${GATEWAY_LOOP_FILE}`);
  return spec;
}

interface Changes {
  made: number;
  kept: number;
  rolledBack: number;
  knownGood: number;
  pending: number;
  /** Per change: the decision's reason (its explanation's chosenBecause) and the verdict's, as the ledger has them. */
  list: { at: string; route: string; change: string; knownGood: boolean; verdict: string; why: string; verdictReason: string }[];
}

interface ContenderResult extends Figures {
  name: ContenderName;
  adaptS: number;
  phases: PhaseFigures[];
  recurrences: { name: string; firstS: number; secondS: number }[];
  series: SecondFigures[];
  unanswered: number;
  /** The live config version moved during the run without the bench (only the loop may do that). */
  disturbed: boolean;
  changes?: Changes;
  config?: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'string' },
      svg: { type: 'string' },
      scenarios: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string', default: process.env['BENCH_OPTIMIZE_DURATION_S'] ?? '20' },
      'search-duration': { type: 'string', default: process.env['BENCH_OPTIMIZE_SEARCH_S'] ?? '4' },
      'base-rps': { type: 'string', default: process.env['BENCH_OPTIMIZE_BASE_RPS'] ?? '25' },
    },
  });
  const positive = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
    return n;
  };
  const seed = Math.trunc(Number(values.seed));
  if (!Number.isFinite(seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);
  const durationS = Math.round(positive('duration', values.duration));
  const searchS = Math.round(positive('search-duration', values['search-duration']));
  const baseRps = positive('base-rps', values['base-rps']);
  if (durationS < 12) throw new Error('--duration must be at least 12 s (phases of a few seconds each)');
  if (searchS < 4) throw new Error('--search-duration must be at least 4 s');
  const all = scenarios(baseRps);
  const asked = [...(values.scenarios?.split(',') ?? []), ...(values.scenario ?? [])].map((s) => s.trim()).filter((s) => s !== '');
  const names = asked.length > 0 ? asked : all.map((s) => s.name);
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
  const chosen = names.map((n) => all.find((s) => s.name === n) as Scenario);

  const parsed = await readIntentFile(INTENT_FILE);
  if (!parsed.ok) throw new Error(`${INTENT_FILE}: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const intent = parsed.intent;
  const slos: Record<string, RouteSlo> = {};
  for (const [name, r] of Object.entries(intent.spec.routes)) {
    const { durationMs } = await import('@homeostat/contracts');
    slos[name] = { p99Ms: durationMs(r.slo.p99), errorRatio: r.slo.errorRatio };
  }

  const started = Date.now();
  // The machine's load average beside the figures: on shared cores it moves them more than any knob.
  const loadAtStart = loadavg()[0] ?? 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-optimize-'));
  const port = await freePort();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  let stack: OptimizeStack | undefined;
  let gateway: GatewayProcess | undefined;
  const load = new LoadGenerator();
  // Each scenario's homeostat run starts from a stack of its own (stages, learner database and
  // decider state), so that what the loop learnt in one scenario does not carry into the next one's
  // figures. The stacks take turns on one collector port (the gateway's OTLP endpoint) and one chDB
  // directory (one per process), each with its own database.
  const collectorPort = await freePort();
  let stacks = 0;
  const freshStack = async (): Promise<OptimizeStack> => {
    await stack?.stop();
    stack = undefined;
    const n = stacks++;
    const started = await startOptimizeStack({
      dataDir: join(dataDir, `stack-${n}`),
      loopSpec: benchLoopSpec(readFileSync(GATEWAY_LOOP_FILE, 'utf8')),
      gatewayUrl,
      group: 'bench-optimize',
      collectorPort,
      chdbDir: join(dataDir, 'chdb'),
      database: `bench_${n}`,
    });
    stack = started;
    await started.control('pause', 'bench: the loop runs only in the homeostat runs');
    return started;
  };
  try {
    log(`starting the embedded stack (gateway-optimize loop, ${BUCKET_S} s buckets) in ${dataDir}`);
    const first = await freshStack();
    gateway = await GatewayProcess.start({
      port,
      dataDir: join(dataDir, 'gateway'),
      otlpEndpoint: first.url('collector'),
      timeoutMs: 120_000,
    });
    const g = gateway;
    const deadline = Date.now() + 10_000;
    while (!['inventory', 'catalog', 'pricing', 'orders'].every((u) => g.upstreams()[u]) && Date.now() < deadline) await sleep(100);
    const upstreams = g.upstreams();
    const defaults = (await g.config()).config as unknown as GatewayConfig;
    const intentConfig = intentGatewayConfig(intent, upstreams);
    log(
      `gateway ${gatewayUrl}; upstreams ${Object.entries(upstreams)
        .map(([u, r]) => `${u} ×${r.length}`)
        .join(', ')}`,
    );

    const put = async (config: GatewayConfig): Promise<number> => {
      const res = await fetch(`${gatewayUrl}/actuator/config?mode=replace`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(config),
      });
      const body = (await res.json()) as { version?: number; message?: string };
      if (res.status !== 200 || typeof body.version !== 'number')
        throw new Error(`PUT config answered ${res.status}: ${JSON.stringify(body)}`);
      return body.version;
    };
    const heal = async (): Promise<void> => {
      await Promise.all(Object.values(upstreams).flatMap((urls) => urls.map((u) => fetch(`${u}/faults`, { method: 'DELETE' }))));
    };
    const liveVersion = async (): Promise<number> => (await g.config()).version;

    /** One run of a scenario under a config; `during` runs beside the load. */
    const run = async (
      scenario: Scenario,
      config: GatewayConfig,
      seconds: number,
      during?: () => Promise<void>,
    ): Promise<{ samples: Sample[]; unanswered: number; disturbed: boolean }> => {
      await heal();
      await put(defaults); // empties every cache, resets the adaptive limits and latency estimates
      const version = await put(config);
      await sleep(1_000);
      const timers: NodeJS.Timeout[] = [];
      let duringDone: Promise<void> = Promise.resolve();
      const { samples, unanswered } = await load.run(
        { url: gatewayUrl, scenario: scenario.name, baseRps, seed, durationS: seconds },
        () => {
          for (const f of scenario.faults)
            timers.push(
              setTimeout(() => void fault(upstreams, f.upstream, f.replica, f.body).catch(() => undefined), f.at * seconds * 1_000),
            );
          if (during) duringDone = during();
        },
      );
      timers.forEach(clearTimeout);
      await duringDone;
      const disturbed = during === undefined && (await liveVersion()) !== version;
      await heal();
      return { samples, unanswered, disturbed };
    };

    const figures = (
      name: ContenderName,
      scenario: Scenario,
      r: { samples: Sample[]; unanswered: number; disturbed: boolean },
      seconds: number,
    ): ContenderResult => {
      const series = perSecond(r.samples, seconds, slos);
      const phases = phaseFigures(r.samples, series, phasesOf(scenario, seconds), slos);
      return {
        name,
        ...summarize(r.samples, series, 0, seconds, slos),
        adaptS: runAdaptSeconds(phases),
        phases,
        recurrences: recurrences(phases),
        series,
        unanswered: r.unanswered,
        disturbed: r.disturbed,
      };
    };

    // A fresh gateway, its upstreams and the load generator run slowly for their first seconds (JIT,
    // first connections): a discarded run, so that the first contender measured does not pay for it.
    log('warm-up: 8 s of the first scenario on the default config (discarded)');
    await run(chosen[0] as Scenario, defaults, 8);

    const results: {
      scenario: Scenario;
      search: { knobs: string; goodputPerS: number; sloViolationS: number; score: number }[];
      contenders: ContenderResult[];
    }[] = [];
    for (const scenario of chosen) {
      const runS = runSeconds(scenario, durationS);
      log(`${scenario.name} (${runS} s a run): ${scenario.description}`);
      // The offline search: a coordinate search over knob groups on the compressed scenario.
      const search: { knobs: string; goodputPerS: number; sloViolationS: number; score: number }[] = [];
      const score = (f: Figures): number => f.goodputPerS * (1 - (0.5 * f.sloViolationS) / searchS);
      let best = { config: defaults, knobs: [] as string[], score: -1 };
      for (const [group, apply] of [['default', (c: GatewayConfig) => c] as const, ...knobGroups(intentConfig)]) {
        const candidate = apply(structuredClone(best.config));
        const knobs = group === 'default' ? [] : [...best.knobs, group];
        const f = figures('static-best', scenario, await run(scenario, candidate, searchS), searchS);
        const sc = Math.round(score(f) * 10) / 10;
        search.push({ knobs: knobs.join('+') || 'default', goodputPerS: f.goodputPerS, sloViolationS: f.sloViolationS, score: sc });
        log(`  search ${knobs.join('+') || 'default'}: goodput ${f.goodputPerS}/s, ${f.sloViolationS} s in violation, score ${sc}`);
        if (sc > best.score) best = { config: candidate, knobs, score: sc };
      }
      log(`  static-best: ${best.knobs.join(' + ') || 'the default'}`);

      const configs: Record<Exclude<ContenderName, 'homeostat'>, GatewayConfig> = {
        'static-default': defaults,
        'static-best': best.config,
        adaptive: adaptiveConfig(defaults),
      };
      const contenders: ContenderResult[] = [];
      for (const name of CONTENDERS) {
        if (name === 'homeostat') {
          const s = await freshStack();
          const from = s.events.length;
          const runFrom = Date.now();
          const r = await run(scenario, intentConfig, runS, () => s.control('resume', `bench: ${scenario.name}`));
          await s.control('pause', 'bench: the homeostat run is over');
          await settle(s, from, 30_000);
          // The fresh stack took over the collector's port: what it stored shows it saw the run.
          const stored = await storedRequests(s, 'catalog', runFrom, Date.now());
          log(`  homeostat: its stack stored ${stored} catalog requests of the run, and saw ${incidentEvents(s, from)}`);
          for (const line of decisionsInWords(s, from)) log(`    ${line}`);
          const result = figures(name, scenario, r, runS);
          result.changes = changesOf(s, from);
          contenders.push(result);
        } else {
          const result = figures(name, scenario, await run(scenario, configs[name], runS), runS);
          if (name === 'static-best') result.config = best.knobs.join(' + ') || 'default';
          contenders.push(result);
        }
        const c = contenders[contenders.length - 1] as ContenderResult;
        log(
          `  ${name}: goodput ${c.goodputPerS}/s, p99 ${c.p99Ms} ms, ${c.sloViolationS} s in violation, amplification ${c.retryAmplification}, adapt ${c.adaptS} s${c.changes ? `, changes ${c.changes.made} (kept ${c.changes.kept}, rolled back ${c.changes.rolledBack})` : ''}${c.disturbed ? ' — DISTURBED' : ''}`,
        );
      }
      results.push({ scenario, search, contenders });
    }

    const wallS = Math.round((Date.now() - started) / 1_000);
    process.stdout.write(
      table(results, durationS) +
        `\nwall time ${wallS} s (seed ${seed}, ${durationS} s a run × each scenario's scale, ${searchS} s a search trial, base ${baseRps} req/s)\n`,
    );
    const loadAverage = { start: Math.round(loadAtStart * 10) / 10, end: Math.round((loadavg()[0] ?? 0) * 10) / 10 };
    process.stdout.write(`load average (1 min) ${loadAverage.start} at the start, ${loadAverage.end} at the end\n`);
    const report = {
      seed,
      loadAverage,
      baseRps,
      durationS,
      searchDurationS: searchS,
      wallS,
      scenarios: results.map((r) => ({
        name: r.scenario.name,
        description: r.scenario.description,
        durationS: runSeconds(r.scenario, durationS),
        staticBestSearch: r.search,
        contenders: r.contenders.map((c) => ({
          name: c.name,
          goodputPerS: c.goodputPerS,
          p99Ms: c.p99Ms,
          sloViolationS: c.sloViolationS,
          retryAmplification: c.retryAmplification,
          adaptS: c.adaptS,
          // The regime that returns (the first phase name that occurs twice): its time to adapt each time.
          adaptFirstS: c.recurrences[0]?.firstS ?? null,
          adaptSecondS: c.recurrences[0]?.secondS ?? null,
          p50Ms: c.p50Ms,
          requests: c.requests,
          unanswered: c.unanswered,
          disturbed: c.disturbed,
          ...(c.config ? { config: c.config } : {}),
          ...(c.changes ? { changes: c.changes } : {}),
          phases: c.phases,
          recurrences: c.recurrences,
          series: c.series.map(({ s: t, goodput, p99Ms }) => ({ s: t, goodput, p99Ms })),
        })),
      })),
    };
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
    if (values.svg) writeFileSync(values.svg, await renderSvg(results));
  } finally {
    await load.stop();
    await gateway?.stop();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** optimize-load.ts in a process of its own for the whole bench, one run at a time. */
class LoadGenerator {
  private readonly child: ChildProcess;
  private readonly errors: string[] = [];
  private onLine: ((line: string) => void) | undefined;
  private exited = false;

  constructor() {
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'cli/bench/optimize-load.ts')], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (this.child.stdout) createInterface({ input: this.child.stdout }).on('line', (l) => this.onLine?.(l));
    if (this.child.stderr) createInterface({ input: this.child.stderr }).on('line', (l) => this.errors.push(l));
    this.child.once('exit', () => {
      this.exited = true;
      this.onLine?.('exit');
    });
  }

  /** One run; `onStart` when its first request is due. */
  run(args: object, onStart: () => void): Promise<{ samples: Sample[]; unanswered: number }> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`the load generator exited: ${this.errors.slice(-5).join(' | ')}`));
      const samples: Sample[] = [];
      this.onLine = (line) => {
        if (line === 'start') onStart();
        else if (line === 'exit') reject(new Error(`the load generator exited: ${this.errors.slice(-5).join(' | ')}`));
        else if (line.startsWith('end ')) {
          this.onLine = undefined;
          resolve({ samples, unanswered: Number(line.split(' ')[2] ?? 0) });
        } else {
          const [t, route, status, latency, attempts] = line.split(' ');
          samples.push({
            t: Number(t),
            route: route ?? '',
            status: Number(status),
            latencyMs: Number(latency),
            attempts: Number(attempts),
          });
        }
      };
      this.child.stdin?.write(JSON.stringify(args) + '\n');
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin?.end();
    await Promise.race([exited, sleep(5_000)]);
    if (!this.exited) this.child.kill('SIGTERM');
  }
}

/** The intent's config for the platform's actual replica URLs (the intent names the default ports). */
function intentGatewayConfig(intent: Parameters<typeof generateGatewayConfig>[0], upstreams: Record<string, string[]>): GatewayConfig {
  const withUrls = structuredClone(intent);
  for (const [name, u] of Object.entries(withUrls.spec.upstreams)) {
    const urls = upstreams[name];
    if (!urls || urls.length !== u.replicas.length) throw new Error(`the platform has no ${u.replicas.length} replicas of ${name}`);
    u.replicas.forEach((r, i) => (r.url = urls[i] as string));
  }
  return generateGatewayConfig(withUrls).config as unknown as GatewayConfig;
}

/** The offline search's knob groups, each applied on top of a config. */
function knobGroups(intent: GatewayConfig): [string, (c: GatewayConfig) => GatewayConfig][] {
  const idempotent = (c: GatewayConfig) => Object.values(c.routes).filter((r) => r.idempotent);
  return [
    ['p2c-ewma', (c) => (Object.values(c.upstreams).forEach((u) => (u.balancer = 'p2c-ewma')), c)],
    [
      'cache',
      (c) => (Object.entries(c.routes).forEach(([n, r]) => intent.routes[n] && (r.cache = structuredClone(intent.routes[n].cache))), c),
    ],
    [
      'retry',
      (c) => (
        idempotent(c).forEach((r) => (r.retry = { maxAttempts: 2, backoffMs: 10, maxBackoffMs: 50, budgetRatio: 0.2, minRetriesPerS: 1 })),
        c
      ),
    ],
    [
      'limits',
      (c) => {
        for (const [n, u] of Object.entries(c.upstreams)) {
          const i = intent.upstreams[n];
          if (i) Object.assign(u, { concurrencyLimit: i.concurrencyLimit, queueLimit: i.queueLimit, queueTimeoutMs: i.queueTimeoutMs });
        }
        return c;
      },
    ],
    ['timeouts', (c) => (Object.entries(c.routes).forEach(([n, r]) => intent.routes[n] && (r.timeoutMs = intent.routes[n].timeoutMs)), c)],
  ];
}

/** The adaptive peer: Gradient2 on every upstream, P2C-EWMA, two attempts within a 20 % budget on idempotent routes. */
function adaptiveConfig(defaults: GatewayConfig): GatewayConfig {
  const c = structuredClone(defaults);
  for (const u of Object.values(c.upstreams)) Object.assign(u, { balancer: 'p2c-ewma', concurrency: { mode: 'gradient2' } });
  for (const r of Object.values(c.routes))
    if (r.idempotent) r.retry = { maxAttempts: 2, backoffMs: 10, maxBackoffMs: 50, budgetRatio: 0.2, minRetriesPerS: 1 };
  return c;
}

async function fault(
  upstreams: Record<string, string[]>,
  upstream: string,
  replica: number | undefined,
  body: Record<string, unknown> | null,
): Promise<void> {
  const urls = upstreams[upstream] ?? [];
  const targets = replica === undefined ? urls : urls.slice(replica, replica + 1);
  await Promise.all(
    targets.map((u) =>
      body === null
        ? fetch(`${u}/faults`, { method: 'DELETE' })
        : fetch(`${u}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    ),
  );
}

const executed = (s: OptimizeStack, from: number): (DecisionMade & { at: string })[] =>
  s.events
    .slice(from)
    .flatMap((e) =>
      e.type === 'homeostat.decision.made.v1' && (e.data as DecisionMade).mode === 'execute'
        ? [{ ...(e.data as DecisionMade), at: e.time }]
        : [],
    );
const outcomes = (s: OptimizeStack, from: number): OutcomeRecorded[] =>
  s.events.slice(from).flatMap((e) => (e.type === 'homeostat.outcome.recorded.v1' ? [e.data as OutcomeRecorded] : []));

/** Waits (at most `timeoutMs`) until every change the loop made since `from` has its outcome. */
/** The requests of `route` the stack's learner stored in [fromMs, toMs) (GET /api/telemetry/routes); -1 when it did not answer. */
async function storedRequests(s: OptimizeStack, route: string, fromMs: number, toMs: number): Promise<number> {
  const q = new URLSearchParams({ service: 'gateway', route, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() });
  const res = await fetch(`${s.url('learner')}/api/telemetry/routes?${q.toString()}`).catch(() => undefined);
  if (res === undefined || !res.ok) return -1;
  const rows = (await res.json()) as unknown;
  return Array.isArray(rows) ? rows.reduce((sum: number, b: { requests?: unknown }) => sum + Number(b.requests ?? 0), 0) : -1;
}

/** The loop's decisions since `from` (any mode) with their reasons, and the verdicts, in words: the ledger of the run. */
function decisionsInWords(s: OptimizeStack, from: number): string[] {
  const verdicts = new Map(outcomes(s, from).map((o) => [o.decisionId, o]));
  return s.events.slice(from).flatMap((e) => {
    if (e.type !== 'homeostat.decision.made.v1') return [];
    const d = e.data as DecisionMade;
    const o = verdicts.get(d.decisionId);
    const verdict = o === undefined ? '' : ` → ${o.status}${o.experiment ? `: ${o.experiment.reason}` : ''}`;
    return [`${e.time.slice(11, 19)} ${d.mode} ${d.experiment?.change ?? d.action?.name ?? ''}: ${d.explanation.chosenBecause}${verdict}`];
  });
}

/** The loop's incident events since `from`, in words. */
function incidentEvents(s: OptimizeStack, from: number): string {
  const count = (type: string): number => s.events.slice(from).filter((e) => e.type === type).length;
  return `${count('homeostat.incident.opened.v1')} opened, ${count('homeostat.incident.updated.v1')} updated incident(s)`;
}

async function settle(s: OptimizeStack, from: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const done = new Set(outcomes(s, from).map((o) => o.decisionId));
    if (executed(s, from).every((d) => done.has(d.decisionId))) return;
    await sleep(250);
  }
}

function changesOf(s: OptimizeStack, from: number): Changes {
  const out = outcomes(s, from);
  const list = executed(s, from).map((d) => {
    const o = out.find((x) => x.decisionId === d.decisionId);
    const verdict = !o ? 'pending' : o.experiment?.kept ? 'kept' : o.experiment ? 'rolled-back' : 'failed';
    return {
      at: d.at,
      route: d.experiment?.route ?? '',
      change: d.experiment?.change ?? d.action?.name ?? '',
      knownGood: d.experiment?.knownGood ?? false,
      verdict,
      why: d.explanation.chosenBecause,
      verdictReason: o?.experiment?.reason ?? o?.verification?.detail ?? o?.status ?? '',
    };
  });
  return {
    made: list.length,
    kept: list.filter((c) => c.verdict === 'kept').length,
    rolledBack: list.filter((c) => c.verdict === 'rolled-back').length,
    knownGood: list.filter((c) => c.knownGood).length,
    pending: list.filter((c) => c.verdict === 'pending').length,
    list,
  };
}

type Results = { scenario: Scenario; search: unknown[]; contenders: ContenderResult[] }[];

function table(results: Results, durationS: number): string {
  const pad = (v: unknown, n: number): string => String(v).padStart(n);
  // The returning regime's time to adapt, the first time → the second.
  const again = (c: ContenderResult): string => {
    const r = c.recurrences[0];
    return r === undefined ? '-' : `${r.firstS}→${r.secondS}`;
  };
  const lines: string[] = [];
  for (const { scenario, contenders } of results) {
    lines.push('', `${scenario.name} — ${scenario.description} (${runSeconds(scenario, durationS)} s a run)`);
    lines.push(
      `  ${'contender'.padEnd(15)}${pad('goodput/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('SLO-viol s', 11)}${pad('retry amp', 10)}${pad('adapt s', 8)}${pad('again s', 10)}  changes (kept/rolled back)`,
    );
    for (const c of contenders) {
      const ch = c.changes
        ? `${c.changes.made} (${c.changes.kept}/${c.changes.rolledBack}${c.changes.knownGood ? `, ${c.changes.knownGood} known-good` : ''}${c.changes.pending ? `, ${c.changes.pending} pending` : ''})`
        : '-';
      lines.push(
        `  ${c.name.padEnd(15)}${pad(c.goodputPerS, 10)}${pad(c.p50Ms, 9)}${pad(c.p99Ms, 9)}${pad(c.sloViolationS, 11)}${pad(c.retryAmplification, 10)}${pad(c.adaptS, 8)}${pad(again(c), 10)}  ${ch}${c.config ? `  [${c.config}]` : ''}${c.disturbed ? ' DISTURBED' : ''}`,
      );
    }
    lines.push('  per phase (goodput/s · p99 ms · SLO-viol s · adapt s):');
    for (const c of contenders)
      lines.push(
        `    ${c.name.padEnd(15)}${c.phases.map((p) => `${p.name} ${p.goodputPerS}·${p.p99Ms}·${p.sloViolationS}·${p.adaptS}`).join(' | ')}`,
      );
    const h = contenders.find((c) => c.name === 'homeostat');
    const a = contenders.find((c) => c.name === 'adaptive');
    const b = contenders.find((c) => c.name === 'static-best');
    if (h && a && b) {
      const within = h.phases.map((p, i) => {
        const bp = b.phases[i];
        return bp && bp.goodputPerS > 0 ? p.goodputPerS >= 0.9 * bp.goodputPerS : true;
      });
      lines.push(
        `  targets: goodput ≥ adaptive ${h.goodputPerS >= a.goodputPerS ? 'met' : 'MISSED'}; SLO-viol ≤ adaptive ${h.sloViolationS <= a.sloViolationS ? 'met' : 'MISSED'}; within 10 % of static-best's goodput in ${within.filter(Boolean).length}/${within.length} phases` +
          h.recurrences
            .map((r) => `; ${r.name} again: adapt ${r.secondS} s vs ${r.firstS} s ${r.secondS <= 0.5 * r.firstS ? 'met' : 'MISSED'}`)
            .join(''),
      );
    }
  }
  return lines.join('\n');
}

async function renderSvg(results: Results): Promise<string> {
  const values = results.flatMap(({ scenario, contenders }) =>
    contenders.flatMap((c) =>
      c.series.map((x) => ({ scenario: scenario.name, contender: c.name, s: x.s, goodput: x.goodput, p99Ms: x.p99Ms })),
    ),
  );
  const panel = (field: string, title: string) => ({
    facet: { row: { field: 'scenario', type: 'nominal' as const, title: null } },
    spec: {
      width: 420,
      height: 110,
      mark: { type: 'line' as const, strokeWidth: 1.2 },
      encoding: {
        x: { field: 's', type: 'quantitative' as const, title: 'second of the run' },
        y: { field, type: 'quantitative' as const, title, ...(field === 'p99Ms' ? { scale: { type: 'symlog' as const } } : {}) },
        color: { field: 'contender', type: 'nominal' as const, scale: { domain: [...CONTENDERS] } },
      },
    },
  });
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec } = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'bench:optimize — goodput (2xx within SLO) and p99 per second, per contender',
    data: { values },
    hconcat: [panel('goodput', 'goodput (req/s)'), panel('p99Ms', 'p99 (ms)')],
  });
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:optimize: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

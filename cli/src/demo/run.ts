import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig, SERVICE_NAMES } from '@homeostat/config';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { serviceDefinitions } from '../services';
import { LoopObserver } from './observer';
import { planIncidents } from './plan';
import { freePort } from './ports';
import { buildReport, type DemoReport, type IncidentRecord } from './report';

/**
 * The fix the shop documents for each fault (examples/shop/README.md), by the shop loop's action
 * names. The demo scores the run with it; the loop is never told.
 */
export const BEST_ACTION: Readonly<Record<string, string>> = {
  'pool-leak': 'recycle-pool',
  'slow-dependency': 'enable-cache',
  'retry-storm': 'set-retry-policy',
  'bad-config': 'rollback-config',
};

export const SHOP_LOOP = 'shop';

export interface DemoOptions {
  incidents: number;
  faults: readonly string[];
  seed: number;
  /** Everything the run writes: the stack's chDB and state, the shop's config, both logs. */
  dataDir: string;
  loopsDir: string;
  /** The shop's synthetic load, requests/s. */
  traffic: number;
  /** The shop's port (0: any free one). */
  shopPort: number;
  /** Normal traffic before the first fault, so the analyzer learns the baselines. */
  warmupMs: number;
  /** Give up on one incident after this long (the demo then clears the fault itself). */
  incidentTimeoutMs: number;
  /** How long the shop must stay healthy with no open incident before the next fault. */
  quietMs: number;
  /**
   * The next fault as soon as the shop answers healthy again, without waiting for the incident to
   * resolve: a new failure meets a loop whose last incident is still open.
   */
  backToBack?: boolean;
  /** Back to back from this fault on (0-based): the ones before wait for a quiet, healthy shop. */
  backToBackFrom?: number;
  /** The faults in this order, instead of `incidents` of `faults` shuffled with `seed`. */
  plan?: readonly string[];
  /** Environment for the stack (ports, bucket size, …); the demo's defaults fill what is unset. */
  env?: NodeJS.ProcessEnv;
  /** Stops the run (the stack and the shop are shut down cleanly); runDemo then rejects. */
  signal?: AbortSignal;
}

export interface DemoProgress {
  /** A phase of incident `index` of `total` (0 before the first incident). */
  phase(index: number, total: number, text: string): void;
  /** A line worth keeping on the screen. */
  log(line: string): void;
}

export interface DemoResult {
  records: IncidentRecord[];
  report: DemoReport;
  urls: { console: string; collector: string; shop: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function httpJson(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

/** The demo shop in a child process of its own, so its latency is not the stack's CPU time. */
export class ShopProcess {
  private child: ChildProcess | null = null;
  constructor(readonly url: string) {}

  static async start(port: number, traffic: number, otlpEndpoint: string, dataDir: string, logFile: string): Promise<ShopProcess> {
    const bin = path.resolve(__dirname, '../../bin/homeostat.js');
    const args = [
      bin,
      'shop',
      '--port',
      String(port),
      '--traffic',
      String(traffic),
      '--otlp-endpoint',
      otlpEndpoint,
      '--data-dir',
      dataDir,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_SDK_DISABLED: 'false' } });
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stderr?.pipe(log);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        log.write(chunk);
        const match = /shop listening on (http:\/\/\S+)/.exec(out);
        if (match?.[1]) {
          child.stdout?.off('data', onData);
          child.stdout?.pipe(log);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`the shop exited (status ${code}) before it listened; see ${logFile}`)));
      child.once('error', reject);
    });
    const shop = new ShopProcess(url);
    shop.child = child;
    return shop;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}

/**
 * Runs the demo: the embedded stack with the shop loop, the shop in its own process, then the
 * faults one after another; for each, waits until the loop has acted, the shop is verified
 * healthy and the incident resolved, then puts the shop back as it was before the next one.
 */
export async function runDemo(options: DemoOptions, progress: DemoProgress): Promise<DemoResult> {
  const plan = options.plan ?? planIncidents(options.faults, options.incidents, options.seed);
  mkdirSync(options.dataDir, { recursive: true });
  const env = options.env ?? process.env;
  const shopPort = options.shopPort === 0 ? await freePort() : options.shopPort;
  const shopUrlForLoop = `http://127.0.0.1:${shopPort}`;

  // The loop spec names the shop as ${SHOP_URL}; the executor reads it from its environment at start.
  const previousShopUrl = process.env['SHOP_URL'];
  process.env['SHOP_URL'] = shopUrlForLoop;
  const config = loadConfig(
    { ANALYZER_BUCKET_MS: '2000', LOG_LEVEL: 'info', ...env },
    {
      HOMEOSTAT_MODE: 'embedded',
      HOMEOSTAT_DATA_DIR: path.join(options.dataDir, 'stack'),
      HOMEOSTAT_LOOPS_DIR: options.loopsDir,
    },
  );
  const logFile = path.join(options.dataDir, 'homeostat.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const logger = new JsonLogger('homeostat', config.logLevel, (line) => logStream.write(line + '\n'));

  let stack: RunningStack | null = null;
  let shop: ShopProcess | null = null;
  const observer = new LoopObserver(SHOP_LOOP);
  const records: IncidentRecord[] = [];
  // Every wait races the abort signal, so an interrupted run still stops the shop and the stack.
  const interrupted = new Promise<never>((_, reject) => {
    const fail = (): void => reject(new Error('the demo was interrupted'));
    if (options.signal?.aborted) fail();
    options.signal?.addEventListener('abort', fail, { once: true });
  });
  interrupted.catch(() => undefined);
  const w = <T>(p: Promise<T>): Promise<T> => Promise.race([p, interrupted]);
  try {
    progress.phase(0, plan.length, 'starting the stack');
    stack = await w(runServices(serviceDefinitions(SERVICE_NAMES), config, logger));
    await observer.start(stack.bus);
    const urlOf = (name: string): string => stack?.services.find((s) => s.name === name)?.url ?? '';
    const collector = urlOf('collector');
    progress.log(`stack up (embedded): collector ${collector}, control API ${urlOf('console')}; logs in ${logFile}`);

    progress.phase(0, plan.length, 'starting the shop');
    shop = await w(
      ShopProcess.start(shopPort, options.traffic, collector, path.join(options.dataDir, 'shop'), path.join(options.dataDir, 'shop.log')),
    );
    progress.log(`shop up: ${shop.url} (${options.traffic} requests/s)`);
    const baseline = (await httpJson('GET', `${shop.url}/actuator/config`)).body as { config: unknown };

    const warmupEnd = Date.now() + options.warmupMs;
    while (Date.now() < warmupEnd) {
      progress.phase(0, plan.length, `learning what normal looks like: ${Math.ceil((warmupEnd - Date.now()) / 1000)} s left`);
      await w(sleep(Math.min(1000, Math.max(0, warmupEnd - Date.now()))));
    }

    for (const [i, fault] of plan.entries()) {
      const index = i + 1;
      const step = (text: string): void => progress.phase(index, plan.length, `${fault}: ${text}`);
      const backToBack = options.backToBack === true || (options.backToBackFrom !== undefined && i >= options.backToBackFrom);
      if (backToBack) {
        step('waiting for a healthy shop');
        await w(waitHealthy(shop.url, options.incidentTimeoutMs, step));
      } else {
        step('waiting for a quiet, healthy shop');
        await w(waitQuiet(shop.url, observer, options.quietMs, options.incidentTimeoutMs, step));
      }

      const record: IncidentRecord = {
        index,
        fault,
        injectedAt: Date.now(),
        incidentId: null,
        fingerprint: null,
        detectedAt: null,
        actedAt: null,
        recoveredAt: null,
        resolvedAt: null,
        actions: [],
      };
      records.push(record);
      const injected = await httpJson('POST', `${shop.url}/faults/${fault}`);
      if (injected.status >= 300)
        throw new Error(`the shop refused fault ${fault}: HTTP ${injected.status} ${JSON.stringify(injected.body)}`);
      record.injectedAt = Date.now();
      const deadline = record.injectedAt + options.incidentTimeoutMs;
      const left = (): number => Math.max(0, deadline - Date.now());

      step('injected; waiting for the analyzer');
      const opened = await w(observer.until(() => incidentSince(observer, record.injectedAt), left()));
      if (!opened) {
        record.problem = `not detected within ${options.incidentTimeoutMs / 1000} s`;
      } else {
        record.incidentId = opened.incidentId;
        record.fingerprint = opened.fingerprint;
        record.detectedAt = opened.at;
        if (opened.relapse) record.relapse = true;
        step(`incident ${opened.fingerprint} ${opened.relapse ? 'relapsed' : 'opened'}; the loop decides`);
        const id = opened.incidentId;
        let shown = 0;
        const end = await w(
          observer.until(() => {
            const tries = observer.outcomes.filter((o) => o.data.incidentId === id && Date.parse(o.data.startedAt) >= record.injectedAt);
            if (tries.length > shown) step(`tried ${tries.map((t) => `${t.data.action.name} (${t.data.status})`).join(', ')}`);
            shown = tries.length;
            const success = tries.find((o) => o.data.status === 'succeeded');
            if (success) return { success };
            // The incident may end without a verified fix (its signals went back by themselves);
            // then there is nothing more to wait for once every action started has its outcome.
            const resolved = observer.resolved.some((r) => r.data.incidentId === id);
            const started = observer.started.filter((a) => a.data.incidentId === id && a.at >= record.injectedAt).length;
            return resolved && tries.length >= started ? { success: undefined } : undefined;
          }, left()),
        );
        if (end?.success) record.recoveredAt = Date.parse(end.success.data.finishedAt);
        else
          record.problem = end
            ? 'the incident resolved without a verified fix'
            : `not recovered within ${options.incidentTimeoutMs / 1000} s`;
        collectActions(record, observer);
      }
      // The world's part: the fault goes away (a fix such as the cache may only mask it), and the
      // shop gets its baseline config back, so the next fault meets the same shop.
      step(
        record.recoveredAt === null || backToBack
          ? 'clearing the fault'
          : 'recovered; clearing the fault, waiting for the incident to resolve',
      );
      await resetShop(shop.url, baseline.config);
      if (record.incidentId !== null && !backToBack) {
        const id = record.incidentId;
        const resolved = await w(observer.until(() => observer.resolved.find((r) => r.data.incidentId === id), options.incidentTimeoutMs));
        if (resolved) record.resolvedAt = resolved.at;
        else record.problem ??= `not resolved within ${options.incidentTimeoutMs / 1000} s of the fault being cleared`;
      }
      const rec =
        record.recoveredAt === null ? 'NOT recovered' : `recovered in ${((record.recoveredAt - record.injectedAt) / 1000).toFixed(1)} s`;
      progress.log(
        `#${index} ${fault}${record.relapse ? ' (a relapse of the open incident)' : ''}: ${record.actions.map((a) => `${a.action}:${a.status}`).join(' → ') || 'no action'}; ${rec}${record.problem ? ` (${record.problem})` : ''}`,
      );
    }
    // Back to back, incidents resolve while later faults run: when, is read from the events at the end.
    for (const record of records) {
      if (record.resolvedAt !== null || record.incidentId === null) continue;
      record.resolvedAt = observer.resolved.find((r) => r.data.incidentId === record.incidentId)?.at ?? null;
    }
    return { records, report: buildReport(records, BEST_ACTION), urls: { console: urlOf('console'), collector, shop: shop.url } };
  } finally {
    await observer.stop().catch(() => undefined);
    await shop?.stop().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
    await new Promise((r) => logStream.end(r));
    if (previousShopUrl === undefined) delete process.env['SHOP_URL'];
    else process.env['SHOP_URL'] = previousShopUrl;
  }
}

/**
 * Clears the faults and brings the shop's config back to the baseline: by rolling back (so the
 * config history stays a line — a later `rollback-config` cannot re-apply an earlier fix), and by
 * writing the baseline only if rolling back does not get there.
 */
async function resetShop(shopUrl: string, baseline: unknown): Promise<void> {
  await httpJson('DELETE', `${shopUrl}/faults`);
  const live = async (): Promise<string> =>
    JSON.stringify(((await httpJson('GET', `${shopUrl}/actuator/config`)).body as { config: unknown }).config);
  const target = JSON.stringify(baseline);
  for (let i = 0; i < 20 && (await live()) !== target; i++) {
    if ((await httpJson('POST', `${shopUrl}/actuator/config/rollback`)).status >= 300) break;
  }
  if ((await live()) !== target) {
    const put = await httpJson('PUT', `${shopUrl}/actuator/config`, baseline);
    if (put.status >= 300) throw new Error(`the shop refused its baseline config: HTTP ${put.status} ${JSON.stringify(put.body)}`);
  }
}

/**
 * The incident a fault injected at `since` caused: the first one opened after it, or an incident
 * that was still open and relapsed (the decider decided again for it, naming the fix that did not
 * hold), whichever the loop reported first.
 */
function incidentSince(
  observer: LoopObserver,
  since: number,
): { incidentId: string; fingerprint: string; at: number; relapse: boolean } | undefined {
  const opened = observer.opened.find((o) => o.at >= since);
  const relapse = observer.decisions.find((d) => d.at >= since && d.data.relapseOf !== undefined);
  if (opened !== undefined && (relapse === undefined || opened.at <= relapse.at))
    return { incidentId: opened.data.incidentId, fingerprint: opened.data.fingerprint, at: opened.at, relapse: false };
  return relapse && { incidentId: relapse.data.incidentId, fingerprint: relapse.data.fingerprint, at: relapse.at, relapse: true };
}

/** Waits until the shop has answered /health 200 twice in a row, a second apart. */
async function waitHealthy(shopUrl: string, timeoutMs: number, step: (text: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  while (Date.now() < deadline) {
    const healthy = await httpJson('GET', `${shopUrl}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    streak = healthy ? streak + 1 : 0;
    if (streak >= 2) return;
    await sleep(1000);
  }
  step(`still not healthy after ${timeoutMs / 1000} s; going on`);
}

function collectActions(record: IncidentRecord, observer: LoopObserver): void {
  const started = new Map(
    observer.started.filter((s) => s.data.incidentId === record.incidentId && s.at >= record.injectedAt).map((s) => [s.data.decisionId, s]),
  );
  record.actions = observer.outcomes
    .filter((o) => o.data.incidentId === record.incidentId && Date.parse(o.data.startedAt) >= record.injectedAt)
    .map((o) => ({
      decisionId: o.data.decisionId,
      action: o.data.action.name,
      status: o.data.status,
      startedAt: Date.parse(o.data.startedAt),
    }));
  const first = [...started.values()].sort((a, b) => a.at - b.at)[0];
  record.actedAt = first ? Date.parse(first.data.startedAt) : null;
}

/** Waits until the shop has answered /health 200 and no incident has been open for `quietMs`. */
async function waitQuiet(
  shopUrl: string,
  observer: LoopObserver,
  quietMs: number,
  timeoutMs: number,
  step: (text: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | null = null;
  while (Date.now() < deadline) {
    const healthy = await httpJson('GET', `${shopUrl}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    const open = observer.openIncidents();
    if (healthy && open.length === 0) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= quietMs) return;
    } else {
      quietSince = null;
      if (open.length > 0) step(`waiting for ${open.length} open incident(s) to resolve: ${open.map((o) => o.fingerprint).join(', ')}`);
    }
    await sleep(1000);
  }
  step(`still not quiet after ${timeoutMs / 1000} s; going on`);
}

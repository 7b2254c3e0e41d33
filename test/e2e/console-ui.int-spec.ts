import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { freePort, serviceDefinitions } from '@homeostat/cli';
import { SERVICE_NAMES } from '@homeostat/config';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { collectPageErrors, firstScreenTiming, launchChromium, screenshot } from '../browser';
import { eventually, testConfig } from '../support';

/**
 * The web UI in real headless Chromium against the embedded stack and the demo shop: a fault
 * shows up as an incident without reload, its decision page explains it, a person approves the
 * action and sees it run and verified, and with the kill switch on the next incident is not
 * acted on. The loop here asks for approval for every action (recycle-pool is `propose`, restart's
 * risk is above the approval level), and its timings are short so the test takes about 2 minutes.
 * The shop runs as its own process, as `homeostat shop` does (its OTLP exporters load their HTTP
 * transport with a dynamic import(), which jest's VM refuses).
 */
function loopSpec(shopUrl: string): string {
  return `apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: shop, version: 1 }
spec:
  target: { service: shop }
  signals:
    - { kind: metric, name: db.client.connection.count, labels: { db.client.connection.state: used } }
    - { kind: metric, name: db.client.connection.pending_requests }
    - { kind: log, query: timeout acquiring connection, severityAtLeast: error }
    - { kind: span, name: "*", errorsOnly: true }
    - { kind: span, name: "*", latencyThresholdMs: 500 }
  detection: { gatherFor: 2s, resolveAfter: 4s }
  actions:
    - { name: recycle-pool, adapter: http, params: { method: POST, url: "${shopUrl}/actuator/pool/recycle" }, risk: low, autonomy: propose, timeoutSeconds: 10 }
    - { name: restart, adapter: http, params: { method: POST, url: "${shopUrl}/actuator/restart" }, risk: high, timeoutSeconds: 10 }
  guardrails:
    budget: { maxActions: 30, window: 10m }
    cooldown: 1s
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: 6 }
    approval: { aboveRisk: medium }
    dryRun: false
  verification:
    healthCheck: { url: "${shopUrl}/health", consecutive: 2, interval: 1s }
    deadline: 20s
`;
}

const ROOT = join(__dirname, '..', '..');

interface ShopProcess {
  url: string;
  stop(): Promise<void>;
}

async function startShopProcess(port: number, otlpEndpoint: string, dataDir: string): Promise<ShopProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      'examples/shop/src/main.ts',
      '--port',
      String(port),
      '--traffic',
      '20',
      '--otlp-endpoint',
      otlpEndpoint,
      '--data-dir',
      dataDir,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr?.on('data', (b: Buffer) => {
    stderr.push(b.toString());
    if (stderr.length > 50) stderr.shift();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /shop listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the shop exited (${String(code)}): ${stderr.join('')}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

describe('the console web UI in Chromium, with the embedded stack and the shop', () => {
  let stack: RunningStack;
  let shop: ShopProcess;
  let browser: Browser;
  let page: Page;
  let consoleUrl: string;
  let errors: string[];
  let dataDir: string;
  let approvedDecision = '';

  const clearStageState = (): Promise<unknown> =>
    Promise.all(['decider', 'analyzer', 'executor'].map((d) => rm(join(dataDir, d), { recursive: true, force: true })));

  beforeAll(async () => {
    const port = await freePort();
    const shopUrl = `http://127.0.0.1:${port}`;
    const loops = await mkdtemp(join(tmpdir(), 'console-ui-loops-'));
    await writeFile(join(loops, 'shop.yaml'), loopSpec(shopUrl));
    const database = `console_ui_${randomUUID().slice(0, 8)}`;
    const config = testConfig('embedded', database, {
      HOMEOSTAT_LOOPS_DIR: loops,
      ANALYZER_BUCKET_MS: '1000',
      ANALYZER_TICK_MS: '200',
      HOMEOSTAT_DECIDER_SEED: 'console-ui',
      LOG_LEVEL: process.env['DEBUG_STACK'] ? 'debug' : 'warn',
    });
    dataDir = config.dataDir;
    // The stages keep state files in the process's one data dir: start from none, leave none.
    await clearStageState();
    stack = await runServices(
      serviceDefinitions(SERVICE_NAMES),
      config,
      new JsonLogger('test', config.logLevel, (line) => (process.env['DEBUG_STACK'] ? process.stderr.write(line + '\n') : undefined)),
    );
    const url = (name: string): string => stack.services.find((s) => s.name === name)!.url;
    consoleUrl = url('console');
    shop = await startShopProcess(port, url('collector'), await mkdtemp(join(tmpdir(), 'console-ui-shop-')));
    expect(shop.url).toBe(shopUrl);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectPageErrors(page);
  });

  afterAll(async () => {
    if (process.env['DEBUG_CONSOLE_UI'] && consoleUrl) {
      for (const path of ['/api/incidents', '/api/decisions', '/api/control'])
        process.stderr.write(`${path}: ${await (await fetch(consoleUrl + path)).text()}\n`);
    }
    await browser?.close();
    await shop?.stop();
    await stack?.stop();
    if (dataDir) await clearStageState();
  });

  const progressOf = (decisionId: string): Promise<string | null> =>
    page.getAttribute(`[data-testid=decision-row][data-decision="${decisionId}"]`, 'data-progress');

  it('shows the overview live within a second of navigation, and says who acts', async () => {
    await page.goto(`${consoleUrl}/#/login`);
    await page.fill('[data-testid=actor-name]', 'alice');
    await page.click('[data-testid=save-name]');
    await page.goto(`${consoleUrl}/`);
    await page.waitForSelector('[data-ready=overview]');
    const timing = await firstScreenTiming(page);
    process.stdout.write(
      `console first screen on loopback: load event ${timing.loadEventMs} ms, first data rendered ${timing.firstDataMs} ms after navigation start\n`,
    );
    expect(await page.getAttribute('[data-testid=loop-shop]', 'data-state')).toBe('active');
    expect(await page.textContent('[data-testid=who]')).toContain('alice');
    await page.waitForSelector('[data-testid=live]:has-text("live")');
  });

  it('shows the incident of an injected fault without a reload, and its decision waiting for approval', async () => {
    // The analyzer learns what normal looks like first (README: ten buckets per series, 1 s here).
    await new Promise((r) => setTimeout(r, 15_000));
    expect(await page.$$('[data-testid=incident-row]')).toHaveLength(0);
    await fetch(`${shop.url}/faults/pool-leak`, { method: 'POST' });
    await page.waitForSelector('[data-testid=incident-row]', { timeout: 60_000 });
    const pending = await page.waitForSelector('[data-testid=decision-row][data-progress=awaiting-approval]', { timeout: 30_000 });
    approvedDecision = (await pending.getAttribute('data-decision')) ?? '';
    await page.waitForSelector('[data-testid=approvals-banner]');
    await screenshot(page, '1-overview-incident');
  });

  it('explains the decision top to bottom as the loop thought it', async () => {
    await page.click(`[data-testid=decision-row][data-decision="${approvedDecision}"] [data-testid=decision-link]`);
    await page.waitForSelector('[data-ready=decision]');
    expect(await page.textContent('[data-testid=evidence-summary]')).toMatch(/anomalous series/);
    expect(await page.$$('[data-testid=series]')).not.toHaveLength(0);
    await page.waitForSelector('[data-testid=series-chart][data-rendered=true] svg', { timeout: 20_000 });
    expect(await page.textContent('[data-testid=hypothesis]')).toMatch(/shop/);
    expect(await page.$$('[data-testid=candidate]')).toHaveLength(2);
    expect(await page.$$('[data-testid=candidate][data-verdict=chosen]')).toHaveLength(1);
    // recycle-pool waits as `propose` (autonomy), restart for its risk (approval): either way a person decides.
    const failed = await page.$$eval('[data-testid=guardrail][data-passed=false]', (rows) => rows.map((r) => r.getAttribute('data-name')));
    expect(failed.length).toBe(1);
    expect(['approval', 'autonomy']).toContain(failed[0]);
    expect(await page.getAttribute('[data-testid=guardrail][data-name=kill-switch]', 'data-passed')).toBe('true');
    expect(await page.textContent('[data-testid=mode]')).toBe('approval-required');
    expect(await page.textContent('[data-testid=trace-id]')).toMatch(/^[0-9a-f]{32}$/);
    expect(await page.textContent('[data-testid=decision-progress]')).toBe('awaiting-approval');
    await screenshot(page, '2-decision-awaiting-approval');
    // The charts plot stored telemetry read back through the learner, not just the two numbers of the evidence.
    const now = Date.now();
    const q = new URLSearchParams({
      service: 'shop',
      name: 'span.request.rate',
      from: new Date(now - 60_000).toISOString(),
      to: new Date(now).toISOString(),
      step: '1000',
    });
    const series = (await (await fetch(`${consoleUrl}/api/telemetry/series?${q.toString()}`)).json()) as {
      source: string;
      points: unknown[];
    };
    expect(series.source).toBe('otel_traces');
    expect(series.points.length).toBeGreaterThan(10);
  });

  it('approves the decision in the approvals queue and sees it run and verified', async () => {
    await page.click('[data-testid=nav-approvals]');
    await page.waitForSelector(`[data-testid=approval-row][data-decision="${approvedDecision}"]`);
    await screenshot(page, '3-approvals');
    await page.click(`[data-testid=approval-row][data-decision="${approvedDecision}"] [data-testid=approve]`);
    await page.fill('[data-testid=approve-dialog] [data-testid=reason]', 'the pool is leaking, go');
    await page.click('[data-testid=approve-dialog] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=approvals-empty]', { timeout: 10_000 });
    await page.goto(`${consoleUrl}/#/decisions/${approvedDecision}`);
    await page.waitForSelector('[data-testid=outcome-status]:has-text("succeeded")', { timeout: 45_000 });
    expect(await page.textContent('[data-testid=person]')).toMatch(/approved by alice.*the pool is leaking, go/);
    await screenshot(page, '4-decision-succeeded');
    // The ledger has the approval with its actor, and the shop is healthy again.
    const answer = (await (await fetch(`${consoleUrl}/api/decisions/${approvedDecision}`)).json()) as {
      commands: { data: { command: string; actor: string } }[];
    };
    expect(answer.commands.map((c) => `${c.data.command}:${c.data.actor}`)).toContain('approve:alice');
    await eventually('the shop healthy', async () => (await fetch(`${shop.url}/health`)).status === 200, 20_000);
  });

  it('with the kill switch on, does not act on the next incident', async () => {
    await page.goto(`${consoleUrl}/`);
    await page.waitForSelector('[data-ready=overview]');
    // Whatever the remedy stirred up (a restart's 503s are an incident too) settles first.
    await page.waitForSelector('[data-testid=incident-row]', { state: 'detached', timeout: 60_000 });
    const known = new Set(await page.$$eval('[data-testid=decision-row]', (rows) => rows.map((r) => r.getAttribute('data-decision'))));
    await page.click('[data-testid=kill-switch-on]');
    await page.fill('[data-testid=kill-dialog] [data-testid=reason]', 'maintenance window');
    await page.click('[data-testid=kill-dialog] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=kill-switch][data-on=true]', { timeout: 10_000 });
    await page.waitForSelector('[data-testid=loop-shop][data-state=kill-switch]');

    await fetch(`${shop.url}/faults/pool-leak`, { method: 'POST' });
    let decisionId = '';
    await eventually(
      'a decision about the new incident',
      async () => {
        const rows = await page.$$eval('[data-testid=decision-row]', (els) =>
          els.map((r) => ({ id: r.getAttribute('data-decision') ?? '', progress: r.getAttribute('data-progress') })),
        );
        const fresh = rows.filter((r) => !known.has(r.id));
        decisionId = fresh[0]?.id ?? '';
        return fresh.length > 0;
      },
      60_000,
    );
    expect(await progressOf(decisionId)).toBe('not-acted-on');
    await screenshot(page, '5-overview-kill-switch');
    await page.goto(`${consoleUrl}/#/decisions/${decisionId}`);
    await page.waitForSelector('[data-ready=decision]');
    expect(await page.getAttribute('[data-testid=guardrail][data-name=kill-switch]', 'data-passed')).toBe('false');
    expect(await page.textContent('[data-testid=mode]')).toBe('escalate');
    expect(await page.textContent('[data-testid=outcome]')).toMatch(/Not acted on/);
    await screenshot(page, '6-decision-kill-switch');

    // Nothing ran: no action started for the incident, and the fault is still there.
    await new Promise((r) => setTimeout(r, 3_000));
    const decision = (await (await fetch(`${consoleUrl}/api/decisions/${decisionId}`)).json()) as {
      decision: { data: { incidentId: string } };
    };
    const incident = (await (await fetch(`${consoleUrl}/api/incidents/${decision.decision.data.incidentId}`)).json()) as {
      outcomes: unknown[];
      decisions: { data: { mode?: string } }[];
    };
    expect(incident.outcomes).toEqual([]);
    expect(incident.decisions.map((d) => d.data.mode)).not.toContain('execute');
    expect(((await (await fetch(`${shop.url}/faults`)).json()) as { active: string[] }).active).toContain('pool-leak');

    // The commands are in the ledger with their actor.
    await page.goto(`${consoleUrl}/`);
    await page.waitForSelector('[data-testid=command-row]:has-text("kill-switch on")');
    expect(await page.textContent('[data-testid=commands]')).toMatch(/alice[\s\S]*maintenance window/);
    expect(await progressOf(approvedDecision)).toBe('succeeded');
  });

  it('shows what the loop learned per fingerprint', async () => {
    await page.click('[data-testid=nav-learning]');
    await page.waitForSelector('[data-ready=learning]');
    await page.waitForSelector('[data-testid=effectiveness-row]');
    expect(await page.textContent('[data-testid=effectiveness]')).toMatch(/100 %/);
    await page.waitForSelector('[data-testid=learning-curve][data-rendered=true] svg', { timeout: 20_000 });
    await screenshot(page, '7-learning');
    // Clean up: the switch off again (in the UI), the fault cleared.
    await page.goto(`${consoleUrl}/`);
    await page.waitForSelector('[data-ready=overview]');
    await page.click('[data-testid=kill-switch-off]');
    await page.click('[data-testid=kill-dialog] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=kill-switch][data-on=false]', { timeout: 10_000 });
    await fetch(`${shop.url}/faults`, { method: 'DELETE' });
    expect(errors).toEqual([]);
  });
});

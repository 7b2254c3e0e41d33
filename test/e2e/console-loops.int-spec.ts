import type { Browser, Page } from 'playwright-core';
import { serviceDefinitions } from '@homeostat/cli';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { dropTestDatabase } from '@homeostat/store';
import { JsonLogger } from '@homeostat/telemetry';
import { DEMO_OPTIMIZE_LOOP, demoLoopMessages } from '../deploy/demo-loops';
import { collectPageErrors, launchChromium, screenshot } from '../browser';
import { eventually, testConfig } from '../support';

/**
 * The console's repair and experiments views in real headless Chromium: the learner and the console
 * (embedded), a repair loop's and an optimize loop's events as their stages publish them, stored by
 * the learner and read back through the console's API. No other stage runs, so it takes seconds.
 */
const DATABASE = 'console_loops_it';

describe('console: the repair and the experiments views in a browser', () => {
  let stack: RunningStack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let consoleUrl: string;

  beforeAll(async () => {
    await dropTestDatabase(DATABASE);
    const config = testConfig('embedded', DATABASE, { LOG_LEVEL: 'warn' });
    stack = await runServices(serviceDefinitions(['learner', 'console']), config, new JsonLogger('console-loops-it', 'warn'));
    for (const { topic, event } of demoLoopMessages(Date.parse('2026-03-02T08:00:00.000Z')))
      await stack.bus.publish(topic, event, { key: event.subject ?? 'demo' });
    consoleUrl = stack.services.find((s) => s.name === 'console')!.url;
    await eventually(
      'the learner to store both loops',
      async () => {
        const incidents = (await (await fetch(`${consoleUrl}/api/incidents?status=resolved`)).json()) as unknown[];
        const experiments = (await (await fetch(`${consoleUrl}/api/experiments?loop=${DEMO_OPTIMIZE_LOOP}`)).json()) as {
          outcome: unknown;
        }[];
        return incidents.length === 8 && experiments.length === 5 && experiments.every((x) => x.outcome !== null);
      },
      60_000,
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await dropTestDatabase(DATABASE);
  });

  it('shows a failed build: diagnosis, candidates, each validation run, the diff and where the fix was pushed', async () => {
    const incidents = (await (await fetch(`${consoleUrl}/api/incidents`)).json()) as { incidentId: string; title: string }[];
    const build = incidents.find((i) => i.title.includes('deps/connector-2.0.0'))!;
    const incidentId = build.incidentId;
    await page.goto(`${consoleUrl}/#/incidents/${incidentId}`);
    await page.waitForSelector('[data-ready=incident]');
    await page.click('[data-testid=repair-link]');
    await page.waitForSelector('[data-ready=repair]');
    expect(await page.textContent('[data-testid=repair-state]')).toBe('fixed');
    expect(await page.textContent('[data-testid=repair-category]')).toBe('toolchain');
    expect(await page.textContent('[data-testid=repair-signature]')).toBe('toolchain|EBADENGINE|engine-node');
    expect(await page.textContent('[data-testid=repair-culprit]')).toMatch(/@acme\/connector\s+1\.4\.2 → 2\.0\.0/);
    expect(await page.textContent('[data-testid=reason-lines]')).toContain('npm error code EBADENGINE');
    const attempts = await page.$$eval('[data-testid=repair-attempt]', (els) => els.map((e) => e.getAttribute('data-progress')));
    expect(attempts).toEqual(['failed', 'succeeded']);
    expect(await page.$$eval('[data-testid=validation-step]', (els) => els.length)).toBe(4);
    expect(await page.textContent('[data-testid=repair-attempt]:last-child [data-testid=repair-diff]')).toContain(
      '+    "@acme/connector": "1.4.2"',
    );
    expect(await page.textContent('[data-testid=repair-outcome]')).toMatch(/move-dependency:@acme\/connector@1\.5\.0 → revert-update/);
    expect(await page.textContent('[data-testid=repair-pushed]')).toMatch(/to deps\/connector-2\.0\.0 of \/srv\/git\/connector-app\.git/);
    await screenshot(page, 'repair');
    expect(errors).toEqual([]);
  });

  it("shows an optimize loop's experiments per route, kept and rolled back with their effects, and what it learned per regime", async () => {
    await page.goto(`${consoleUrl}/#/experiments/${DEMO_OPTIMIZE_LOOP}`);
    await page.waitForSelector('[data-ready=experiments]');
    expect(await page.$$eval('[data-testid=route]', (els) => els.map((e) => e.getAttribute('data-route')))).toEqual([
      'GET /catalog',
      'GET /search',
    ]);
    expect(await page.$$eval('[data-testid=experiment]', (els) => els.map((e) => e.getAttribute('data-verdict')))).toEqual([
      'kept',
      'rolled-back',
      'kept',
      'kept',
      'rolled-back',
    ]);
    expect(await page.textContent('[data-testid=experiment-totals]')).toMatch(/5 experiment\(s\): 3 kept, 2 rolled back, 1 from/);
    expect(await page.$$eval('[data-testid=guard][data-state=broke]', (els) => els.map((e) => e.textContent?.trim()))).toEqual(['p99 ✗']);
    expect(await page.$$eval('[data-testid=known-good]', (els) => els.length)).toBe(1);
    expect(await page.$$eval('[data-testid=kept-row]', (els) => els.length)).toBe(3);
    expect(await page.textContent('[data-testid=kept]')).toContain('58 ms [50, 63] (73 %)');
    expect(await page.$$eval('[data-testid=rolled-back-row]', (els) => els.length)).toBe(2);
    await screenshot(page, 'experiments');

    await page.goto(`${consoleUrl}/#/learning/${DEMO_OPTIMIZE_LOOP}`);
    await page.waitForSelector('[data-ready=learning]');
    expect(await page.textContent('[data-testid=effectiveness-title]')).toBe('Configuration per traffic regime');
    expect(await page.textContent('[data-testid=known-config]')).toContain('cache GET /catalog 22.5 s + 7.5 s stale');
    expect(errors).toEqual([]);
  });
});

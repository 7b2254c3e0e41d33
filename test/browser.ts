import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); `npx playwright install` cannot download here. */
export const CHROMIUM = process.env['HOMEOSTAT_CHROMIUM'] ?? '/usr/bin/chromium';

/** Without the background-networking flags Chromium waits on Google's services on a closed network. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
}

/** Screenshots of the web UI, kept by CI as test artifacts (gitignored). */
export const ARTIFACTS = join(__dirname, '..', 'test-artifacts', 'console');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Browser errors fail the test that caused them: collect them per page. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[13]/.test(m.text()))
      errors.push(m.text());
  });
  return errors;
}

/** Navigation to the load event, and to the first data on screen (the page marks it), in ms. */
export async function firstScreenTiming(page: Page): Promise<{ loadEventMs: number; firstDataMs: number | null }> {
  return page.evaluate(() => {
    const nav = (performance.getEntriesByType as (type: string) => unknown[])('navigation')[0] as { loadEventEnd: number } | undefined;
    const mark = performance.getEntriesByName('homeostat:first-data')[0];
    return { loadEventMs: Math.round(nav?.loadEventEnd ?? -1), firstDataMs: mark ? Math.round(mark.startTime) : null };
  });
}

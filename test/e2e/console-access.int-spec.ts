import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { serviceDefinitions } from '@homeostat/cli';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { collectPageErrors, launchChromium, screenshot } from '../browser';
import { eventually, testConfig } from '../support';

const VIEWER = 'viewer-token-vera-0001';
const OPERATOR = 'operator-token-otto-01';
const ADMIN = 'admin-token-ada-000001';

/**
 * Access control on the console (CONSOLE_TOKENS): each role may do what it should and no more,
 * answers say why (401/403, JSON), every command is recorded with the token's owner as its actor,
 * and the web UI signs in with a token.
 */
describe('console access with tokens and roles', () => {
  let stack: RunningStack;
  let api: string;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    const database = `console_access_${randomUUID().slice(0, 8)}`;
    const config = testConfig('embedded', database, {
      CONSOLE_TOKENS: `vera:viewer:${VIEWER},otto:operator:${OPERATOR},ada:admin:${ADMIN}`,
    });
    stack = await runServices(serviceDefinitions(['learner', 'console']), config, new JsonLogger('test', 'warn', () => undefined));
    base = stack.services.find((s) => s.name === 'console')!.url;
    api = `${base}/api`;
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const call = async (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };

  it('answers 401 without a valid token and 403 when the role is too low, with a clear JSON message', async () => {
    expect(await call('GET', '/overview')).toEqual({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/a token is required/) },
    });
    expect((await call('GET', '/decisions', 'wrong-token-000000000')).status).toBe(401);
    expect((await fetch(`${api}/events`)).status).toBe(401);
    // A session cookie the console did not write (it does not URI-decode) is a wrong token, not a 500.
    const badCookie = await fetch(`${api}/overview`, { headers: { cookie: 'homeostat_console=%E0%A4%A' } });
    expect(badCookie.status).toBe(401);
    expect(await badCookie.json()).toMatchObject({ statusCode: 401, message: expect.stringMatching(/token is not valid/) });
    expect(await call('POST', '/loops/shop/pause', VIEWER, { reason: 'x' })).toEqual({
      status: 403,
      body: {
        statusCode: 403,
        error: 'Forbidden',
        message: 'vera has the role viewer; this needs operator (operators may approve, reject, pause and resume)',
      },
    });
    expect((await call('POST', '/kill-switch', OPERATOR, { on: true, reason: 'x' })).status).toBe(403);
    expect((await call('GET', '/tokens', OPERATOR)).status).toBe(403);
    // The probes, the health check and the page stay open.
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await fetch(`${base}/`)).status).toBe(200);
  });

  it('lets each role do its part, recording the token’s owner as the actor whatever the body says', async () => {
    expect((await call('GET', '/overview', VIEWER)).status).toBe(200);
    expect((await call('POST', '/loops/shop/pause', OPERATOR, { reason: 'deploying', actor: 'mallory' })).status).toBe(202);
    expect((await call('POST', '/kill-switch', ADMIN, { on: false, reason: 'all clear' })).status).toBe(202);
    expect(await call('GET', '/tokens', ADMIN)).toEqual({
      status: 200,
      body: {
        authEnabled: true,
        tokens: [
          { name: 'vera', role: 'viewer' },
          { name: 'otto', role: 'operator' },
          { name: 'ada', role: 'admin' },
        ],
      },
    });
    await eventually('both commands in the ledger', async () => {
      const rows = (await (await fetch(`${api}/control`, { headers: { authorization: `Bearer ${VIEWER}` } })).json()) as {
        command: string;
        actor: string;
      }[];
      return (
        rows.some((r) => r.command === 'pause-loop' && r.actor === 'otto') &&
        rows.some((r) => r.command === 'kill-switch' && r.actor === 'ada')
      );
    });
    const rows = (await (await fetch(`${api}/control`, { headers: { authorization: `Bearer ${VIEWER}` } })).json()) as { actor: string }[];
    expect(rows.map((r) => r.actor)).not.toContain('mallory');
  });

  it('refuses commands on decisions that are malformed (400) or that the ledger does not have (404), and records none', async () => {
    const unknown = randomUUID();
    for (const verb of ['approve', 'reject']) {
      expect((await call('POST', `/decisions/${'a'.repeat(8000)}/${verb}`, OPERATOR, { reason: 'x' })).status).toBe(400);
      expect((await call('POST', `/decisions/%00/${verb}`, OPERATOR, { reason: 'x' })).status).toBe(400);
      expect(await call('POST', `/decisions/${unknown}/${verb}`, OPERATOR, { reason: 'x' })).toEqual({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: `no decision ${unknown}` },
      });
    }
    // Nothing went on loop.control: a pause published after them is recorded, they are not.
    expect((await call('POST', '/loops/after-refusals/pause', OPERATOR, { reason: 'marker' })).status).toBe(202);
    await eventually('the marker in the ledger', async () => {
      const rows = (await (await fetch(`${api}/control`, { headers: { authorization: `Bearer ${VIEWER}` } })).json()) as {
        loop?: string;
      }[];
      return rows.some((r) => r.loop === 'after-refusals');
    });
    const rows = (await (await fetch(`${api}/control`, { headers: { authorization: `Bearer ${VIEWER}` } })).json()) as {
      command: string;
    }[];
    expect(rows.filter((r) => r.command === 'approve' || r.command === 'reject')).toEqual([]);
  });

  it('signs in on the web UI with a token (an HttpOnly session cookie), and offers a viewer nothing it may not do', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectPageErrors(page);
    await page.goto(`${base}/`);
    await page.waitForSelector('[data-ready=login]');
    await page.fill('[data-testid=token]', 'not-the-right-token-00');
    await page.click('[data-testid=sign-in]');
    await page.waitForSelector('[data-testid=login-error]:has-text("401")');
    await screenshot(page, '0-sign-in');
    await page.fill('[data-testid=token]', VIEWER);
    await page.click('[data-testid=sign-in]');
    await page.waitForSelector('[data-ready=overview]');
    expect(await page.textContent('[data-testid=who]')).toBe('vera · viewer');
    expect(await page.isDisabled('[data-testid=kill-switch-on]')).toBe(true);
    expect(await page.isDisabled('[data-testid=resume-shop]')).toBe(true);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'homeostat_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // HttpOnly: the page's scripts never see the token.
    expect(await page.evaluate('document.cookie')).toBe('');
    await page.waitForSelector('[data-testid=live]:has-text("live")');
    await page.goto(`${base}/#/logout`);
    await page.waitForSelector('[data-ready=login]');
    expect(await page.context().cookies()).toEqual([]);
    expect(errors).toEqual([]);
  });
});

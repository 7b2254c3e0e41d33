import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startShop, type RunningShop, type StartShopOptions } from './index';

/**
 * The shop end to end over loopback HTTP: each fault shows its symptom on /health under the
 * synthetic load, is fixed by its remedy and not by the wrong ones. The SLO window is 3 s here
 * (10 s by default) so recoveries show quickly.
 */
const WINDOW_MS = 3_000;
const TRAFFIC = 50;
const timings: Record<string, number> = {};
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-int-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  process.stdout.write(`shop timings (ms): ${JSON.stringify(timings)}\n`);
});

async function withShop(fn: (shop: RunningShop) => Promise<void>, options: Partial<StartShopOptions> = {}): Promise<void> {
  const shop = await startShop({
    port: 0,
    traffic: TRAFFIC,
    telemetry: false,
    dataDir: tempDir(),
    slo: { windowMs: WINDOW_MS },
    ...options,
  });
  try {
    await fn(shop);
  } finally {
    await shop.stop();
  }
}

interface Health {
  status: number;
  body: { status: string; reasons: Array<{ code: string; message: string }> };
}

async function call(shop: RunningShop, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${shop.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function health(shop: RunningShop): Promise<Health> {
  const res = await fetch(`${shop.url}/health`);
  return { status: res.status, body: (await res.json()) as Health['body'] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codes = (h: Health) => h.body.reasons.map((r) => r.code);

/** Polls /health until `check` holds; returns how long it took. */
async function waitFor(shop: RunningShop, check: (h: Health) => boolean, what: string, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  let last: Health | undefined;
  while (Date.now() - started < timeoutMs) {
    last = await health(shop);
    if (check(last)) return Date.now() - started;
    await sleep(200);
  }
  throw new Error(`${what} not seen within ${timeoutMs} ms; last /health ${last?.status} ${JSON.stringify(last?.body.reasons)}`);
}
const unhealthyWith = (code: string) => (h: Health) => h.status === 503 && codes(h).includes(code);
const healthy = (h: Health) => h.status === 200;

/** The executor's verification: three 200s in a row must NOT happen over `ms`. */
async function staysUnhealthy(shop: RunningShop, ms: number, what: string): Promise<void> {
  const started = Date.now();
  let streak = 0;
  while (Date.now() - started < ms) {
    const h = await health(shop);
    streak = h.status === 200 ? streak + 1 : 0;
    if (streak >= 3) throw new Error(`${what}: /health was 200 three times in a row`);
    await sleep(500);
  }
}

async function recycle(shop: RunningShop) {
  expect((await call(shop, 'POST', '/actuator/pool/recycle')).status).toBe(200);
}
async function restart(shop: RunningShop) {
  expect((await call(shop, 'POST', '/actuator/restart')).status).toBe(202);
  await waitFor(shop, (h) => h.body.status !== 'restarting', 'the end of the restart', 10_000);
}

describe('shop faults and remedies', () => {
  it.concurrent('pool-leak: pool exhausted; a config change does not fix it, recycle does', async () => {
    await withShop(async (shop) => {
      await waitFor(shop, healthy, 'healthy at start');
      await call(shop, 'POST', '/faults/pool-leak');
      timings['pool-leak symptom'] = await waitFor(shop, unhealthyWith('pool_exhausted'), 'pool exhausted');
      expect((await health(shop)).body.reasons.find((r) => r.code === 'pool_exhausted')?.message).toMatch(/10\/10 in use/);
      expect((await call(shop, 'PUT', '/actuator/config', { cache: { enabled: true }, concurrencyLimit: 500 })).status).toBe(200);
      await staysUnhealthy(shop, 3_000, 'pool-leak after a config change');
      expect(codes(await health(shop))).toContain('pool_exhausted');
      await recycle(shop);
      expect(codes(await health(shop))).not.toContain('pool_exhausted');
      timings['pool-leak fixed by recycle'] = await waitFor(shop, healthy, 'healthy after recycle');
      expect((await call(shop, 'GET', '/faults')).body['active']).toEqual([]);
    });
  });

  it.concurrent('slow-dependency: p95 over the SLO; recycle and restart do not fix it, the cache does', async () => {
    await withShop(async (shop) => {
      await waitFor(shop, healthy, 'healthy at start');
      await call(shop, 'POST', '/faults/slow-dependency');
      timings['slow-dependency symptom'] = await waitFor(shop, unhealthyWith('latency_slo'), 'latency over the SLO');
      await recycle(shop);
      await staysUnhealthy(shop, 3_000, 'slow-dependency after recycle');
      await restart(shop);
      await staysUnhealthy(shop, 4_000, 'slow-dependency after restart');
      expect(codes(await health(shop))).toContain('latency_slo');
      await call(shop, 'PUT', '/actuator/config', { cache: { enabled: true } });
      timings['slow-dependency fixed by cache'] = await waitFor(shop, healthy, 'healthy with the cache');
      // The traffic draws items at random: item 3 may not be cached yet, but once asked for it is.
      await call(shop, 'GET', '/catalog?item=3');
      expect((await call(shop, 'GET', '/catalog?item=3')).body['cache']).toMatch(/hit|stale/);
    });
  });

  it.concurrent('retry-storm: errors over the SLO; restart and recycle do not fix it, a budgeted retry policy does', async () => {
    await withShop(async (shop) => {
      await waitFor(shop, healthy, 'healthy at start');
      await call(shop, 'POST', '/faults/retry-storm');
      timings['retry-storm symptom'] = await waitFor(shop, unhealthyWith('error_rate_slo'), 'error rate over the SLO');
      await restart(shop);
      await staysUnhealthy(shop, 4_000, 'retry-storm after restart');
      await recycle(shop);
      await staysUnhealthy(shop, 3_000, 'retry-storm after recycle');
      await call(shop, 'PUT', '/actuator/config', { retry: { maxAttempts: 3, backoffMs: 200, budget: 0.1 } });
      timings['retry-storm fixed by retry policy'] = await waitFor(shop, healthy, 'healthy with the retry budget');
      await staysHealthyMostly(shop, 4_000);
    });
  });

  it.concurrent('bad-config: errors over the SLO; recycle and restart do not fix it, rollback does', async () => {
    await withShop(async (shop) => {
      await waitFor(shop, healthy, 'healthy at start');
      await call(shop, 'POST', '/faults/bad-config');
      expect((await call(shop, 'GET', '/actuator/config')).body['version']).toBe(2);
      timings['bad-config symptom'] = await waitFor(shop, unhealthyWith('error_rate_slo'), 'error rate over the SLO');
      await recycle(shop);
      await staysUnhealthy(shop, 3_000, 'bad-config after recycle');
      await restart(shop);
      await staysUnhealthy(shop, 4_000, 'bad-config after restart');
      const rollback = await call(shop, 'POST', '/actuator/config/rollback');
      expect(rollback.body).toMatchObject({ from: 2, to: 1 });
      timings['bad-config fixed by rollback'] = await waitFor(shop, healthy, 'healthy after rollback');
      expect((await call(shop, 'GET', '/faults')).body['active']).toEqual([]);
    });
  });
});

/** After a fix, /health may blip but is 200 most of the time. */
async function staysHealthyMostly(shop: RunningShop, ms: number): Promise<void> {
  let ok = 0;
  let all = 0;
  const started = Date.now();
  while (Date.now() - started < ms) {
    all++;
    if ((await health(shop)).status === 200) ok++;
    await sleep(250);
  }
  expect(ok / all).toBeGreaterThanOrEqual(0.8);
}

describe('shop control API', () => {
  it('DELETE /faults clears every fault', async () => {
    await withShop(async (shop) => {
      for (const fault of ['pool-leak', 'slow-dependency', 'retry-storm', 'bad-config']) {
        expect((await call(shop, 'POST', `/faults/${fault}`)).status).toBe(200);
      }
      expect((await call(shop, 'GET', '/faults')).body['active']).toEqual(['pool-leak', 'slow-dependency', 'retry-storm', 'bad-config']);
      await waitFor(shop, (h) => h.status === 503, 'unhealthy');
      const cleared = await call(shop, 'DELETE', '/faults');
      expect(cleared.body).toMatchObject({ active: [] });
      expect((await call(shop, 'GET', '/faults')).body['active']).toEqual([]);
      timings['all faults cleared'] = await waitFor(shop, healthy, 'healthy after DELETE /faults');
    });
  });

  it('validates input: bad JSON, unknown config fields, unknown faults, unknown routes', async () => {
    await withShop(
      async (shop) => {
        const badJson = await call(shop, 'PUT', '/actuator/config', '{"cache":');
        expect(badJson).toMatchObject({ status: 400, body: { error: 'INVALID_JSON' } });
        const unknown = await call(shop, 'PUT', '/actuator/config', { cache: { enabled: true, sizeMb: 3 } });
        expect(unknown).toMatchObject({ status: 400, body: { error: 'INVALID_CONFIG' } });
        expect(unknown.body['message']).toMatch(/cache: unknown field\(s\) "sizeMb"/);
        const range = await call(shop, 'PUT', '/actuator/config', { retry: { maxAttempts: 0 } });
        expect(range).toMatchObject({ status: 400, body: { errors: [expect.stringMatching(/^retry\.maxAttempts:/)] } });
        expect((await call(shop, 'GET', '/actuator/config')).body['version']).toBe(1);
        const fault = await call(shop, 'POST', '/faults/disk-full');
        expect(fault).toMatchObject({
          status: 404,
          body: { error: 'UNKNOWN_FAULT', known: ['pool-leak', 'slow-dependency', 'retry-storm', 'bad-config'] },
        });
        expect((await call(shop, 'GET', '/nope')).status).toBe(404);
        expect((await call(shop, 'DELETE', '/actuator/config')).status).toBe(405);
        expect((await call(shop, 'POST', '/actuator/config/rollback')).status).toBe(409);
      },
      { traffic: 0 },
    );
  });

  it('applies an Idempotency-Key once and replays the first answer', async () => {
    await withShop(
      async (shop) => {
        const key = { 'idempotency-key': 'decision-1' };
        const first = await call(shop, 'PUT', '/actuator/config', { cache: { enabled: true } }, key);
        const again = await call(shop, 'PUT', '/actuator/config', { cache: { enabled: true } }, key);
        expect(first.body['version']).toBe(2);
        expect(again.body).toEqual(first.body);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(first.headers.get('idempotent-replayed')).toBeNull();
        expect((await call(shop, 'GET', '/actuator/config')).body['version']).toBe(2);

        await call(shop, 'PUT', '/actuator/config', { retry: { maxAttempts: 2 } });
        const rollbackKey = { 'idempotency-key': 'decision-2' };
        const rb1 = await call(shop, 'POST', '/actuator/config/rollback', undefined, rollbackKey);
        const rb2 = await call(shop, 'POST', '/actuator/config/rollback', undefined, rollbackKey);
        expect(rb1.body).toMatchObject({ from: 3, to: 2 });
        expect(rb2.body).toEqual(rb1.body);
        expect((await call(shop, 'GET', '/actuator/config')).body['version']).toBe(2);

        const reused = await call(shop, 'POST', '/actuator/pool/recycle', undefined, key);
        expect(reused.status).toBe(422);

        const restartKey = { 'idempotency-key': 'decision-3' };
        expect((await call(shop, 'POST', '/actuator/restart', undefined, restartKey)).status).toBe(202);
        await waitFor(shop, healthy, 'back after restart', 10_000);
        const replayed = await call(shop, 'POST', '/actuator/restart', undefined, restartKey);
        expect(replayed.status).toBe(202);
        expect(replayed.headers.get('idempotent-replayed')).toBe('true');
        expect((await health(shop)).status).toBe(200);
      },
      { traffic: 0, restartMs: 1_000 },
    );
  });

  it('restart: a few seconds of 503, then 200, with the persisted config intact', async () => {
    const dataDir = tempDir();
    await withShop(
      async (shop) => {
        await call(shop, 'PUT', '/actuator/config', { cache: { enabled: true } });
        await waitFor(shop, healthy, 'healthy at start');
        const started = Date.now();
        expect((await call(shop, 'POST', '/actuator/restart')).status).toBe(202);
        const during = await health(shop);
        expect(during).toMatchObject({ status: 503, body: { status: 'restarting' } });
        expect((await call(shop, 'GET', '/checkout')).status).toBe(503);
        await waitFor(shop, healthy, 'healthy after restart', 10_000);
        timings['restart 503 for'] = Date.now() - started;
        expect(timings['restart 503 for']).toBeGreaterThanOrEqual(2_500);
        expect((await call(shop, 'GET', '/actuator/config')).body).toMatchObject({ version: 2, config: { cache: { enabled: true } } });
      },
      { dataDir },
    );
    await withShop(async (shop) => expect((await call(shop, 'GET', '/actuator/config')).body['version']).toBe(2), { dataDir, traffic: 0 });
  });
});

/**
 * The OTLP exporters load node:http with a dynamic import(), which jest's vm refuses; so the
 * telemetry suites run the shop as a child process, as `homeostat demo` may.
 */
async function withShopProcess(args: string[], fn: (url: string) => Promise<void>): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      path.join(__dirname, 'main.ts'),
      '--port',
      '0',
      '--traffic',
      String(TRAFFIC),
      '--data-dir',
      tempDir(),
      ...args,
    ],
    {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, SWC_NODE_PROJECT: path.resolve(__dirname, '../../../tsconfig.base.json'), OTEL_SDK_DISABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let timer: NodeJS.Timeout | undefined;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const match = /shop listening on (\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.stderr.resume();
      void exited.then((code) => reject(new Error(`the shop exited (${code}) before listening`)));
      timer = setTimeout(() => reject(new Error('the shop did not start within 20 s')), 20_000);
    }).finally(() => clearTimeout(timer));
    await fn(url);
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
}

describe('shop telemetry (child process)', () => {
  it.concurrent('exports traces, metrics and logs over OTLP/HTTP, with the pool metrics and the pool timeout logs', async () => {
    const bodies = new Map<string, string[]>();
    const collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const list = bodies.get(req.url ?? '') ?? [];
        list.push(Buffer.concat(chunks).toString('utf8'));
        bodies.set(req.url ?? '', list);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const all = (p: string) => (bodies.get(p) ?? []).join('\n');
    try {
      await withShopProcess(['--otlp-endpoint', endpoint], async (url) => {
        await fetch(`${url}/faults/pool-leak`, { method: 'POST' });
        const started = Date.now();
        const arrived = () =>
          ['/v1/traces', '/v1/metrics', '/v1/logs'].every((p) => bodies.has(p)) &&
          all('/v1/logs').includes('timeout acquiring connection') &&
          all('/v1/metrics').includes('db.client.connection.timeouts');
        while (Date.now() - started < 15_000 && !arrived()) await sleep(250);
        timings['OTLP traces+metrics+logs arrived'] = Date.now() - started;
      });
      expect(all('/v1/traces')).toContain('GET /checkout');
      expect(all('/v1/traces')).toContain('"inventory"');
      expect(all('/v1/traces')).toContain('SELECT items');
      expect(all('/v1/traces')).toContain('"shop"');
      for (const metric of [
        'db.client.connection.count',
        'db.client.connection.max',
        'db.client.connection.pending_requests',
        'db.client.connection.timeouts',
        'db.client.connection.wait_time',
        'http.server.request.duration',
      ]) {
        expect(all('/v1/metrics')).toContain(`"${metric}"`);
      }
      expect(all('/v1/logs')).toContain('timeout acquiring connection after');
    } finally {
      collector.closeAllConnections();
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });

  it.concurrent('keeps serving when the collector is down', async () => {
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', () => resolve()));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    await withShopProcess(['--otlp-endpoint', `http://127.0.0.1:${port}`], async (url) => {
      await sleep(3_000);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect((await fetch(`${url}/stock?item=2`)).status).toBe(200);
    });
  });
});

import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { startPlatform, type RunningPlatform } from './platform';
import { METRIC } from './telemetry/semconv';
import type { Topology } from './topology';

/**
 * The platform end to end on loopback: upstream replicas in processes of their own, the gateway in
 * front of them, driven over HTTP as a client and as the executor's HTTP adapter would.
 */
const TOPOLOGY: Topology = {
  upstreams: [
    {
      name: 'catalog',
      replicas: [
        { latencyMs: 2, capacity: 16, maxAgeS: 60 },
        { latencyMs: 2, capacity: 16, maxAgeS: 60 },
      ],
    },
    { name: 'orders', replicas: [{ latencyMs: 2, capacity: 16 }] },
  ],
  routes: [
    { name: 'catalog', path: '/catalog', methods: ['GET'], upstream: 'catalog', idempotent: true },
    { name: 'orders', path: '/orders', methods: ['GET', 'POST'], upstream: 'orders', idempotent: false },
  ],
};

let platform: RunningPlatform;
let dir: string;
let url: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-int-'));
  platform = await startPlatform({ port: 0, topology: TOPOLOGY, dataDir: dir, telemetry: false });
  url = platform.gateway.url;
}, 30_000);

afterAll(async () => {
  await platform?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const stats = async (upstreamUrl: string) => (await (await fetch(`${upstreamUrl}/stats`)).json()) as { requests: number; writes: number };

describe('gateway platform over HTTP', () => {
  it('routes by path to the replicas of each upstream, each in its own process', async () => {
    const replicas = new Set<unknown>();
    for (let i = 0; i < 4; i++) {
      const r = await call('GET', `/catalog/${i}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-cache')).toBe('BYPASS');
      replicas.add(r.body['replica']);
    }
    expect(replicas).toEqual(new Set(['catalog-1', 'catalog-2']));
    const order = await call('POST', '/orders', { item: 1 });
    expect([order.status, order.body['replica']]).toEqual([201, 'orders-1']);
    expect((await call('GET', '/nowhere')).status).toBe(404);
    expect((await call('DELETE', '/catalog/1')).status).toBe(405);
    const pids = new Set(platform.upstreams.processes.map((p) => p.child.pid));
    expect(pids.size).toBe(3);
    expect(pids.has(process.pid)).toBe(false);
  });

  it('versions config changes: PUT turns the cache on, rollback turns it off, a bad PUT is refused', async () => {
    const before = await call('GET', '/actuator/config');
    const version = before.body['version'] as number;

    const put = await call(
      'PUT',
      '/actuator/config',
      { routes: { catalog: { cache: { enabled: true, ttlMs: 30_000 } } } },
      { 'idempotency-key': 'cache-on-1' },
    );
    expect(put.status).toBe(200);
    expect(put.body['version']).toBe(version + 1);
    const replay = await call(
      'PUT',
      '/actuator/config',
      { routes: { catalog: { cache: { enabled: true, ttlMs: 30_000 } } } },
      { 'idempotency-key': 'cache-on-1' },
    );
    expect([replay.body['version'], replay.headers.get('idempotent-replayed')]).toEqual([version + 1, 'true']);

    const catalog = platform.upstreams.urls['catalog']!;
    const sent = async () => (await Promise.all(catalog.map(stats))).reduce((n, s) => n + s.requests, 0);
    const upstreamBefore = await sent();
    expect((await call('GET', '/catalog/42')).headers.get('x-cache')).toBe('MISS');
    const hit = await call('GET', '/catalog/42');
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('age')).toBe('0');
    expect((await call('GET', '/catalog/43?cc=no-store')).headers.get('x-cache')).toBe('MISS');
    expect((await call('GET', '/catalog/43?cc=no-store')).headers.get('x-cache')).toBe('MISS');
    expect(await sent()).toBe(upstreamBefore + 3);

    const refused = await call('PUT', '/actuator/config', { routes: { orders: { cache: { enabled: true } } } });
    expect(refused.status).toBe(400);
    expect(refused.body['errors']).toEqual(['routes.orders.cache.enabled: a non-idempotent route is never cached']);
    expect((await call('GET', '/actuator/config')).body['version']).toBe(version + 1);

    const rollback = await call('POST', '/actuator/config/rollback');
    expect([rollback.status, rollback.body['from'], rollback.body['to']]).toEqual([200, version + 1, version]);
    expect((await call('GET', '/catalog/42')).headers.get('x-cache')).toBe('BYPASS');
    expect((await call('POST', '/actuator/config/rollback')).status).toBe(409);
    const history = (await call('GET', '/actuator/config')).body['history'] as Array<{ version: number }>;
    expect(history.map((h) => h.version)).toEqual([1, 2]);
  });

  it('a whole config replaces the live one (mode=replace), and an order is sent once even when its upstream fails', async () => {
    const live = (await call('GET', '/actuator/config')).body['config'] as {
      routes: Record<string, unknown>;
      upstreams: Record<string, unknown>;
    };
    const replaced = await call('PUT', '/actuator/config?mode=replace', {
      routes: { orders: live.routes['orders'] },
      upstreams: { orders: live.upstreams['orders'] },
    });
    expect(replaced.status).toBe(200);
    expect((await call('GET', '/catalog/1')).status).toBe(404);

    const orders = platform.upstreams.urls['orders']![0]!;
    await fetch(`${orders}/faults`, { method: 'PUT', body: JSON.stringify({ burst: { durationMs: 60_000, ratio: 1 } }) });
    const before = (await stats(orders)).writes;
    const failed = await call('POST', '/orders', { item: 2 });
    expect([failed.status, failed.headers.get('x-gateway-attempts')]).toEqual([503, '1']);
    expect((await stats(orders)).writes).toBe(before + 1);
    await fetch(`${orders}/faults`, { method: 'DELETE' });
    expect((await call('POST', '/actuator/config/rollback')).status).toBe(200);
    expect((await call('GET', '/catalog/1')).status).toBe(200);
  });

  it('an upstream under the gradient2 limit admits its limit and sheds the rest, and goes back to fixed by PUT', async () => {
    const put = await call('PUT', '/actuator/config', {
      upstreams: { catalog: { concurrency: { mode: 'gradient2', initialLimit: 4, minLimit: 2, maxLimit: 10 }, queueLimit: 0 } },
    });
    expect(put.status).toBe(200);
    const live = (await call('GET', '/actuator/config')).body['config'] as { upstreams: Record<string, { concurrency?: unknown }> };
    expect(live.upstreams['catalog']?.concurrency).toEqual({ mode: 'gradient2', initialLimit: 4, minLimit: 2, maxLimit: 10 });
    expect(platform.gateway.concurrency('catalog')).toEqual({ limit: 4, inUse: 0, queued: 0 });
    const replicas = platform.upstreams.urls['catalog']!;
    const faults = (method: string, body?: unknown) =>
      Promise.all(replicas.map((r) => fetch(`${r}/faults`, { method, ...(body ? { body: JSON.stringify(body) } : {}) })));
    // Slow replicas keep the first four in flight while the other eight arrive.
    await faults('PUT', { slowMs: 400 });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => call('GET', `/catalog/adaptive-${i}`)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array(4).fill(200), ...Array(8).fill(503)]);
      expect(results.find((r) => r.status === 503)?.body['reason']).toBe('queue_full');
    } finally {
      await faults('DELETE');
    }
    expect(
      (await call('PUT', '/actuator/config', { upstreams: { catalog: { concurrency: { mode: 'fixed' }, queueLimit: 1_000 } } })).status,
    ).toBe(200);
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => call('GET', `/catalog/fixed-${i}`)));
    expect(burst.every((r) => r.status === 200)).toBe(true);
  });
});

describe('gateway telemetry', () => {
  // In a process of its own: the OTLP exporters load node:http with a dynamic import(), which
  // jest's module sandbox refuses, so an in-test gateway would export nothing.
  it('exports its metrics as OTLP/HTTP to a collector, per route and per upstream', async () => {
    const seen = new Map<string, Set<string>>();
    const collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/metrics') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<Record<string, unknown> & { name: string }> }> }>;
          };
          for (const m of body.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))) {
            const points = Object.values(m).flatMap(
              (v) => ((v as { dataPoints?: unknown[] })?.dataPoints ?? []) as Array<{ attributes?: Array<{ key: string }> }>,
            );
            const keys = seen.get(m.name) ?? new Set<string>();
            for (const p of points) for (const a of p.attributes ?? []) keys.add(a.key);
            seen.set(m.name, keys);
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', () => resolve()));
    const otlp = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-otlp-'));
    const main = path.join(__dirname, 'main.ts');
    const args = [
      '-r',
      '@swc-node/register',
      main,
      'platform',
      '--port',
      '0',
      '--upstream-base-port',
      '0',
      '--data-dir',
      tmp,
      '--otlp-endpoint',
      otlp,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_SDK_DISABLED: 'false' } });
    child.stderr.resume();
    try {
      const gatewayUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const match = /gateway listening on (http:\/\/\S+)/.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`the platform exited (${code}) before it listened`)));
      });
      const put = await fetch(`${gatewayUrl}/actuator/config`, {
        method: 'PUT',
        body: JSON.stringify({
          routes: { catalog: { cache: { enabled: true, ttlMs: 60_000 }, retry: { maxAttempts: 2, budgetRatio: 0.5, minRetriesPerS: 1 } } },
        }),
      });
      expect(put.status).toBe(200);
      for (let i = 0; i < 5; i++) await fetch(`${gatewayUrl}/catalog/1`).then((r) => r.arrayBuffer());
      for (let i = 0; i < 5; i++) await fetch(`${gatewayUrl}/nothing/${i}`).then((r) => r.arrayBuffer());
      const wanted = [
        METRIC.httpServerRequestDuration,
        METRIC.httpClientRequestDuration,
        METRIC.upstreamAttempts,
        METRIC.cacheLookups,
        METRIC.cacheEntries,
        METRIC.concurrencyInUse,
        METRIC.concurrencyLimit,
        METRIC.queueLength,
        METRIC.replicaLatency,
        METRIC.replicaInFlight,
        METRIC.configVersion,
      ];
      const started = Date.now();
      while (wanted.some((m) => !seen.has(m)) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 200));
      expect(wanted.filter((m) => !seen.has(m))).toEqual([]);
      expect([...seen.get(METRIC.httpServerRequestDuration)!]).toEqual(
        expect.arrayContaining(['gateway.route', 'http.response.status_code', 'gateway.cache.result']),
      );
      expect([...seen.get(METRIC.upstreamAttempts)!]).toEqual(
        expect.arrayContaining(['gateway.route', 'gateway.upstream', 'gateway.attempt.outcome']),
      );
      expect([...seen.get(METRIC.replicaLatency)!]).toEqual(['gateway.upstream', 'gateway.upstream.replica']);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      collector.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { startPlatform, type RunningPlatform } from './platform';

/**
 * A sanity check that each knob moves what the optimize loop will measure, on the demo platform
 * (real processes, loopback): `node -r @swc-node/register examples/gateway/src/knob-effects.ts`.
 * Closed-loop load of 16 clients for 8 s per configuration, from this process. Not the bench
 * (`bench:optimize` compares contenders over scenarios); one run, no repetitions, so the
 * figures carry the noise of the machine they ran on.
 */
const CLIENTS = 16;
const SECONDS = 8;

interface Measured {
  rps: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
}

async function load(base: string, pathOf: (i: number) => string): Promise<Measured> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let n = 0;
  const end = Date.now() + SECONDS * 1_000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        try {
          const res = await request(base + pathOf(n++));
          await res.body.dump();
          if (res.statusCode < 500) ok++;
          else failed++;
        } catch {
          failed++;
        }
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.floor(p * (latencies.length - 1))] ?? 0);
  return { rps: Math.round(latencies.length / SECONDS), ok, failed, p50: q(0.5), p99: q(0.99) };
}

const show = (m: Measured) => `${m.rps} req/s, ${m.ok} ok, ${m.failed} failed, p50 ${m.p50} ms, p99 ${m.p99} ms`;

async function upstreamRequests(urls: readonly string[]): Promise<number> {
  const all = await Promise.all(urls.map(async (u) => ((await (await fetch(`${u}/stats`)).json()) as { requests: number }).requests));
  return all.reduce((a, b) => a + b, 0);
}

async function run(platform: RunningPlatform): Promise<void> {
  const gateway = platform.gateway.url;
  const put = async (patch: unknown): Promise<void> => {
    const res = await fetch(`${gateway}/actuator/config`, { method: 'PUT', body: JSON.stringify(patch) });
    if (res.status !== 200) throw new Error(`PUT /actuator/config ${res.status}: ${await res.text()}`);
  };
  const catalog = platform.upstreams.urls['catalog'] ?? [];
  const pricing = platform.upstreams.urls['pricing'] ?? [];

  for (const balancer of ['round-robin', 'p2c-ewma']) {
    await put({ upstreams: { catalog: { balancer } } });
    process.stdout.write(`catalog, one replica 3x slower, ${balancer}: ${show(await load(gateway, (i) => `/catalog/${i}`))}\n`);
  }

  for (const u of pricing) await fetch(`${u}/faults`, { method: 'PUT', body: JSON.stringify({ errorRatio: 0.5 }) });
  const policies = [
    ['4 attempts, no budget', { maxAttempts: 4, backoffMs: 0, maxBackoffMs: 0, budgetRatio: null }],
    ['4 attempts, budget 20 %', { maxAttempts: 4, backoffMs: 5, maxBackoffMs: 50, budgetRatio: 0.2, minRetriesPerS: 1 }],
  ] as const;
  for (const [name, retry] of policies) {
    await put({ routes: { pricing: { retry } } });
    const before = await upstreamRequests(pricing);
    const m = await load(gateway, (i) => `/pricing/${i}`);
    const amplification = (await upstreamRequests(pricing)) - before;
    process.stdout.write(
      `pricing, 50 % errors, ${name}: ${show(m)}, retry amplification ${(amplification / (m.ok + m.failed)).toFixed(2)}\n`,
    );
  }

  // Hot keys: a seeded Zipf-like draw (Pareto tail), so a few items take most requests.
  let seed = 1;
  const uniform = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
  const hotKey = () => Math.min(1_000, Math.floor(1 / Math.pow(uniform(), 1.2)));
  await put({ upstreams: { catalog: { balancer: 'round-robin' } } });
  for (const enabled of [false, true]) {
    await put({ routes: { catalog: { cache: { enabled, ttlMs: 20_000, staleWhileRevalidateMs: 5_000 } } } });
    const before = await upstreamRequests(catalog);
    const m = await load(gateway, () => `/catalog/${hotKey()}`);
    process.stdout.write(
      `catalog, hot keys, cache ${enabled ? 'on ' : 'off'}: ${show(m)}, upstream requests ${(await upstreamRequests(catalog)) - before}\n`,
    );
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-knobs-'));
  const platform = await startPlatform({ port: 0, dataDir: dir, telemetry: false });
  try {
    await run(platform);
  } finally {
    await platform.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`knob-effects: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { startPlatform } from './platform';

/**
 * How an upstream's concurrency limit moves on the demo platform when catalog's dependency slows
 * down and recovers: `node -r @swc-node/register examples/gateway/src/adaptive-probe.ts [clients]
 * [fixed|gradient2|gradient2-windowed|vegas]` (default 200 clients, gradient2). Closed-loop load on
 * `/catalog` for 14 s with p2c-ewma; inventory 150 ms slower from 4 s to 9 s; the limit, in use and
 * queued printed every second. A look at the algorithm in place, not the bench: one run, load
 * generated in the gateway's own process.
 */
const SECONDS = 14;

async function main(): Promise<void> {
  const clients = Number(process.argv[2] ?? 200);
  const mode = process.argv[3] ?? 'gradient2';
  const concurrency =
    mode === 'gradient2-windowed' ? { mode: 'gradient2', windowMs: 1_000 } : mode === 'fixed' ? { mode: 'fixed' } : { mode };
  if (!(clients >= 1) || !['fixed', 'gradient2', 'gradient2-windowed', 'vegas'].includes(mode)) {
    throw new Error('usage: adaptive-probe.ts [clients ≥ 1] [fixed|gradient2|gradient2-windowed|vegas]');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-probe-'));
  const platform = await startPlatform({ port: 0, dataDir: dir, telemetry: false });
  try {
    const gateway = platform.gateway.url;
    const put = await fetch(`${gateway}/actuator/config`, {
      method: 'PUT',
      body: JSON.stringify({ upstreams: { catalog: { balancer: 'p2c-ewma', concurrency } } }),
    });
    if (put.status !== 200) throw new Error(`PUT /actuator/config ${put.status}: ${await put.text()}`);
    const inventory = platform.upstreams.urls['inventory'] ?? [];
    const faults = (method: string, body?: unknown) =>
      Promise.all(inventory.map((u) => fetch(`${u}/faults`, { method, ...(body ? { body: JSON.stringify(body) } : {}) })));
    const started = Date.now();
    const ticks: string[] = [];
    const timer = setInterval(() => {
      const c = platform.gateway.concurrency('catalog');
      ticks.push(`${Math.round((Date.now() - started) / 1_000)} s: limit ${c?.limit}, in use ${c?.inUse}, queued ${c?.queued}`);
    }, 1_000);
    const slow = setTimeout(() => void faults('PUT', { slowMs: 150 }), 4_000);
    const clear = setTimeout(() => void faults('DELETE'), 9_000);
    const latencies: number[] = [];
    let failed = 0;
    let n = 0;
    const end = started + SECONDS * 1_000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < end) {
          const t = performance.now();
          try {
            const res = await request(`${gateway}/catalog/${n++}`);
            await res.body.dump();
            if (res.statusCode >= 500) failed++;
          } catch {
            failed++;
          }
          latencies.push(performance.now() - t);
        }
      }),
    );
    clearInterval(timer);
    clearTimeout(slow);
    clearTimeout(clear);
    await faults('DELETE');
    latencies.sort((a, b) => a - b);
    const q = (p: number) => Math.round(latencies[Math.floor(p * (latencies.length - 1))] ?? 0);
    process.stdout.write(
      `${mode}, ${clients} clients: ${Math.round(latencies.length / SECONDS)} req/s, ${failed} failed, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms\n${ticks.join('\n')}\n`,
    );
  } finally {
    await platform.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`adaptive-probe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The hot-key scenario of the optimize loop, shared by `homeostat demo --loop optimize` and the
 * integration suite (test/optimize): the demo gateway and its upstream replicas in processes of
 * their own, the example loop with windows short enough for a run of about a minute, and a
 * seeded Zipf load that rewards caching.
 */
const ROOT = path.resolve(__dirname, '../../..');

/** examples/gateway/loops/gateway-optimize.yaml */
export const GATEWAY_LOOP_FILE = path.join(ROOT, 'examples/gateway/loops/gateway-optimize.yaml');

/**
 * The example loop's text with its `intent:` made absolute, for a copy of the loop written into
 * another directory (the stack's loops directory): the path in the example is relative to it.
 */
export function withIntentFromExample(spec: string): string {
  return spec.replace(
    /^(\s*intent:\s*)(\S+)\s*$/m,
    (_m, lead: string, file: string) => `${lead}${path.resolve(path.dirname(GATEWAY_LOOP_FILE), file)}`,
  );
}

/**
 * The example loop with windows of 1 s buckets, and only the catalog route's cache to tune. The
 * objective is the median: at 45 requests a bucket, a bucket's p99 is its slowest request, which
 * with 80 % hits is still a miss (a p99 objective judged this cache gain noise, p ≈ 0.09).
 * Throws when the example no longer has the lines it rewrites.
 */
export function hotKeyLoopSpec(example: string): string {
  const spec = withIntentFromExample(example)
    .replace('objective: p99', 'objective: p50')
    .replace('cooldown: 5s', 'cooldown: 1s')
    .replace('resolveAfter: 30s', 'resolveAfter: 3s')
    .replace('bucket: 2s', 'bucket: 1s')
    .replace('baselineBuckets: 10', 'baselineBuckets: 8')
    .replace('trialBuckets: 10', 'trialBuckets: 8')
    .replace(
      /\n {8}knobs:\n {10}cacheTtl: \{ min: 1s, max: 30s \}\n(?: {10}.*\n)+/,
      '\n        knobs:\n          cacheTtl: { min: 1s, max: 30s }\n',
    );
  for (const line of ['objective: p50', 'cooldown: 1s', 'resolveAfter: 3s', 'bucket: 1s', 'baselineBuckets: 8', 'trialBuckets: 8'])
    if (!spec.includes(line)) throw new Error(`the example loop changed: "${line}" could not be set in ${GATEWAY_LOOP_FILE}`);
  if (!/knobs:\n {10}cacheTtl: \{ min: 1s, max: 30s \}\n {6}pricing:/.test(spec))
    throw new Error(`the example loop changed: the catalog route's knobs could not be narrowed to cacheTtl in ${GATEWAY_LOOP_FILE}`);
  return spec;
}

/** Open-loop load: `rps` GETs a second of /catalog/item-<k>, k from a Zipf(1.2) over 100 keys (seeded). */
export class ZipfLoad {
  private timer: NodeJS.Timeout | undefined;
  private state: number;
  private readonly cdf: number[];
  sent = 0;
  /** Answered with a status other than 2xx/3xx. */
  errors = 0;
  /** No answer (connection refused, reset). */
  failed = 0;

  constructor(
    private readonly url: string,
    private readonly rps: number,
    seed = 42,
  ) {
    this.state = seed | 0;
    const weights = Array.from({ length: 100 }, (_, i) => 1 / (i + 1) ** 1.2);
    const total = weights.reduce((a, b) => a + b, 0);
    let sum = 0;
    this.cdf = weights.map((w) => (sum += w / total));
  }

  private random(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  start(): void {
    const started = Date.now();
    // Whatever the timer's lateness on a loaded machine, the requests sent keep up with the rate.
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - started) * this.rps) / 1_000) - this.sent;
      for (let i = 0; i < due; i++) {
        const u = this.random();
        const key = this.cdf.findIndex((c) => u <= c);
        this.sent++;
        fetch(`${this.url}/catalog/item-${key}`)
          .then((r) => {
            if (!r.ok) this.errors++;
            return r.arrayBuffer();
          })
          .catch(() => this.failed++);
      }
    }, 20);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The gateway's live config, as its actuator serves it (the parts the scenario reads). */
export interface GatewayLiveConfig {
  version: number;
  config: { routes: Record<string, { cache: { enabled: boolean } }>; upstreams: Record<string, { replicas: { url: string }[] }> };
}

/**
 * The demo gateway (`examples/gateway/src/main.ts platform`) in a child process, its upstream
 * replicas in processes of their own on free loopback ports, exporting OTLP to `otlpEndpoint`.
 */
export class GatewayProcess {
  readonly lines: string[] = [];
  readonly url: string;
  private readonly child: ChildProcess;

  private constructor(port: number, dataDir: string, otlpEndpoint: string) {
    this.url = `http://127.0.0.1:${port}`;
    const args = ['-r', '@swc-node/register', 'examples/gateway/src/main.ts', 'platform', '--port', String(port)];
    args.push('--upstream-base-port', '0', '--data-dir', dataDir, '--otlp-endpoint', otlpEndpoint);
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json'), TZ: 'UTC', OTEL_SDK_DISABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [this.child.stdout, this.child.stderr]) if (s) createInterface({ input: s }).on('line', (l) => this.lines.push(l));
  }

  /** Starts it and waits until /health answers 200. */
  static async start(options: { port: number; dataDir: string; otlpEndpoint: string; timeoutMs?: number }): Promise<GatewayProcess> {
    const gateway = new GatewayProcess(options.port, options.dataDir, options.otlpEndpoint);
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      if (gateway.child.exitCode !== null)
        throw new Error(`the gateway exited ${gateway.child.exitCode}:\n${gateway.lines.slice(-20).join('\n')}`);
      if ((await fetch(`${gateway.url}/health`).catch(() => undefined))?.status === 200) return gateway;
      if (Date.now() > deadline) {
        await gateway.stop();
        throw new Error(`the gateway did not answer on ${gateway.url}/health within ${options.timeoutMs ?? 30_000} ms`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Every upstream's replica URLs, dependencies too (`inventory`), from the lines the platform printed at start. */
  upstreams(): Record<string, string[]> {
    const urls: Record<string, string[]> = {};
    for (const line of this.lines) {
      const m = /^ {2}upstream (\S+): (.+)$/.exec(line);
      if (m?.[1] && m[2]) urls[m[1]] = m[2].trim().split(/\s+/);
    }
    return urls;
  }

  async config(): Promise<GatewayLiveConfig> {
    return (await (await fetch(`${this.url}/actuator/config`)).json()) as GatewayLiveConfig;
  }

  /** What a person does through the actuator: the live config's parent live again. */
  async rollback(): Promise<void> {
    const res = await fetch(`${this.url}/actuator/config/rollback`, { method: 'POST' });
    if (!res.ok) throw new Error(`the gateway's rollback answered ${res.status}: ${await res.text()}`);
  }

  /** Makes every replica of `upstream` fail this share of its requests (undefined: heals them). */
  async fault(upstream: string, errorRatio: number | undefined): Promise<void> {
    const replicas = (await this.config()).config.upstreams[upstream]?.replicas.map((r) => r.url) ?? [];
    if (replicas.length === 0) throw new Error(`the gateway has no upstream ${upstream}`);
    await Promise.all(
      replicas.map((r) =>
        errorRatio === undefined
          ? fetch(`${r}/faults`, { method: 'DELETE' })
          : fetch(`${r}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errorRatio }) }),
      ),
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PORTS, SERVICE_NAMES, type ServiceName } from '@homeostat/config';
import { eventually } from '../support';

/**
 * The images run `node main.js` from `dist/<project>` (deploy/docker/Dockerfile). This suite runs
 * exactly that, outside the workspace: each bundle is copied (hard links) to a temp dir where no
 * workspace node_modules can be found, then every service starts in distributed mode against the
 * suite's Kafka broker, the learner with chDB, all on free ports, as compose would start them.
 * `npm test` builds the bundles just before (the `build` step); run `npm run build` after a change
 * when running this suite alone.
 */
const ROOT = join(__dirname, '../..');
const PORT_VARIABLE: Record<ServiceName, string> = {
  collector: 'COLLECTOR_PORT',
  analyzer: 'ANALYZER_PORT',
  decider: 'DECIDER_PORT',
  executor: 'EXECUTOR_PORT',
  learner: 'LEARNER_PORT',
  console: 'CONSOLE_PORT',
};
/** Start order of docker-compose.yml (depends_on). */
const ORDER: ServiceName[] = ['learner', 'executor', 'decider', 'analyzer', 'collector', 'console'];

interface Started {
  name: string;
  child: ChildProcess;
  url: Promise<string>;
  output: () => string;
}

function linkCopy(project: string, into: string): string {
  const from = join(ROOT, 'dist', project);
  if (!existsSync(join(from, 'main.js'))) throw new Error(`${from}/main.js is missing: run npm run build`);
  const to = join(into, project.replace('/', '-'));
  const r = spawnSync('cp', ['-al', from, to]);
  if (r.status !== 0) {
    const copy = spawnSync('cp', ['-a', from, to]);
    if (copy.status !== 0) throw new Error(`copying ${from}: ${copy.stderr.toString()}`);
  }
  return to;
}

function start(name: string, dir: string, env: Record<string, string>, args: string[], ready: RegExp): Started {
  const child = spawn(process.execPath, ['--enable-source-maps', 'main.js', ...args], {
    cwd: dir,
    // Only what an image has: no NODE_PATH, no workspace.
    env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', NODE_ENV: 'production', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const m = ready.exec(text);
      if (m) resolve(m[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready:\n${text.slice(-3000)}`)));
  });
  url.catch(() => undefined);
  return { name, child, url, output: () => text };
}

async function stop(s: Started): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

describe('the built bundles start as the images run them', () => {
  const work = mkdtempSync(join(tmpdir(), 'homeostat-bundles-'));
  const started: Started[] = [];
  const urls = new Map<string, string>();
  const prefix = `bundles-${process.pid}-${Date.now()}.`;

  beforeAll(async () => {
    const brokers = process.env['KAFKA_BROKERS'];
    if (!brokers) throw new Error('KAFKA_BROKERS is not set: run through the integration project');
    for (const name of ORDER) {
      const dir = linkCopy(`services/${name}`, work);
      const env: Record<string, string> = {
        HOMEOSTAT_MODE: 'kafka',
        KAFKA_BROKERS: brokers,
        HOMEOSTAT_TOPIC_PREFIX: prefix,
        HOMEOSTAT_TOPIC_PARTITIONS: '2',
        HOMEOSTAT_DATA_DIR: join(work, `${name}-data`),
        HOMEOSTAT_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        [PORT_VARIABLE[name]]: '0',
      };
      if (name === 'analyzer' || name === 'decider' || name === 'executor') env['HOMEOSTAT_LOOPS_DIR'] = join(ROOT, 'examples/shop/loops');
      if (name === 'executor') env['SHOP_URL'] = 'http://127.0.0.1:3000';
      if (name === 'console') env['LEARNER_URL'] = urls.get('learner') as string;
      const s = start(name, dir, env, [], new RegExp(`"msg":"${name} ready on (http://[^"]+)"`));
      started.push(s);
      urls.set(name, await s.url);
    }
    const shopDir = linkCopy('examples/shop', work);
    const shop = start(
      'shop',
      shopDir,
      { OTEL_EXPORTER_OTLP_ENDPOINT: urls.get('collector') as string },
      ['--host', '127.0.0.1', '--port', '0', '--traffic', '0', '--data-dir', join(work, 'shop-data')],
      /shop listening on (http:\/\/\S+)/,
    );
    started.push(shop);
    urls.set('shop', await shop.url);
  }, 240_000);

  afterAll(async () => {
    for (const s of [...started].reverse()) await stop(s);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('every service answers /healthz, and /readyz once its consumer joined its group', async () => {
    for (const name of SERVICE_NAMES) {
      const url = urls.get(name) as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const live = await fetch(`${url}/healthz`);
      expect(await live.json()).toEqual({ status: 'ok', service: name });
      await eventually(`${name} /readyz`, async () => (await fetch(`${url}/readyz`)).status === 200, 120_000);
    }
    expect(Object.keys(DEFAULT_PORTS).sort()).toEqual([...SERVICE_NAMES].sort());
  }, 240_000);

  it('the learner applied the migrations it carries; the collector decodes OTLP protobuf with the .proto files it carries', async () => {
    const learner = started.find((s) => s.name === 'learner')!;
    expect(learner.output()).toMatch(/migrations applied: otel_traces, otel_logs, otel_metrics, ledger, dead_letters/);
    // An empty ExportTraceServiceRequest is a valid protobuf body of zero bytes.
    const res = await fetch(`${urls.get('collector')}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-protobuf');
  });

  it('the shop bundle serves and the console reads the ledger from the learner', async () => {
    expect((await fetch(`${urls.get('shop')}/faults`)).status).toBe(200);
    const incidents = await fetch(`${urls.get('console')}/api/incidents`);
    expect(incidents.status).toBe(200);
    expect(await incidents.json()).toEqual([]);
  });

  it('SIGTERM stops every service cleanly (exit 0)', async () => {
    const codes: Record<string, number | null> = {};
    for (const s of [...started].reverse()) codes[s.name] = await stop(s);
    expect(codes).toEqual(Object.fromEntries(started.map((s) => [s.name, 0])));
  }, 120_000);
});

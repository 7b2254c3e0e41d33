import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatSpecError, readIntentFile } from '@homeostat/contracts';
import { defaultConfig, DEMO_TOPOLOGY, parseConfig, startGateway } from '@homeostat/gateway';
import { generateGatewayConfig } from '@homeostat/optimize';
import { applyGatewayConfig } from './intent.command';
import { validateFiles } from './validate.command';

const ROOT = path.join(__dirname, '..', '..', '..');
const DEMO_INTENT = path.join(ROOT, 'examples', 'gateway', 'intent', 'demo.intent.yaml');

async function demoConfig() {
  const parsed = await readIntentFile(DEMO_INTENT);
  if (!parsed.ok) throw new Error(parsed.errors.map(formatSpecError).join('\n'));
  return generateGatewayConfig(parsed.intent).config;
}

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intent-cmd-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('homeostat intent', () => {
  it("generates a config the gateway's own schema accepts (the actuator contract)", async () => {
    const parsed = parseConfig(await demoConfig());
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
  });

  it('--apply puts it live on a running gateway, once per idempotency key', async () => {
    const urls = {
      catalog: ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'],
      pricing: ['http://127.0.0.1:4', 'http://127.0.0.1:5'],
      orders: ['http://127.0.0.1:6'],
    };
    const gateway = await startGateway({ port: 0, initialConfig: defaultConfig(DEMO_TOPOLOGY, urls), dataDir: dir, telemetry: false });
    try {
      const config = await demoConfig();
      expect(await applyGatewayConfig(gateway.url, config, 'k1')).toMatchObject({ status: 200, body: { version: 2, config } });
      expect(await applyGatewayConfig(gateway.url, config, 'k1')).toMatchObject({ status: 200, body: { version: 2 } });
      const live = (await (await fetch(`${gateway.url}/actuator/config`)).json()) as { version: number; config: unknown };
      expect(live).toMatchObject({ version: 2, config });
      const bad = structuredClone(config);
      bad.routes['orders']!.retry.maxAttempts = 3;
      expect(await applyGatewayConfig(gateway.url, bad, 'k2')).toMatchObject({
        status: 400,
        body: { errors: ['routes.orders.retry.maxAttempts: a non-idempotent route is never retried: must be 1'] },
      });
    } finally {
      await gateway.stop();
    }
    await expect(applyGatewayConfig('not a url', await demoConfig(), 'k3')).rejects.toThrow(/base URL/);
  });

  it('homeostat validate checks intents and loops alike, with file, line and column', async () => {
    const bad = path.join(dir, 'bad.intent.yaml');
    const text = fs
      .readFileSync(DEMO_INTENT, 'utf8')
      .replace('      idempotent: false\n      maxStaleness: 0s', '      idempotent: false\n      maxStaleness: 5s');
    fs.writeFileSync(bad, text);
    const line = text.split('\n').findIndex((l) => l === '      maxStaleness: 5s') + 1;
    const results = await validateFiles([DEMO_INTENT, bad, path.join(ROOT, 'examples', 'shop', 'loops', 'shop.yaml')]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]!.errors.map(formatSpecError)).toEqual([
      `${bad}:${line}:21  spec.routes.orders.maxStaleness  a non-idempotent route is never served from a cache: must be 0s`,
    ]);
  });
});

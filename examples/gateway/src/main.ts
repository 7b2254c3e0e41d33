import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfig } from './config/gateway-config.schema';
import { startPlatform } from './platform';
import { TOPOLOGIES } from './topology';
import { startUpstream } from './upstream/upstream-server';

/**
 * The gateway's processes (`node -r @swc-node/register examples/gateway/src/main.ts <what>`):
 *   platform [--port 8000] [--topology demo|minimal] [--upstream-base-port 4100] [--data-dir DIR] [--config FILE] [--otlp-endpoint URL]
 *       every upstream replica of the demo topology in its own process (ports 4100-4106; 0: free ports), and the gateway in front;
 *   upstream --name N --port P --latency-ms MS [--jitter-ms MS] --capacity C [--max-age-s S] [--dependency URL] [--exit-with-parent]
 *       one upstream replica (the platform starts these).
 * Prints `... listening on <url>` on stdout once it serves; stops on SIGINT/SIGTERM.
 */
function int(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || n < min || n > max)
    throw new Error(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const [what, ...rest] = process.argv.slice(2);
  if (what === 'upstream') {
    const { values } = parseArgs({
      args: rest,
      options: {
        name: { type: 'string' },
        port: { type: 'string', default: '0' },
        'latency-ms': { type: 'string', default: '20' },
        'jitter-ms': { type: 'string', default: '0' },
        capacity: { type: 'string', default: '16' },
        'max-age-s': { type: 'string', default: '0' },
        dependency: { type: 'string' },
        'exit-with-parent': { type: 'boolean', default: false },
      },
    });
    if (!values.name) throw new Error('--name is required');
    const upstream = await startUpstream({
      name: values.name,
      port: int('port', values.port, 0, 65_535),
      latencyMs: int('latency-ms', values['latency-ms'], 0, 600_000),
      jitterMs: int('jitter-ms', values['jitter-ms'], 0, 600_000),
      capacity: int('capacity', values.capacity, 1, 100_000),
      maxAgeS: int('max-age-s', values['max-age-s'], 0, 31_536_000),
      ...(values.dependency ? { dependency: values.dependency } : {}),
    });
    process.stdout.write(`upstream ${values.name} listening on ${upstream.url}\n`);
    onSignal(() => upstream.close());
    // Started by a platform: its end (even a SIGKILL) closes our stdin, and a replica left behind
    // would hold its port and serve nobody.
    if (values['exit-with-parent']) {
      process.stdin.on('end', () => process.exit(0));
      process.stdin.on('error', () => process.exit(0));
      process.stdin.resume();
    }
    return;
  }
  if (what === 'platform') {
    const { values } = parseArgs({
      args: rest,
      options: {
        port: { type: 'string', default: '8000' },
        'data-dir': { type: 'string' },
        config: { type: 'string' },
        'otlp-endpoint': { type: 'string' },
        'upstream-base-port': { type: 'string', default: '4100' },
        topology: { type: 'string', default: 'demo' },
      },
    });
    const topologyName = values.topology as keyof typeof TOPOLOGIES;
    if (!(topologyName in TOPOLOGIES))
      throw new Error(`--topology must be one of ${Object.keys(TOPOLOGIES).join(', ')}, got "${values.topology}"`);
    const fixed = values.config ? readConfig(values.config) : undefined;
    const platform = await startPlatform({
      port: int('port', values.port, 0, 65_535),
      topology: TOPOLOGIES[topologyName],
      ...(values['upstream-base-port'] === '0'
        ? {}
        : { upstreamBasePort: int('upstream-base-port', values['upstream-base-port'], 1, 65_000) }),
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
      ...(values['otlp-endpoint'] ? { otlpEndpoint: values['otlp-endpoint'] } : {}),
      ...(fixed ? { initialConfig: () => fixed } : {}),
      logToStderr: true,
    });
    process.stdout.write(`gateway listening on ${platform.gateway.url}\n`);
    for (const [name, urls] of Object.entries(platform.upstreams.urls)) process.stdout.write(`  upstream ${name}: ${urls.join(' ')}\n`);
    onSignal(() => platform.stop());
    return;
  }
  throw new Error(`usage: main.ts platform|upstream [options] (got "${what ?? ''}")`);
}

function readConfig(file: string) {
  const parsed = parseConfig(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.errors.join('; ')}`);
  return parsed.value;
}

function onSignal(stop: () => Promise<void>): void {
  const handler = (): void => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

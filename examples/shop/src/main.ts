import { parseArgs } from 'node:util';
import { startShop } from './shop';

/**
 * The shop as a process of its own (`node -r @swc-node/register examples/shop/src/main.ts`), for
 * a child process or a container; `homeostat shop` does the same from the workspace's CLI.
 * Prints `shop listening on <url>` on stdout once it serves; stops on SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      traffic: { type: 'string', default: '20' },
      'otlp-endpoint': { type: 'string' },
      'data-dir': { type: 'string' },
      host: { type: 'string' },
    },
  });
  const port = Number(values.port);
  const traffic = Number(values.traffic);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be 0..65535, got "${values.port}"`);
  if (!Number.isFinite(traffic) || traffic < 0) throw new Error(`--traffic must be 0 or more requests/s, got "${values.traffic}"`);
  const shop = await startShop({
    port,
    traffic,
    ...(values['otlp-endpoint'] ? { otlpEndpoint: values['otlp-endpoint'] } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values.host ? { host: values.host } : {}),
    logToStderr: true,
  });
  process.stdout.write(`shop listening on ${shop.url}\n`);
  const stop = (): void => {
    shop.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`shop: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import { InvalidArgumentError } from 'commander';

export interface ShopCommandOptions {
  port: number;
  traffic: number;
  otlpEndpoint?: string;
  dataDir?: string;
}

/** Commander parser for --port: an integer in 0..65535 (0 = any free port). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) throw new InvalidArgumentError(`must be a port number 0..65535, got "${value}"`);
  return port;
}

/** Commander parser for --traffic: requests per second, 0 or more. */
export function parseRate(value: string): number {
  const rate = Number(value);
  if (value.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 10_000) {
    throw new InvalidArgumentError(`must be a number of requests per second in 0..10000, got "${value}"`);
  }
  return rate;
}

/**
 * `homeostat shop`: runs the demo target in the foreground until SIGINT/SIGTERM. The shop is
 * loaded only here, so other commands do not load its OpenTelemetry pipeline.
 */
export async function shopCommand(options: ShopCommandOptions): Promise<void> {
  const { startShop, DEFAULT_DATA_DIR, FAULT_NAMES } = await import('@homeostat/shop');
  const shop = await startShop({
    port: options.port,
    traffic: options.traffic,
    ...(options.otlpEndpoint ? { otlpEndpoint: options.otlpEndpoint } : {}),
    dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
    logToStderr: true,
  });
  const out = process.stdout;
  out.write(`shop listening on ${shop.url}\n`);
  out.write(`  telemetry  ${shop.otlpEndpoint ? `OTLP/HTTP to ${shop.otlpEndpoint}` : 'off (OTEL_SDK_DISABLED=true)'}\n`);
  out.write(`  load       ${options.traffic} synthetic requests/s on /checkout, /catalog, /stock\n`);
  out.write(`  health     GET ${shop.url}/health\n`);
  out.write(`  faults     POST ${shop.url}/faults/<${FAULT_NAMES.join('|')}>, DELETE ${shop.url}/faults\n`);
  out.write(`  actuator   ${shop.url}/actuator/{config,config/rollback,pool/recycle,restart}\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`shop: ${signal}, stopping\n`);
      shop.stop().then(resolve, (error: unknown) => {
        process.stderr.write(`shop: stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

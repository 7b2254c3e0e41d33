import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';

export interface GatewayCommandOptions {
  port: number;
  topology: string;
  upstreamBasePort: number;
  otlpEndpoint?: string;
  dataDir?: string;
  config?: string;
}

/** Commander parser for --topology: one of the gateway's built-in topologies. */
export function parseTopology(value: string): string {
  if (value !== 'demo' && value !== 'minimal') throw new InvalidArgumentError(`must be demo or minimal, got "${value}"`);
  return value;
}

/**
 * `homeostat gateway`: the optimize loop's target in the foreground until SIGINT/SIGTERM — every
 * upstream replica in its own process and the gateway in this one. Loaded only here, so other
 * commands do not load its OpenTelemetry pipeline.
 */
export async function gatewayCommand(options: GatewayCommandOptions): Promise<void> {
  const { startPlatform, parseConfig, TOPOLOGIES, DEFAULT_DATA_DIR } = await import('@homeostat/gateway');
  let fixed: ReturnType<typeof parseConfig> | undefined;
  if (options.config) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(options.config, 'utf8'));
    } catch (error) {
      throw new Error(`${options.config}: ${error instanceof Error ? error.message : String(error)}`);
    }
    fixed = parseConfig(raw);
    if (!fixed.ok) throw new Error(`${options.config}: ${fixed.errors.join('; ')}`);
  }
  const initial = fixed?.ok ? fixed.value : undefined;
  const platform = await startPlatform({
    port: options.port,
    topology: TOPOLOGIES[options.topology as keyof typeof TOPOLOGIES],
    ...(options.upstreamBasePort > 0 ? { upstreamBasePort: options.upstreamBasePort } : {}),
    ...(options.otlpEndpoint ? { otlpEndpoint: options.otlpEndpoint } : {}),
    dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
    ...(initial ? { initialConfig: () => initial } : {}),
    logToStderr: true,
  });
  const out = process.stdout;
  const url = platform.gateway.url;
  out.write(`gateway listening on ${url}\n`);
  out.write(
    `  telemetry  ${platform.gateway.otlpEndpoint ? `OTLP/HTTP to ${platform.gateway.otlpEndpoint}` : 'off (OTEL_SDK_DISABLED=true)'}\n`,
  );
  for (const [name, urls] of Object.entries(platform.upstreams.urls))
    out.write(`  upstream   ${name}: ${urls.join(' ')}  (PUT <replica>/faults, GET <replica>/stats)\n`);
  out.write(`  actuator   ${url}/actuator/{config,config/rollback}\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`gateway: ${signal}, stopping\n`);
      platform.stop().then(resolve, (error: unknown) => {
        process.stderr.write(`gateway: stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

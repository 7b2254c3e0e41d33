import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { openConfigStore } from './config/config-store';
import type { GatewayConfig } from './config/gateway-config.schema';
import { ConfigActuator, createGatewayServer } from './http/gateway-server';
import { GatewayProxy } from './proxy/gateway-proxy';
import { DEFAULT_OTLP_ENDPOINT, startGatewayTelemetry } from './telemetry/telemetry';

export const GATEWAY_VERSION = '0.1.0';
export const DEFAULT_DATA_DIR = './.homeostat/gateway';

export interface StartGatewayOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  /** The config of version 1 when the data dir holds none yet; a persisted live version wins. */
  initialConfig: GatewayConfig;
  /** Where the versioned config lives; default ./.homeostat/gateway. */
  dataDir?: string;
  /** OTLP/HTTP base URL; default OTEL_EXPORTER_OTLP_ENDPOINT, then http://127.0.0.1:4318. */
  otlpEndpoint?: string;
  /** false: nothing is exported (default: on unless OTEL_SDK_DISABLED=true). */
  telemetry?: boolean;
  host?: string;
  logToStderr?: boolean;
  /** Randomness of the balancers and the backoff jitter; seeded in benches. */
  random?: () => number;
}

export interface RunningGateway {
  url: string;
  otlpEndpoint: string | null;
  /** An upstream's concurrency limit (fixed or adaptive), in use and queued, read in process (tests, benches). */
  concurrency(upstream: string): { limit: number; inUse: number; queued: number } | undefined;
  stop(): Promise<void>;
}

/** Starts the gateway in this process: the proxy over its upstreams, the actuator and its OpenTelemetry pipeline. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const env = process.env;
  const enabled = options.telemetry ?? env['OTEL_SDK_DISABLED'] !== 'true';
  const endpoint = options.otlpEndpoint ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? DEFAULT_OTLP_ENDPOINT;
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const host = options.host ?? '127.0.0.1';
  fs.mkdirSync(dataDir, { recursive: true });

  const store = openConfigStore(path.join(dataDir, 'config.json'), options.initialConfig);
  const telemetry = startGatewayTelemetry({
    enabled,
    endpoint,
    serviceVersion: GATEWAY_VERSION,
    logToStderr: options.logToStderr ?? false,
  });
  const proxy = new GatewayProxy(store.live.config, store.live.version, telemetry, options.random ? { random: options.random } : {});
  const actuator = new ConfigActuator(store, (config, version) => proxy.reconfigure(config, version), telemetry);
  const server = createGatewayServer(proxy, actuator, telemetry);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  telemetry.logger.info(`gateway listening on ${url} (config version ${store.live.version})`);

  let stopping: Promise<void> | undefined;
  return {
    url,
    otlpEndpoint: enabled ? endpoint : null,
    concurrency: (upstream) => proxy.concurrency(upstream),
    stop: () =>
      (stopping ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await proxy.close();
        await telemetry.shutdown();
      })()),
  };
}

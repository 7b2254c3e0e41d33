import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { openConfigStore } from './config/config-store';
import { startDatabaseServer } from './db/database-server';
import { DEFAULT_SLO, type ServiceLevelObjectives } from './health/slo-window';
import { createShopServer } from './http/shop-server';
import { startInventoryServer } from './inventory/inventory-server';
import { ShopService } from './shop.service';
import { DEFAULT_OTLP_ENDPOINT, startShopTelemetry } from './telemetry/telemetry';
import { startTraffic } from './traffic/traffic-generator';

export const SHOP_VERSION = '0.1.0';
export const DEFAULT_DATA_DIR = './.homeostat/shop';
export const DEFAULT_RESTART_MS = 3_000;

export interface StartShopOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  /** Synthetic requests per second the shop sends itself; 0 disables. */
  traffic: number;
  /** OTLP/HTTP base URL; default OTEL_EXPORTER_OTLP_ENDPOINT, then http://127.0.0.1:4318. */
  otlpEndpoint?: string;
  /** Where the versioned config lives; default ./.homeostat/shop. */
  dataDir?: string;
  /** false: nothing is exported (default: on unless OTEL_SDK_DISABLED=true). */
  telemetry?: boolean;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Also write every log record as a JSON line on stderr (the command line does). */
  logToStderr?: boolean;
  /** SLO window and objectives; tests shorten the window. */
  slo?: Partial<ServiceLevelObjectives>;
  /** How long POST /actuator/restart keeps the shop down; default 3 s. */
  restartMs?: number;
}

export interface RunningShop {
  url: string;
  /** Where the telemetry goes, or null when it is off. */
  otlpEndpoint: string | null;
  stop(): Promise<void>;
}

/**
 * Starts the demo shop in this process: its database and inventory (each on its own loopback
 * port), the HTTP API, the synthetic load, and its OpenTelemetry pipeline.
 */
export async function startShop(options: StartShopOptions): Promise<RunningShop> {
  const env = process.env;
  const enabled = options.telemetry ?? env['OTEL_SDK_DISABLED'] !== 'true';
  const endpoint = options.otlpEndpoint ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? DEFAULT_OTLP_ENDPOINT;
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const host = options.host ?? '127.0.0.1';
  fs.mkdirSync(dataDir, { recursive: true });

  const config = openConfigStore(path.join(dataDir, 'config.json'));
  const telemetry = startShopTelemetry({ enabled, endpoint, serviceVersion: SHOP_VERSION, logToStderr: options.logToStderr ?? false });
  const db = await startDatabaseServer();
  const inventory = await startInventoryServer();
  const shop = new ShopService({
    config,
    db,
    inventory,
    telemetry,
    objectives: { ...DEFAULT_SLO, ...options.slo },
    restartMs: options.restartMs ?? DEFAULT_RESTART_MS,
  });
  const server = createShopServer(shop, telemetry);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const traffic = startTraffic(url, options.traffic);
  telemetry.logger.info(`shop listening on ${url} (config version ${config.live.version}, ${options.traffic} synthetic requests/s)`);

  let stopping: Promise<void> | undefined;
  return {
    url,
    otlpEndpoint: enabled ? endpoint : null,
    stop: () =>
      (stopping ??= (async () => {
        await traffic.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await shop.stop();
        await inventory.close();
        await db.close();
        await telemetry.shutdown();
      })()),
  };
}

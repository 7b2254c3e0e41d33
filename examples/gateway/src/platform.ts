import * as path from 'node:path';
import type { GatewayConfig } from './config/gateway-config.schema';
import { DEFAULT_DATA_DIR, startGateway, type RunningGateway, type StartGatewayOptions } from './gateway';
import { defaultConfig, DEMO_TOPOLOGY, type Topology } from './topology';
import { startUpstreamProcesses, type RunningUpstreams } from './upstream/upstream-processes';

export interface StartPlatformOptions extends Omit<StartGatewayOptions, 'initialConfig'> {
  topology?: Topology;
  /** Start the upstream replicas on consecutive ports from this one (default: free ports). */
  upstreamBasePort?: number;
  /** The gateway's first config from the replica URLs; default: defaultConfig (the naive static one). */
  initialConfig?: (replicaUrls: Record<string, string[]>) => GatewayConfig;
}

export interface RunningPlatform {
  gateway: RunningGateway;
  upstreams: RunningUpstreams;
  stop(): Promise<void>;
}

/** The whole platform: every upstream replica in its own process, then the gateway in this one in front of them. */
export async function startPlatform(options: StartPlatformOptions): Promise<RunningPlatform> {
  const topology = options.topology ?? DEMO_TOPOLOGY;
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const upstreams = await startUpstreamProcesses(topology, path.join(dataDir, 'upstreams'), options.upstreamBasePort);
  try {
    const initialConfig = (options.initialConfig ?? ((urls) => defaultConfig(topology, urls)))(upstreams.urls);
    const { topology: _t, upstreamBasePort: _p, ...gatewayOptions } = options;
    const gateway = await startGateway({ ...gatewayOptions, dataDir, initialConfig });
    return {
      gateway,
      upstreams,
      stop: async () => {
        await gateway.stop();
        await upstreams.stop();
      },
    };
  } catch (error) {
    await upstreams.stop();
    throw error;
  }
}

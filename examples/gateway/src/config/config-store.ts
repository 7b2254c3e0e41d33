import { ConfigStore as VersionedConfigStore, type ConfigVersion as Version } from '@homeostat/example-kit';
import { parseConfig, type GatewayConfig } from './gateway-config.schema';

export { ConfigRollbackError } from '@homeostat/example-kit';
export type ConfigVersion = Version<GatewayConfig>;
export type ConfigStore = VersionedConfigStore<GatewayConfig>;

/** The gateway's versioned config in `file`, starting from `initial` when there is none. */
export function openConfigStore(file: string, initial: GatewayConfig, now?: () => Date): ConfigStore {
  return VersionedConfigStore.open(file, { initial, reason: 'initial', parse: parseConfig }, now);
}

import { ConfigStore as VersionedConfigStore, type ConfigVersion as Version } from '@homeostat/example-kit';
import { DEFAULT_CONFIG, parseConfig, type ShopConfig } from './shop-config.schema';

export { ConfigRollbackError } from '@homeostat/example-kit';
export type ConfigVersion = Version<ShopConfig>;
export type ConfigStore = VersionedConfigStore<ShopConfig>;

/** The shop's versioned config in `file`, starting from the defaults when there is none. */
export function openConfigStore(file: string, now?: () => Date): ConfigStore {
  return VersionedConfigStore.open(file, { initial: DEFAULT_CONFIG, reason: 'defaults', parse: parseConfig }, now);
}

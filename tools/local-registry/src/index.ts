export { startLocalRegistry } from './local-registry';
export type { LocalRegistry, StartLocalRegistryOptions } from './local-registry';

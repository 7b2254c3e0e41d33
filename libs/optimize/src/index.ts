export * from './config-patch';
export * from './gateway-config';
export * from './intent-to-config';
export * from './experiment';

export * from './attributes';
export * from './trace-context';
export * from './logger';
export * from './sdk';

export * from './design';
export * from './guards';
export * from './opportunity-tracker';
export * from './rank-test';
export * from './regime';
export * from './route-observer';
export * from './route-stats';
export * from './optimize-analysis';

export * from './names';
export * from './counter-cells';
export * from './homeostat-metrics';

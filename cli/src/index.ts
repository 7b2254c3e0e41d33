export { buildProgram } from './program';
export { serviceDefinitions } from './services';
export { freePort } from './demo/ports';
export { runDemo, ShopProcess, BEST_ACTION, type DemoOptions, type DemoResult } from './demo/run';
export type { DemoReport, IncidentRecord } from './demo/report';
export { LoopObserver } from './demo/observer';
export { planIncidents } from './demo/plan';
export { GATEWAY_LOOP_FILE, GatewayProcess, hotKeyLoopSpec, ZipfLoad, type GatewayLiveConfig } from './demo/optimize-scenario';

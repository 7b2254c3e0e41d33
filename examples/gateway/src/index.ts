export { startGateway, DEFAULT_DATA_DIR, GATEWAY_VERSION, type RunningGateway, type StartGatewayOptions } from './gateway';
export { startPlatform, type RunningPlatform, type StartPlatformOptions } from './platform';
export {
  DEMO_TOPOLOGY,
  MINIMAL_TOPOLOGY,
  TOPOLOGIES,
  defaultConfig,
  type Topology,
  type RouteSpec,
  type UpstreamSpec,
  type ReplicaSpec,
} from './topology';
export { startUpstreamProcesses, type RunningUpstreams } from './upstream/upstream-processes';
export { startUpstream, type RunningUpstream, type UpstreamStats, type UpstreamFaults } from './upstream/upstream-server';
export {
  BALANCERS,
  HTTP_METHODS,
  parseConfig,
  mergeConfigPatch,
  type BalancerKind,
  type GatewayConfig,
  type RouteConfig,
  type UpstreamConfig,
  type CacheConfig,
  type RetryConfig,
} from './config/gateway-config.schema';
export { ATTR as GATEWAY_ATTR, METRIC as GATEWAY_METRIC } from './telemetry/semconv';
export { DEFAULT_OTLP_ENDPOINT } from './telemetry/telemetry';

/**
 * The configuration the API gateway's actuator takes (`PUT /actuator/config?mode=replace`), as
 * the optimize loop writes it. It mirrors the gateway's own schema (examples/gateway
 * `gateway-config.schema.ts`); the CLI's tests parse every generated config with that schema, so
 * the two cannot drift apart unnoticed. Durations are in ms, as on the wire.
 */
export type Balancer = 'round-robin' | 'weighted' | 'least-loaded' | 'p2c-ewma';

export interface GatewayRouteConfig {
  path: string;
  methods: string[];
  upstream: string;
  idempotent: boolean;
  timeoutMs: number;
  cache: { enabled: boolean; ttlMs: number; staleWhileRevalidateMs: number; maxEntries: number };
  retry: { maxAttempts: number; backoffMs: number; maxBackoffMs: number; budgetRatio: number | null; minRetriesPerS: number };
}

export interface GatewayUpstreamConfig {
  replicas: Array<{ url: string; weight: number }>;
  /** Replica URLs out of balancing (the loop's drain); absent: none. */
  drained?: string[];
  balancer: Balancer;
  connectionsPerReplica: number;
  concurrencyLimit: number;
  queueLimit: number;
  queueTimeoutMs: number;
  ewmaDecayMs: number;
}

export interface GatewayConfig {
  routes: Record<string, GatewayRouteConfig>;
  upstreams: Record<string, GatewayUpstreamConfig>;
}

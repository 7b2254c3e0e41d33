import { DEFAULT_ROUTE_KNOBS, DEFAULT_UPSTREAM_KNOBS, type GatewayConfig, type RouteConfig } from './config/gateway-config.schema';

/** One replica process of an upstream service. */
export interface ReplicaSpec {
  latencyMs: number;
  jitterMs?: number;
  capacity: number;
  maxAgeS?: number;
}

export interface UpstreamSpec {
  name: string;
  replicas: ReplicaSpec[];
  /** Another upstream of the topology this one calls on every read (not routed by the gateway). */
  dependency?: string;
  /** false: a dependency only, the gateway has no route to it. */
  routed?: boolean;
}

export interface RouteSpec {
  name: string;
  path: string;
  methods: RouteConfig['methods'];
  upstream: string;
  idempotent: boolean;
}

export interface Topology {
  upstreams: UpstreamSpec[];
  routes: RouteSpec[];
}

/**
 * The demo platform: a catalog with three replicas, one of them three times slower, which depends on
 * an inventory service; a pricing service with two replicas; an orders service whose POST is not
 * idempotent. Service times and worker counts make each replica saturate at a known rate
 * (capacity / latency: a fast catalog replica about 16 / 0.02 s = 800 requests/s).
 */
export const DEMO_TOPOLOGY: Topology = {
  upstreams: [
    { name: 'inventory', routed: false, replicas: [{ latencyMs: 5, jitterMs: 5, capacity: 64 }] },
    {
      name: 'catalog',
      dependency: 'inventory',
      replicas: [
        { latencyMs: 20, jitterMs: 10, capacity: 16, maxAgeS: 60 },
        { latencyMs: 20, jitterMs: 10, capacity: 16, maxAgeS: 60 },
        { latencyMs: 60, jitterMs: 20, capacity: 16, maxAgeS: 60 },
      ],
    },
    {
      name: 'pricing',
      replicas: [
        { latencyMs: 30, jitterMs: 10, capacity: 8, maxAgeS: 5 },
        { latencyMs: 30, jitterMs: 10, capacity: 8, maxAgeS: 5 },
      ],
    },
    { name: 'orders', replicas: [{ latencyMs: 40, jitterMs: 20, capacity: 8 }] },
  ],
  routes: [
    { name: 'catalog', path: '/catalog', methods: ['GET'], upstream: 'catalog', idempotent: true },
    { name: 'pricing', path: '/pricing', methods: ['GET'], upstream: 'pricing', idempotent: true },
    { name: 'orders', path: '/orders', methods: ['GET', 'POST'], upstream: 'orders', idempotent: false },
  ],
};

/**
 * The gateway's default static config for a topology, as a gateway ships out of the box: no cache,
 * no retry, round-robin, a generous concurrency limit. The optimize loop starts instead from the
 * config generated from the routes' intent.
 */
export function defaultConfig(topology: Topology, replicaUrls: Record<string, string[]>): GatewayConfig {
  const upstreams: GatewayConfig['upstreams'] = {};
  for (const u of topology.upstreams) {
    if (u.routed === false) continue;
    const urls = replicaUrls[u.name];
    if (!urls || urls.length === 0) throw new Error(`no replica URLs for upstream ${u.name}`);
    upstreams[u.name] = { ...DEFAULT_UPSTREAM_KNOBS, replicas: urls.map((url) => ({ url, weight: 1 })) };
  }
  const routes: GatewayConfig['routes'] = {};
  for (const r of topology.routes) {
    routes[r.name] = {
      path: r.path,
      methods: r.methods,
      upstream: r.upstream,
      idempotent: r.idempotent,
      ...structuredClone(DEFAULT_ROUTE_KNOBS),
    };
  }
  return { routes, upstreams };
}

/** One catalog replica and the orders service: the smallest platform with an idempotent and a non-idempotent route, for quick checks. */
export const MINIMAL_TOPOLOGY: Topology = {
  upstreams: [
    { name: 'catalog', replicas: [{ latencyMs: 2, capacity: 16, maxAgeS: 60 }] },
    { name: 'orders', replicas: [{ latencyMs: 2, capacity: 16 }] },
  ],
  routes: DEMO_TOPOLOGY.routes.filter((r) => r.name !== 'pricing'),
};

export const TOPOLOGIES = { demo: DEMO_TOPOLOGY, minimal: MINIMAL_TOPOLOGY } as const;

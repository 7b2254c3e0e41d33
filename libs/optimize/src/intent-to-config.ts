import { durationMs, type Intent, type IntentRoute } from '@homeostat/contracts';
import type { GatewayConfig, GatewayRouteConfig, GatewayUpstreamConfig } from './gateway-config';

/** One decision of the generation: the knob, its value, and why. */
export interface KnobReason {
  path: string;
  value: unknown;
  why: string;
}

export interface GeneratedConfig {
  config: GatewayConfig;
  reasons: KnobReason[];
}

/** The published defaults the starting config takes where the intent says nothing more specific. */
export const GENERATION_DEFAULTS = {
  /** Requests per second a route is sized for when its intent gives no expectedRps. */
  expectedRps: 100,
  /** Share of the staleness window served fresh; the rest is served stale while one request refreshes. */
  freshShare: 0.75,
  /** Retries ≤ 20 % of requests: Finagle's and Envoy's default retry budget. */
  retryBudgetRatio: 0.2,
  /** Retries always allowed per second on a quiet route. */
  minRetriesPerS: 1,
  /** Attempts on an idempotent route: one retry on another replica, within the budget. */
  idempotentAttempts: 2,
  /** Slots per replica at least, so a small expected rate does not starve an upstream. */
  minSlotsPerReplica: 8,
  /** Little's law headroom over the SLO-latency in-flight count, for bursts. */
  concurrencyHeadroom: 2,
  /** Finagle's PeakEwma decay time. */
  ewmaDecayMs: 10_000,
  maxCacheEntries: 10_000,
} as const;

/**
 * The starting configuration of an API gateway from its routes' intent. Pure: the same intent
 * gives the same config, with the reason for every knob, so a person can check it before it is
 * applied and the optimize loop has a documented point to start its experiments from.
 *
 * - **Cache** only a route that is idempotent, serves GET, and may be stale (`maxStaleness > 0`);
 *   TTL + stale-while-revalidate = maxStaleness (¾ fresh, ¼ stale while one request refreshes), so
 *   no response is ever served older than the intent allows. The origin's max-age can shorten it.
 * - **Retry** only an idempotent route: two attempts, the second on another replica, with
 *   full-jitter backoff from p99/10 capped at p99/2, and a budget of 20 % of requests so an error
 *   burst cannot turn into a retry storm. A non-idempotent route gets one attempt and no budget.
 * - **Timeout** per attempt: 2 × the route's p99. Not the p99 itself: a retry after an attempt cut
 *   there (plus backoff) lands past the SLO anyway, so the cut only turns slow answers into errors,
 *   and it caps what P2C-EWMA learns of a slow replica at the SLO, so the slow replica keeps being
 *   chosen (bench:optimize's slow-replica: 18 s in violation with the cut at p99, 5 s at 5 s). On a
 *   non-idempotent route a cut order has an unknown outcome, worse than a slow answer.
 * - **Concurrency** per upstream by Little's law: in flight = rate × latency, with the routes'
 *   expected rates at their SLO p99, times 2 for bursts, and at least 8 per replica. The queue holds
 *   as many again, and a request waits at most the tightest p99 of the upstream's routes — one that
 *   waited longer has already missed its SLO, so it is shed (503) while the client can still act.
 * - **Balancing**: P2C over peak-EWMA where an upstream has several replicas (latency-aware, the
 *   published practice of Finagle and Linkerd), weighted round-robin where the intent gives
 *   weights, round-robin for a single replica. Connections per replica cover the concurrency limit.
 */
export function generateGatewayConfig(intent: Intent): GeneratedConfig {
  const reasons: KnobReason[] = [];
  const note = (path: string, value: unknown, why: string): void => void reasons.push({ path, value, why });
  const routes: Record<string, GatewayRouteConfig> = {};

  for (const [name, route] of Object.entries(intent.spec.routes)) {
    const at = `routes.${name}`;
    const p99 = durationMs(route.slo.p99);
    const staleness = durationMs(route.maxStaleness);
    const cacheable = route.idempotent && route.methods.includes('GET') && staleness > 0;
    const ttlMs = cacheable ? Math.floor(staleness * GENERATION_DEFAULTS.freshShare) : 0;
    const swrMs = cacheable ? staleness - ttlMs : 0;
    note(
      `${at}.cache`,
      { enabled: cacheable, ttlMs, staleWhileRevalidateMs: swrMs },
      cacheable
        ? `idempotent GET route that may be ${route.maxStaleness} stale: TTL ${ttlMs} ms + stale-while-revalidate ${swrMs} ms = the staleness allowed`
        : !route.idempotent
          ? 'not idempotent: never cached'
          : staleness === 0
            ? 'maxStaleness 0s: must always be fresh, not cached'
            : 'does not serve GET: nothing to cache',
    );

    const attempts = route.idempotent ? GENERATION_DEFAULTS.idempotentAttempts : 1;
    const backoffMs = route.idempotent ? Math.max(1, Math.round(p99 / 10)) : 0;
    const maxBackoffMs = route.idempotent ? Math.max(backoffMs, Math.round(p99 / 2)) : 0;
    const budgetRatio = route.idempotent ? GENERATION_DEFAULTS.retryBudgetRatio : null;
    note(
      `${at}.retry`,
      { maxAttempts: attempts, backoffMs, maxBackoffMs, budgetRatio },
      route.idempotent
        ? `idempotent: one retry on another replica, backoff p99/10..p99/2 with full jitter, at most ${GENERATION_DEFAULTS.retryBudgetRatio * 100} % of requests retried`
        : 'not idempotent: never retried (a repeat would act twice)',
    );
    const timeoutMs = 2 * p99;
    note(
      `${at}.timeoutMs`,
      timeoutMs,
      route.idempotent
        ? '2 × p99: a retry after a cut at the p99 would miss the SLO anyway, and the balancer learns how slow a slow replica really is'
        : '2 × p99: an order cut short has an unknown outcome',
    );

    routes[name] = {
      path: route.path,
      methods: [...route.methods],
      upstream: route.upstream,
      idempotent: route.idempotent,
      timeoutMs,
      cache: { enabled: cacheable, ttlMs, staleWhileRevalidateMs: swrMs, maxEntries: GENERATION_DEFAULTS.maxCacheEntries },
      retry: {
        maxAttempts: attempts,
        backoffMs,
        maxBackoffMs,
        budgetRatio,
        minRetriesPerS: route.idempotent ? GENERATION_DEFAULTS.minRetriesPerS : 0,
      },
    };
  }

  const upstreams: Record<string, GatewayUpstreamConfig> = {};
  for (const [name, upstream] of Object.entries(intent.spec.upstreams)) {
    const at = `upstreams.${name}`;
    const served: IntentRoute[] = Object.values(intent.spec.routes).filter((r) => r.upstream === name);
    const replicas = upstream.replicas.length;
    const inFlightAtSlo = served.reduce(
      (sum, r) => sum + ((r.expectedRps ?? GENERATION_DEFAULTS.expectedRps) * durationMs(r.slo.p99)) / 1_000,
      0,
    );
    const limit = Math.max(
      GENERATION_DEFAULTS.minSlotsPerReplica * replicas,
      Math.ceil(inFlightAtSlo * GENERATION_DEFAULTS.concurrencyHeadroom),
    );
    note(
      `${at}.concurrencyLimit`,
      limit,
      `Little's law: ${inFlightAtSlo.toFixed(1)} in flight at the routes' expected rates and SLO p99, × ${GENERATION_DEFAULTS.concurrencyHeadroom} headroom, at least ${GENERATION_DEFAULTS.minSlotsPerReplica} per replica`,
    );
    const tightestP99 = served.length > 0 ? Math.min(...served.map((r) => durationMs(r.slo.p99))) : 1_000;
    note(`${at}.queueTimeoutMs`, tightestP99, 'the tightest p99 of its routes: a request that waited longer has missed its SLO, shed it');
    const weighted = upstream.replicas.some((r) => r.weight !== undefined);
    const balancer = replicas === 1 ? 'round-robin' : weighted ? 'weighted' : 'p2c-ewma';
    note(
      `${at}.balancer`,
      balancer,
      replicas === 1
        ? 'one replica: nothing to balance'
        : weighted
          ? 'the intent gives weights'
          : 'several replicas: P2C over peak-EWMA latency avoids a slow replica within a request',
    );
    upstreams[name] = {
      replicas: upstream.replicas.map((r) => ({ url: r.url, weight: r.weight ?? 1 })),
      balancer,
      connectionsPerReplica: Math.max(1, Math.ceil(limit / replicas)),
      concurrencyLimit: limit,
      queueLimit: limit,
      queueTimeoutMs: tightestP99,
      ewmaDecayMs: GENERATION_DEFAULTS.ewmaDecayMs,
    };
  }
  return { config: { routes, upstreams }, reasons };
}

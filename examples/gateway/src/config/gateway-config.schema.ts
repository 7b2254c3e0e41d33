import { z } from 'zod';

/**
 * The gateway's runtime configuration: every knob the optimize loop may turn, per route and per
 * upstream, changed through `PUT /actuator/config` and versioned by the config store. Routes and
 * upstreams are records keyed by name (not arrays) so that a partial PUT such as
 * `{"routes":{"catalog":{"cache":{"ttlMs":5000}}}}` names exactly what it changes.
 */
export const BALANCERS = ['round-robin', 'weighted', 'least-loaded', 'p2c-ewma'] as const;
export type BalancerKind = (typeof BALANCERS)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Paths the gateway answers itself; no route may claim them. */
export const RESERVED_PATHS = ['/actuator', '/health', '/faults'] as const;

const NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const name = z.string().regex(NAME, 'must be a name of lowercase letters, digits and "-", at most 63');

export const cacheConfigSchema = z
  .object({
    enabled: z.boolean(),
    /** Freshness the gateway grants a response; an upstream's max-age/s-maxage can only shorten it. */
    ttlMs: z.number().int().min(0).max(86_400_000),
    /** After the TTL, serve the stale entry while one background request refreshes it. */
    staleWhileRevalidateMs: z.number().int().min(0).max(86_400_000),
    /** Entries kept for this route; least recently used out. */
    maxEntries: z.number().int().min(1).max(1_000_000),
  })
  .strict();
export type CacheConfig = z.infer<typeof cacheConfigSchema>;

export const retryConfigSchema = z
  .object({
    /** Attempts per request, the first one included; 1 = no retry. */
    maxAttempts: z.number().int().min(1).max(10),
    /** Base of the exponential backoff (full jitter); 0 retries at once. */
    backoffMs: z.number().int().min(0).max(60_000),
    /** Cap of one backoff. */
    maxBackoffMs: z.number().int().min(0).max(60_000),
    /** Retries allowed as a fraction of this route's requests over the last 10 s; null: no budget. */
    budgetRatio: z.number().gt(0).max(10).nullable(),
    /** Retries always allowed per second, so a quiet route can still retry (Finagle's minRetriesPerSec). */
    minRetriesPerS: z.number().min(0).max(10_000),
  })
  .strict();
export type RetryConfig = z.infer<typeof retryConfigSchema>;

export const routeConfigSchema = z
  .object({
    /** Path prefix the route serves, e.g. `/catalog` (it serves `/catalog` and `/catalog/...`). */
    path: z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, 'must be a path starting with "/"'),
    methods: z.array(z.enum(HTTP_METHODS)).min(1),
    upstream: name,
    /** From the route's intent: a repeat has no further effect. Only such routes are cached or retried. */
    idempotent: z.boolean(),
    /** Deadline of one attempt (response headers and body). */
    timeoutMs: z.number().int().min(1).max(600_000),
    cache: cacheConfigSchema,
    retry: retryConfigSchema,
  })
  .strict();
export type RouteConfig = z.infer<typeof routeConfigSchema>;

export const replicaSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    /** Share of traffic under the `weighted` balancer (ignored by the others). */
    weight: z.number().int().min(0).max(1_000),
  })
  .strict();
export type ReplicaConfig = z.infer<typeof replicaSchema>;

export const CONCURRENCY_MODES = ['fixed', 'gradient2', 'vegas'] as const;
export type ConcurrencyMode = (typeof CONCURRENCY_MODES)[number];

/**
 * How an upstream's concurrency limit is set. `fixed`: `concurrencyLimit`. `gradient2` / `vegas`:
 * Netflix concurrency-limits' Gradient2Limit / VegasLimit adapt it from the latency of finished
 * requests (src/adaptive), and `concurrencyLimit` is unused. A parameter left out takes the
 * library's published default for the chosen algorithm (they differ: maxLimit 200 vs 1000,
 * smoothing 0.2 vs 1). In `fixed` mode the parameters are kept but unused, so that a partial PUT
 * `{"concurrency":{"mode":"fixed"}}` merges cleanly over an adaptive config.
 */
export const concurrencyConfigSchema = z
  .object({
    mode: z.enum(CONCURRENCY_MODES),
    initialLimit: z.number().int().min(1).max(100_000).optional(),
    /** Gradient2 only (Vegas' floor is 1). */
    minLimit: z.number().int().min(1).max(100_000).optional(),
    /** `maxConcurrency` in the Java builders. */
    maxLimit: z.number().int().min(1).max(100_000).optional(),
    smoothing: z.number().gt(0).max(1).optional(),
    /** Gradient2 only. */
    rttTolerance: z.number().min(1).max(100).optional(),
    /** Gradient2 only. */
    longWindow: z.number().int().min(1).max(1_000_000).optional(),
    /** Gradient2 only: growth per update while latency holds, a count or "sqrt" (max(4, ⌊√limit⌋)). */
    queueSize: z.union([z.number().int().min(0).max(10_000), z.literal('sqrt')]).optional(),
    /** Vegas only: re-probe the no-load RTT every ~probeMultiplier × limit samples. */
    probeMultiplier: z.number().int().min(1).max(10_000).optional(),
    /** 0 (default): update on every finished request (SimpleLimiter); > 0: WindowedLimit windows of this length (the library's 1 s). */
    windowMs: z.number().int().min(0).max(600_000).optional(),
    /** Finished requests a window needs before it updates the limit (WindowedLimit's 10). */
    windowSize: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type ConcurrencyConfig = z.infer<typeof concurrencyConfigSchema>;

export const upstreamConfigSchema = z
  .object({
    replicas: z.array(replicaSchema).min(1),
    /**
     * Replicas (their URLs) taken out of balancing under every balancer: an outlier drained while it
     * answers far slower than its peers. A sample of the idempotent GETs is mirrored to them, answer
     * discarded, so their latency stays measured and they can be put back once healthy.
     */
    drained: z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })).optional(),
    balancer: z.enum(BALANCERS),
    /** Connections kept per replica (undici Pool `connections`). */
    connectionsPerReplica: z.number().int().min(1).max(1_024),
    /** Requests in flight to this upstream at once (all replicas); more wait in the queue. */
    concurrencyLimit: z.number().int().min(1).max(100_000),
    /** Absent: `fixed`. */
    concurrency: concurrencyConfigSchema.optional(),
    /** Requests waiting for a slot; one more is shed with 503. 0: shed as soon as the limit is reached. */
    queueLimit: z.number().int().min(0).max(100_000),
    /** Longest wait in the queue before shedding with 503. */
    queueTimeoutMs: z.number().int().min(1).max(600_000),
    /** Time constant of the peak-EWMA latency estimate (p2c-ewma). */
    ewmaDecayMs: z.number().int().min(100).max(600_000),
  })
  .strict();
export type UpstreamConfig = z.infer<typeof upstreamConfigSchema>;

export const gatewayConfigSchema = z
  .object({
    routes: z.record(name, routeConfigSchema),
    upstreams: z.record(name, upstreamConfigSchema),
  })
  .strict()
  .superRefine((config, ctx) => {
    for (const [routeName, route] of Object.entries(config.routes)) {
      if (!(route.upstream in config.upstreams)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', routeName, 'upstream'],
          message: `unknown upstream "${route.upstream}"; known: ${Object.keys(config.upstreams).join(', ') || '(none)'}`,
        });
      }
      const reserved = RESERVED_PATHS.find((p) => route.path === p || route.path.startsWith(`${p}/`) || p.startsWith(`${route.path}/`));
      if (reserved || route.path === '/') {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', routeName, 'path'],
          message: `${route.path} overlaps the gateway's own ${reserved ?? '/actuator'}`,
        });
      }
      // The guard the optimize loop must never cross, enforced where the config enters: a repeat of a
      // non-idempotent request (an order, a payment) is a second order, so it is neither retried
      // nor answered from a cache.
      if (!route.idempotent && route.cache.enabled) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', routeName, 'cache', 'enabled'],
          message: 'a non-idempotent route is never cached',
        });
      }
      if (!route.idempotent && route.retry.maxAttempts > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', routeName, 'retry', 'maxAttempts'],
          message: 'a non-idempotent route is never retried: must be 1',
        });
      }
      if (route.retry.maxBackoffMs < route.retry.backoffMs) {
        ctx.addIssue({ code: 'custom', path: ['routes', routeName, 'retry', 'maxBackoffMs'], message: 'must be at least backoffMs' });
      }
    }
    for (const [upstreamName, upstream] of Object.entries(config.upstreams)) {
      if (upstream.balancer === 'weighted' && upstream.replicas.every((r) => r.weight === 0)) {
        ctx.addIssue({
          code: 'custom',
          path: ['upstreams', upstreamName, 'replicas'],
          message: 'the weighted balancer needs a replica with weight > 0',
        });
      }
      const origins = new Set(upstream.replicas.map((r) => new URL(r.url).origin));
      const drained = new Set((upstream.drained ?? []).map((u) => new URL(u).origin));
      for (const [i, u] of (upstream.drained ?? []).entries()) {
        if (!origins.has(new URL(u).origin))
          ctx.addIssue({
            code: 'custom',
            path: ['upstreams', upstreamName, 'drained', i],
            message: `${u} is not a replica of ${upstreamName}`,
          });
      }
      if (drained.size > 0 && [...origins].every((o) => drained.has(o))) {
        ctx.addIssue({
          code: 'custom',
          path: ['upstreams', upstreamName, 'drained'],
          message: 'drains every replica: at least one must stay in balancing',
        });
      }
      const cc = upstream.concurrency;
      const at = (field: string) => ['upstreams', upstreamName, 'concurrency', field];
      if (cc?.mode === 'gradient2' && (cc.minLimit ?? 20) > (cc.maxLimit ?? 200)) {
        ctx.addIssue({ code: 'custom', path: at('minLimit'), message: `must be at most maxLimit (${cc.maxLimit ?? 200})` });
      }
      if (cc?.mode === 'vegas') {
        for (const field of ['minLimit', 'rttTolerance', 'longWindow', 'queueSize'] as const) {
          if (cc[field] !== undefined)
            ctx.addIssue({ code: 'custom', path: at(field), message: 'not a parameter of vegas (gradient2 only)' });
        }
      }
      if (cc?.mode === 'gradient2' && cc.probeMultiplier !== undefined) {
        ctx.addIssue({ code: 'custom', path: at('probeMultiplier'), message: 'not a parameter of gradient2 (vegas only)' });
      }
    }
  });
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(body)';
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${where}: ${issue.message}`;
  });
}

export function parseConfig(value: unknown): ParseResult<GatewayConfig> {
  const parsed = gatewayConfigSchema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: describeIssues(parsed.error) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A PUT body merged over the live config: objects merge key by key, anything else (a number, an
 * array of replicas) replaces. The result is validated whole, so a patch that leaves the config
 * inconsistent (a route on an unknown upstream, a retried POST route) is refused naming the field.
 */
export function mergeConfigPatch(config: GatewayConfig, patch: unknown): ParseResult<GatewayConfig> {
  if (!isObject(patch))
    return { ok: false, errors: ['(body): must be a JSON object such as {"routes":{"catalog":{"cache":{"enabled":true}}}}'] };
  return parseConfig(deepMerge(config, patch));
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = key in base ? deepMerge(base[key], value) : value;
  return out;
}

/** Defaults of a route's knobs when a topology names only path, methods and upstream: the naive static config. */
export const DEFAULT_ROUTE_KNOBS = {
  timeoutMs: 5_000,
  cache: { enabled: false, ttlMs: 0, staleWhileRevalidateMs: 0, maxEntries: 10_000 },
  retry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 0, budgetRatio: null, minRetriesPerS: 0 },
} satisfies Pick<RouteConfig, 'timeoutMs' | 'cache' | 'retry'>;

export const DEFAULT_UPSTREAM_KNOBS = {
  balancer: 'round-robin',
  connectionsPerReplica: 64,
  concurrencyLimit: 1_000,
  queueLimit: 1_000,
  queueTimeoutMs: 5_000,
  ewmaDecayMs: 10_000,
} satisfies Omit<UpstreamConfig, 'replicas'>;

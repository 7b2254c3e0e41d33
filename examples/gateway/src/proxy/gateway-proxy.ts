import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ResponseCache, requestBypassReason, type CachedResponse, type RequestHeaders } from '../cache/response-cache';
import { ShedError, type SampleOutcome } from '../concurrency/concurrency-limiter';
import type { GatewayConfig, RouteConfig } from '../config/gateway-config.schema';
import { decideRetry, RetryBudget, type AttemptOutcome } from '../resilience/retry';
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import { ATTR } from '../telemetry/semconv';
import type { GatewayTelemetry } from '../telemetry/telemetry';
import { UpstreamRuntime, type Replica } from './upstream-runtime';

/** Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** One GET in this many of an idempotent route is mirrored to a drained replica of its upstream. */
export const MIRROR_EVERY = 10;

export type CacheResult = 'hit' | 'stale' | 'miss' | 'bypass';

export interface ProxyRequest {
  method: string;
  /** Path and query, as received. */
  target: string;
  headers: RequestHeaders;
  body: Buffer | undefined;
  ctx: Context;
}

export interface ProxyResponse extends CachedResponse {
  cache: CacheResult;
  attempts: number;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout|aborted/i.test(`${error.name} ${(error as { code?: string }).code ?? ''} ${error.message}`);
}

/**
 * What an answered attempt tells an adaptive concurrency limit: an answer (4xx included) is a
 * latency sample; a 503 (the upstream shedding) or a 504 is a drop, whose latency counts as the
 * library counts `onDropped`; any other 5xx says nothing about load and is ignored. A timeout is a
 * drop too; a refused connection is ignored.
 */
function limiterSample(status: number): SampleOutcome {
  if (status < 500) return 'success';
  return status === 503 || status === 504 ? 'dropped' : 'ignore';
}

export class UpstreamFailure extends Error {
  readonly code: 'UPSTREAM_TIMEOUT' | 'UPSTREAM_UNREACHABLE';
  constructor(
    readonly upstream: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    const timeout = isTimeout(cause);
    super(`upstream ${upstream} failed after ${attempts} attempt(s): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.code = timeout ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNREACHABLE';
  }
}

interface RouteRuntime {
  name: string;
  config: RouteConfig;
  cache: ResponseCache | null;
  budget: RetryBudget;
}

export interface ProxyOptions {
  random?: () => number;
  now?: () => number;
}

/**
 * The gateway's request path: route by longest path prefix, answer from the route's cache when
 * HTTP and the route's intent allow it, otherwise take a concurrency slot of the upstream, pick a
 * replica, send the request with undici and retry within the route's policy and budget.
 */
export class GatewayProxy {
  private routes: RouteRuntime[] = [];
  private readonly upstreams = new Map<string, UpstreamRuntime>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly random: () => number;
  private readonly now: () => number;
  readonly metrics: GatewayMetrics;
  private version = 0;
  private upstreamConfigs: GatewayConfig['upstreams'] = {};
  private mirrorCount = 0;
  private readonly mirroring = new Set<Replica>();

  constructor(
    config: GatewayConfig,
    version: number,
    private readonly telemetry: GatewayTelemetry,
    options: ProxyOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => Date.now());
    this.reconfigure(config, version);
    this.metrics = new GatewayMetrics(telemetry.meter, {
      upstreams: () =>
        [...this.upstreams.values()].map((u) => ({
          name: u.name,
          inUse: u.limiter.inUse,
          limit: u.limiter.currentLimit,
          queued: u.limiter.queued,
          replicas: u.replicas.map((r) => ({ url: r.state.url, latencyMs: r.state.latencyMs, inFlight: r.state.inFlight })),
        })),
      caches: () => this.routes.flatMap((r) => (r.cache ? [{ route: r.name, entries: r.cache.size }] : [])),
      configVersion: () => this.version,
    });
  }

  /** The live config's version: on each request's server span. */
  get configVersion(): number {
    return this.version;
  }

  /**
   * The knobs live on a route and its upstream, as server-span attributes: the optimize loop reads
   * them to know what a change would change. (The adaptive limiter's current limit is a metric;
   * this is the config's.)
   */
  knobAttributes(route: RouteRuntime): Record<string, string | number | boolean> {
    const { cache, retry } = route.config;
    const upstream = this.upstreamConfigs[route.config.upstream];
    return {
      [ATTR.cacheEnabled]: cache.enabled && route.cache !== null,
      [ATTR.cacheTtlMs]: cache.ttlMs,
      [ATTR.cacheStaleWhileRevalidateMs]: cache.staleWhileRevalidateMs,
      [ATTR.retryMaxAttempts]: retry.maxAttempts,
      ...(retry.budgetRatio === null ? {} : { [ATTR.retryBudgetRatio]: retry.budgetRatio }),
      ...(upstream === undefined
        ? {}
        : {
            [ATTR.balancer]: upstream.balancer,
            [ATTR.concurrencyLimit]: upstream.concurrencyLimit,
            [ATTR.queueLimit]: upstream.queueLimit,
            [ATTR.drainedReplicas]: (upstream.drained ?? [])
              .map((u) => new URL(u).origin)
              .sort()
              .join(','),
          }),
    };
  }

  /** Applies a new live config; what did not change keeps its state (connections, EWMA, cache, budget). */
  reconfigure(config: GatewayConfig, version: number): void {
    this.version = version;
    this.upstreamConfigs = config.upstreams;
    for (const [name, uc] of Object.entries(config.upstreams)) {
      const existing = this.upstreams.get(name);
      if (existing) existing.reconfigure(uc);
      else this.upstreams.set(name, new UpstreamRuntime(name, uc, this.random));
    }
    for (const [name, u] of this.upstreams) {
      if (!(name in config.upstreams)) {
        this.upstreams.delete(name);
        void u.close();
      }
    }
    const previous = new Map(this.routes.map((r) => [r.name, r]));
    this.routes = Object.entries(config.routes)
      .map(([name, rc]): RouteRuntime => {
        const old = previous.get(name);
        const budget = old?.budget ?? new RetryBudget(rc.retry, this.now);
        budget.reconfigure(rc.retry);
        // A cache is kept only while its knobs are unchanged: a shorter TTL, or caching switched off,
        // must never be answered by entries stored under the old rules.
        const sameCache =
          old?.cache && JSON.stringify(old.config.cache) === JSON.stringify(rc.cache) && old.config.idempotent === rc.idempotent;
        const cache = rc.idempotent && rc.cache.enabled ? (sameCache ? old.cache : new ResponseCache(rc.cache, this.now)) : null;
        return { name, config: rc, cache, budget };
      })
      // Longest prefix first, so /catalog/special wins over /catalog.
      .sort((a, b) => b.config.path.length - a.config.path.length);
  }

  /** The route serving `path`, and whether it allows `method`; undefined when no route serves the path. */
  /** An upstream's concurrency limit (fixed or adaptive) and its use right now; undefined for an unknown upstream. */
  concurrency(upstream: string): { limit: number; inUse: number; queued: number } | undefined {
    const u = this.upstreams.get(upstream);
    return u && { limit: u.limiter.currentLimit, inUse: u.limiter.inUse, queued: u.limiter.queued };
  }

  match(method: string, path: string): { route: RouteRuntime; allowed: boolean } | undefined {
    const route = this.routes.find(
      (r) => path === r.config.path || path.startsWith(r.config.path.endsWith('/') ? r.config.path : `${r.config.path}/`),
    );
    if (!route) return undefined;
    return {
      route,
      allowed: (route.config.methods as string[]).includes(method) || (method === 'HEAD' && route.config.methods.includes('GET')),
    };
  }

  async handle(route: RouteRuntime, request: ProxyRequest): Promise<ProxyResponse> {
    const cache = route.cache;
    const bypass = cache ? requestBypassReason(request.method, request.headers) : 'disabled';
    const key = `${request.method} ${request.target}`;
    if (cache && bypass === null) {
      const found = cache.lookup(key, request.headers);
      if (found.result !== 'miss') {
        const result: CacheResult = found.result === 'fresh' ? 'hit' : 'stale';
        this.metrics.cacheLookups.add(1, { [ATTR.route]: route.name, [ATTR.cacheResult]: result });
        if (result === 'stale') this.refresh(route, cache, key, request);
        return { ...found.response, headers: { ...found.response.headers, age: String(found.ageS) }, cache: result, attempts: 0 };
      }
    }
    const cacheResult: CacheResult = cache && bypass === null ? 'miss' : 'bypass';
    if (cache) this.metrics.cacheLookups.add(1, { [ATTR.route]: route.name, [ATTR.cacheResult]: cacheResult });
    const { response, attempts } = await this.forward(route, request);
    // A request that asked to bypass (no-cache) still refreshes the cache; one that said no-store does not.
    if (cache && (bypass === null || bypass === 'request-no-cache')) cache.store(key, request.headers, response);
    return { ...response, cache: cacheResult, attempts };
  }

  /** Stale-while-revalidate: one background request per key; its failure leaves the stale entry to expire. */
  private refresh(route: RouteRuntime, cache: ResponseCache, key: string, request: ProxyRequest): void {
    const variant = `${key}\n${JSON.stringify(request.headers)}`;
    if (this.refreshing.has(variant)) return;
    const task = this.forward(route, request)
      .then(({ response }) => void cache.store(key, request.headers, response))
      .catch(() => undefined)
      .finally(() => this.refreshing.delete(variant));
    this.refreshing.set(variant, task);
  }

  private async forward(route: RouteRuntime, request: ProxyRequest): Promise<{ response: CachedResponse; attempts: number }> {
    const upstream = this.upstreams.get(route.config.upstream);
    if (!upstream) throw new Error(`route ${route.name}: upstream ${route.config.upstream} is not configured`);
    route.budget.recordRequest();
    this.mirror(route, upstream, request);
    let previous: Replica | undefined;
    for (let attempt = 1; ; attempt++) {
      const release = await upstream.limiter.acquire().catch((error: unknown) => {
        if (error instanceof ShedError) this.metrics.shed.add(1, { [ATTR.upstream]: upstream.name, [ATTR.reason]: error.reason });
        throw error;
      });
      const replica = upstream.pick(previous);
      let outcome: AttemptOutcome;
      let response: CachedResponse | undefined;
      let failure: unknown;
      let sample: SampleOutcome = 'ignore';
      try {
        response = await this.attempt(route, upstream, replica, request, attempt);
        outcome = { kind: 'response', status: response.status };
        sample = limiterSample(response.status);
      } catch (error) {
        failure = error;
        outcome = { kind: 'error', code: (error as { code?: string }).code ?? 'ERROR' };
        sample = isTimeout(error) ? 'dropped' : 'ignore';
      } finally {
        release(sample);
      }
      const decision = decideRetry(route.config, attempt, outcome, route.budget, this.random);
      if (!decision.retry) {
        if (decision.reason === 'budget' || decision.reason === 'attempts') {
          this.metrics.retriesDenied.add(1, { [ATTR.route]: route.name, [ATTR.upstream]: upstream.name, [ATTR.reason]: decision.reason });
        }
        if (response) return { response, attempts: attempt };
        throw new UpstreamFailure(upstream.name, attempt, failure);
      }
      this.metrics.retries.add(1, { [ATTR.route]: route.name, [ATTR.upstream]: upstream.name });
      previous = replica;
      if (decision.delayMs > 0) await new Promise((r) => setTimeout(r, decision.delayMs));
    }
  }

  /**
   * One GET in MIRROR_EVERY of an idempotent route also goes to a drained replica, its answer
   * discarded: the only traffic a drained replica gets, so that its latency stays measured and it
   * can be put back once healthy (Envoy's request mirroring). At most one mirror in flight per
   * replica, outside the concurrency limit, never retried, never counted as an attempt.
   */
  private mirror(route: RouteRuntime, upstream: UpstreamRuntime, request: ProxyRequest): void {
    if (!route.config.idempotent || request.method !== 'GET') return;
    if (this.mirrorCount++ % MIRROR_EVERY !== 0) return;
    const replica = upstream.mirrorTarget();
    if (replica === undefined || this.mirroring.has(replica)) return;
    this.mirroring.add(replica);
    const span = this.upstreamSpan(route, upstream, replica, request, { [ATTR.mirror]: true });
    void replica.pool
      .request({
        path: request.target,
        method: 'GET',
        headersTimeout: route.config.timeoutMs,
        bodyTimeout: route.config.timeoutMs,
        signal: AbortSignal.timeout(route.config.timeoutMs),
      })
      .then(async (res) => {
        await res.body.dump();
        span.setAttribute(ATTR.httpResponseStatusCode, res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.statusCode}` });
      })
      .catch((error: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as { code?: string }).code ?? 'Error' });
      })
      .finally(() => {
        this.mirroring.delete(replica);
        span.end();
      });
  }

  /** The client span of one call to a replica (an attempt or a mirror), with `extra` attributes. */
  private upstreamSpan(route: RouteRuntime, upstream: UpstreamRuntime, replica: Replica, request: ProxyRequest, extra: Attributes): Span {
    return this.telemetry.tracer.startSpan(
      `${request.method} ${route.config.path}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.httpRequestMethod]: request.method,
          [ATTR.peerService]: upstream.name,
          [ATTR.route]: route.name,
          [ATTR.upstream]: upstream.name,
          [ATTR.replica]: replica.state.url,
          ...extra,
        },
      },
      request.ctx,
    );
  }

  private async attempt(
    route: RouteRuntime,
    upstream: UpstreamRuntime,
    replica: Replica,
    request: ProxyRequest,
    attempt: number,
  ): Promise<CachedResponse> {
    const started = performance.now();
    const span = this.upstreamSpan(route, upstream, replica, request, attempt > 1 ? { [ATTR.httpRequestResendCount]: attempt - 1 } : {});
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.propagator.inject(trace.setSpan(request.ctx, span), headers, { set: (carrier, k, v) => (carrier[k] = v) });
    const attrs: Record<string, string | number> = {
      [ATTR.route]: route.name,
      [ATTR.upstream]: upstream.name,
      [ATTR.replica]: replica.state.url,
      [ATTR.httpRequestMethod]: request.method,
    };
    replica.state.inFlight++;
    try {
      const res = await replica.pool.request({
        path: request.target,
        method: request.method as 'GET',
        headers,
        body: request.body && request.body.length > 0 ? request.body : null,
        headersTimeout: route.config.timeoutMs,
        bodyTimeout: route.config.timeoutMs,
        signal: AbortSignal.timeout(route.config.timeoutMs),
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name)) continue;
        out[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const failed = res.statusCode >= 500;
      const elapsedMs = performance.now() - started;
      replica.state.observe(elapsedMs);
      attrs[ATTR.httpResponseStatusCode] = res.statusCode;
      if (failed) attrs[ATTR.errorType] = String(res.statusCode);
      span.setAttribute(ATTR.httpResponseStatusCode, res.statusCode);
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.statusCode}` });
      this.metrics.attempts.add(1, {
        [ATTR.route]: route.name,
        [ATTR.upstream]: upstream.name,
        [ATTR.attemptOutcome]: failed ? 'error' : 'ok',
      });
      this.metrics.clientDuration.record(elapsedMs / 1_000, attrs);
      return { status: res.statusCode, headers: out, body };
    } catch (error) {
      const elapsedMs = performance.now() - started;
      // A failed attempt weighs on the replica's estimate at least as much as the route's deadline
      // would, so P2C steers away from a replica that refuses connections.
      replica.state.observe(Math.max(elapsedMs, route.config.timeoutMs));
      const code = (error as { code?: string; name?: string }).code ?? (error as Error).name ?? 'Error';
      attrs[ATTR.errorType] = code;
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      this.metrics.attempts.add(1, { [ATTR.route]: route.name, [ATTR.upstream]: upstream.name, [ATTR.attemptOutcome]: 'error' });
      this.metrics.clientDuration.record(elapsedMs / 1_000, attrs);
      throw error;
    } finally {
      replica.state.inFlight--;
      span.end();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.refreshing.values()]);
    await Promise.allSettled([...this.upstreams.values()].map((u) => u.close()));
  }
}

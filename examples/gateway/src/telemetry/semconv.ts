/**
 * Every metric, span and attribute name the gateway emits, in one place: a contract the optimize
 * loop's analyzer reads (README "Telemetry" lists them with their meaning). The standard ones follow
 * the OpenTelemetry HTTP semantic conventions; the gateway's own are under `gateway.`.
 */
export const SERVICE_NAME = 'gateway';

export const ATTR = {
  httpRequestMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpResponseStatusCode: 'http.response.status_code',
  httpRequestResendCount: 'http.request.resend_count',
  urlPath: 'url.path',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
  peerService: 'peer.service',
  /** The route's name in the config (`catalog`), on every per-route series. */
  route: 'gateway.route',
  /** The upstream's name in the config (`catalog`), on every per-upstream series. */
  upstream: 'gateway.upstream',
  /** The replica's URL origin (`http://127.0.0.1:4101`). */
  replica: 'gateway.upstream.replica',
  /** hit | stale | miss | bypass */
  cacheResult: 'gateway.cache.result',
  /** ok | error: whether one upstream attempt counts as failed (5xx, timeout, connection error). */
  attemptOutcome: 'gateway.attempt.outcome',
  /** Why a request was not retried further or was shed: budget | attempts | queue_full | queue_timeout ... */
  reason: 'gateway.reason',
  configVersion: 'gateway.config.version',
  // The knobs live on the request's route and upstream, on its server span beside the config version:
  // what the optimize loop compares a change with, so it never proposes what is already live.
  cacheEnabled: 'gateway.cache.enabled',
  cacheTtlMs: 'gateway.cache.ttl_ms',
  cacheStaleWhileRevalidateMs: 'gateway.cache.stale_while_revalidate_ms',
  retryMaxAttempts: 'gateway.retry.max_attempts',
  /** Absent when the route's retries have no budget. */
  retryBudgetRatio: 'gateway.retry.budget_ratio',
  balancer: 'gateway.upstream.balancer',
  concurrencyLimit: 'gateway.upstream.concurrency_limit',
  queueLimit: 'gateway.upstream.queue_limit',
  /** The upstream's drained replicas (URL origins, sorted, comma-separated); empty when none. */
  drainedReplicas: 'gateway.upstream.drained_replicas',
  /** true on a client span that mirrors a request to a drained replica (its answer is discarded). */
  mirror: 'gateway.attempt.mirror',
} as const;

export const METRIC = {
  /** Histogram (s) per request the gateway answers: route, method, status, cache result. */
  httpServerRequestDuration: 'http.server.request.duration',
  /** Histogram (s) per upstream attempt: route, upstream, replica, status or error.type, resend count. */
  httpClientRequestDuration: 'http.client.request.duration',
  /** Counter of upstream attempts (first ones and retries): route, upstream, outcome. Amplification = attempts / requests. */
  upstreamAttempts: 'gateway.upstream.attempts',
  /** Counter of retries sent: route, upstream. */
  retries: 'gateway.retries',
  /** Counter of retries not sent for want of budget or attempts: route, reason. */
  retriesDenied: 'gateway.retries.denied',
  /** Counter of cache lookups: route, result (hit | stale | miss | bypass). */
  cacheLookups: 'gateway.cache.lookups',
  /** Gauge of entries in a route's cache. */
  cacheEntries: 'gateway.cache.entries',
  /** Gauge: requests holding an upstream's concurrency slots. */
  concurrencyInUse: 'gateway.upstream.concurrency.in_use',
  /** Gauge: the upstream's concurrency limit (config). */
  concurrencyLimit: 'gateway.upstream.concurrency.limit',
  /** Gauge: requests waiting for a slot. */
  queueLength: 'gateway.upstream.queue.length',
  /** Counter of requests shed with 503: upstream, reason (queue_full | queue_timeout). */
  shed: 'gateway.upstream.shed',
  /** Gauge (s): a replica's peak-EWMA latency estimate, as the balancer sees it. */
  replicaLatency: 'gateway.upstream.replica.latency_estimate',
  /** Gauge: requests in flight to a replica. */
  replicaInFlight: 'gateway.upstream.replica.in_flight',
  /** Gauge: the live config version. */
  configVersion: 'gateway.config.version',
} as const;

/** The semantic conventions' advisory buckets for durations in seconds. */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

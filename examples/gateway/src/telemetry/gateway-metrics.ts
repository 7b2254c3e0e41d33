import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { ATTR, DURATION_BUCKETS_S, METRIC } from './semconv';

export interface MetricSource {
  upstreams(): Iterable<{
    name: string;
    inUse: number;
    limit: number;
    queued: number;
    replicas: Iterable<{ url: string; latencyMs: number; inFlight: number }>;
  }>;
  caches(): Iterable<{ route: string; entries: number }>;
  configVersion(): number;
}

/** The gateway's instruments (names in semconv.ts); gauges are read from the live state at each export. */
export class GatewayMetrics {
  readonly serverDuration: Histogram;
  readonly clientDuration: Histogram;
  readonly attempts: Counter;
  readonly retries: Counter;
  readonly retriesDenied: Counter;
  readonly cacheLookups: Counter;
  readonly shed: Counter;

  constructor(meter: Meter, source: MetricSource) {
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS_S } };
    this.serverDuration = meter.createHistogram(METRIC.httpServerRequestDuration, {
      ...seconds,
      description: 'Duration of HTTP server requests.',
    });
    this.clientDuration = meter.createHistogram(METRIC.httpClientRequestDuration, {
      ...seconds,
      description: 'Duration of one upstream attempt.',
    });
    this.attempts = meter.createCounter(METRIC.upstreamAttempts, { description: 'Upstream attempts, first ones and retries.' });
    this.retries = meter.createCounter(METRIC.retries, { description: 'Retries sent upstream.' });
    this.retriesDenied = meter.createCounter(METRIC.retriesDenied, {
      description: 'Retryable failures not retried (budget spent or attempts used).',
    });
    this.cacheLookups = meter.createCounter(METRIC.cacheLookups, { description: 'Response cache lookups by result.' });
    this.shed = meter.createCounter(METRIC.shed, { description: 'Requests shed with 503 by the concurrency limiter.' });

    const inUse = meter.createObservableGauge(METRIC.concurrencyInUse, { description: 'Requests holding concurrency slots.' });
    const limit = meter.createObservableGauge(METRIC.concurrencyLimit, { description: 'Concurrency limit.' });
    const queue = meter.createObservableGauge(METRIC.queueLength, { description: 'Requests waiting for a concurrency slot.' });
    const latency = meter.createObservableGauge(METRIC.replicaLatency, {
      unit: 's',
      description: 'Peak-EWMA latency estimate of a replica.',
    });
    const inFlight = meter.createObservableGauge(METRIC.replicaInFlight, { description: 'Requests in flight to a replica.' });
    const entries = meter.createObservableGauge(METRIC.cacheEntries, { description: 'Entries in a route response cache.' });
    const version = meter.createObservableGauge(METRIC.configVersion, { description: 'The live config version.' });
    meter.addBatchObservableCallback(
      (result) => {
        for (const u of source.upstreams()) {
          const attrs = { [ATTR.upstream]: u.name };
          result.observe(inUse, u.inUse, attrs);
          result.observe(limit, u.limit, attrs);
          result.observe(queue, u.queued, attrs);
          for (const r of u.replicas) {
            const rAttrs = { ...attrs, [ATTR.replica]: r.url };
            result.observe(latency, r.latencyMs / 1_000, rAttrs);
            result.observe(inFlight, r.inFlight, rAttrs);
          }
        }
        for (const c of source.caches()) result.observe(entries, c.entries, { [ATTR.route]: c.route });
        result.observe(version, source.configVersion());
      },
      [inUse, limit, queue, latency, inFlight, entries, version],
    );
  }
}

import { loopSpecSchema, type LoopSpec, type Span, type SpansBatch } from '@homeostat/contracts';
import { KNOB_ACTIONS } from './design';
import { OpportunityTracker } from './opportunity-tracker';
import { OptimizeAnalysis } from './optimize-analysis';
import { RouteObserver } from './route-observer';

const loop: LoopSpec = loopSpecSchema.parse({
  apiVersion: 'homeostat.dev/v1',
  kind: 'Loop',
  metadata: { name: 'gw', version: 1 },
  spec: {
    kind: 'optimize',
    target: { service: 'gateway' },
    signals: [{ kind: 'span', name: '*' }],
    detection: { resolveAfter: '3s' },
    actions: [
      ...Object.values(KNOB_ACTIONS).map((name) => ({ name, adapter: 'http', params: {}, risk: 'low', inverse: 'rollback-config' })),
      { name: 'rollback-config', adapter: 'http', params: {}, risk: 'low' },
    ],
    guardrails: {
      budget: { maxActions: 5, window: '10m' },
      cooldown: '1s',
      blastRadius: { maxConcurrent: 1 },
      circuitBreaker: { consecutiveFailures: 3 },
      approval: { aboveRisk: 'high' },
      dryRun: false,
    },
    verification: { metric: { name: 'route.latency', threshold: 1 }, deadline: '1m' },
    optimize: {
      actuator: 'http://gw',
      bucket: '1s',
      baselineBuckets: 5,
      trialBuckets: 5,
      routes: {
        catalog: {
          upstream: 'catalog',
          idempotent: true,
          maxStaleness: '10s',
          slo: { p99: '250ms', errorRatio: 0.01 },
          knobs: { cacheTtl: { min: '1s', max: '10s' } },
        },
      },
    },
  },
});

const T0 = 1_764_000_000_000;
let n = 0;
const hex = (len: number): string => (++n).toString(16).padStart(len, '0');

/** `count` server spans a second on /catalog for seconds [from, to), keys from `key(i)`, `ms` long, `cache` result. */
function traffic(
  from: number,
  to: number,
  count: number,
  key: (i: number) => string,
  ms = 40,
  cache = 'miss',
  knobs: Record<string, string | number | boolean> = {},
): SpansBatch {
  const spans: Span[] = [];
  for (let s = from; s < to; s++)
    for (let i = 0; i < count; i++) {
      const end = BigInt(T0 + s * 1_000 + i * 10) * 1_000_000n;
      spans.push({
        traceId: hex(32),
        spanId: hex(16),
        name: 'GET /catalog',
        kind: 'server',
        startTimeUnixNano: (end - BigInt(ms) * 1_000_000n).toString(),
        endTimeUnixNano: end.toString(),
        attributes: {
          'gateway.route': 'catalog',
          'url.path': `/catalog/${key(i)}`,
          'http.response.status_code': 200,
          'gateway.cache.result': cache,
          ...knobs,
        },
        status: { code: 'unset' },
        events: [],
      });
    }
  return { resource: { attributes: { 'service.name': 'gateway' } }, scope: { name: 'gateway' }, spans };
}

describe('route observer and opportunities', () => {
  it('buckets a route’s spans: requests, exact percentiles, cache hits and repeated keys', () => {
    const observer = new RouteObserver(loop.spec.optimize!);
    observer.ingest(traffic(0, 2, 20, (i) => `k${i % 4}`, 30));
    const buckets = observer.buckets('catalog', T0, T0 + 2_000);
    expect(buckets).toHaveLength(2);
    expect(buckets[0]).toMatchObject({ requests: 20, errors: 0, p50Ms: 30, p99Ms: 30, cacheHits: 0, repeats: 16 });
    expect(buckets[1]).toMatchObject({ repeats: 20 });
  });

  it('opens an opportunity on hot keys without a cache, keyed by route and regime, and resolves it once nothing is left to gain', () => {
    const observer = new RouteObserver(loop.spec.optimize!);
    const tracker = new OpportunityTracker(loop, () => `i${++n}`);
    observer.ingest(traffic(0, 3, 20, (i) => `k${i % 4}`));
    // Too few buckets yet: nothing.
    expect(tracker.tick(observer, T0 + 3_000)).toEqual([]);
    observer.ingest(traffic(3, 6, 20, (i) => `k${i % 4}`));
    const [opened] = tracker.tick(observer, T0 + 6_000);
    expect(opened).toMatchObject({
      type: 'homeostat.incident.opened.v1',
      data: {
        fingerprint: 'optimize:catalog:rate=16-32,keys=hot,upstream=ok',
        severity: 'low',
        optimize: { kind: 'opportunity', route: 'catalog', cacheHitRatio: 0, buckets: 5 },
      },
    });
    expect(opened?.type === 'homeostat.incident.opened.v1' && opened.data.optimize?.repeatRatio).toBeGreaterThan(0.8);
    // Still worth it: no second incident.
    expect(tracker.tick(observer, T0 + 6_500)).toEqual([]);
    // The cache serves the repeats: calm for resolveAfter, then resolved.
    observer.ingest(traffic(6, 14, 20, (i) => `k${i % 4}`, 1, 'hit'));
    expect(tracker.tick(observer, T0 + 12_000)).toEqual([]);
    expect(tracker.tick(observer, T0 + 15_000)).toMatchObject([
      { type: 'homeostat.incident.resolved.v1', data: { incidentId: opened?.data.incidentId, resolution: 'recovered' } },
    ]);
  });

  it('opens nothing on spread keys within the SLO, and a regression when the route breaks it', () => {
    const observer = new RouteObserver(loop.spec.optimize!);
    const tracker = new OpportunityTracker(loop, () => `i${++n}`);
    let k = 0;
    observer.ingest(traffic(0, 6, 20, () => `u${++k}`));
    expect(tracker.tick(observer, T0 + 6_000)).toEqual([]);
    observer.ingest(traffic(6, 12, 20, () => `u${++k}`, 400));
    expect(tracker.tick(observer, T0 + 12_000)).toMatchObject([
      { type: 'homeostat.incident.opened.v1', data: { severity: 'medium', optimize: { kind: 'regression' } } },
    ]);
  });

  it('reads the live knobs from the server spans, and opens nothing for a cache that is already on as it would be designed', () => {
    const observer = new RouteObserver(loop.spec.optimize!);
    const tracker = new OpportunityTracker(loop, () => `i${++n}`);
    const live = {
      'gateway.config.version': 4,
      'gateway.cache.enabled': true,
      'gateway.cache.ttl_ms': 7_500,
      // An OTLP JSON exporter's int as a string.
      'gateway.cache.stale_while_revalidate_ms': '2500',
      'gateway.upstream.balancer': 'p2c-ewma',
      'gateway.retry.max_attempts': 'two',
    };
    // Hot keys, yet no hit (the origin says no-store): the cache is on with the TTL the design would give.
    observer.ingest(traffic(0, 6, 20, (i) => `k${i % 4}`, 40, 'miss', live));
    expect(observer.observe('catalog', T0 + 6_000)?.live).toEqual({
      configVersion: 4,
      cacheEnabled: true,
      cacheTtlMs: 7_500,
      cacheStaleWhileRevalidateMs: 2_500,
      balancer: 'p2c-ewma',
    });
    expect(tracker.tick(observer, T0 + 6_000)).toEqual([]);
    // The same traffic with the cache off is an opportunity.
    const off = new RouteObserver(loop.spec.optimize!);
    off.ingest(traffic(0, 6, 20, (i) => `k${i % 4}`, 40, 'bypass', { ...live, 'gateway.cache.enabled': false }));
    expect(new OpportunityTracker(loop, () => `i${++n}`).tick(off, T0 + 6_000)).toMatchObject([{ type: 'homeostat.incident.opened.v1' }]);
  });

  it('sees each replica’s newest attempts beside the window’s median, mirrored ones included, and the drained replicas live', () => {
    const spec = loop.spec.optimize!;
    const observer = new RouteObserver(spec);
    const batch = traffic(0, 6, 20, (i) => `k${i}`, 40, 'miss', { 'gateway.upstream.drained_replicas': 'http://r3,http://r1' });
    const attempt = (s: number, i: number, replica: string, ms: number, extra: Record<string, boolean> = {}): Span => {
      const end = BigInt(T0 + s * 1_000 + i * 10 + 5) * 1_000_000n;
      return {
        traceId: hex(32),
        spanId: hex(16),
        name: 'GET /catalog',
        kind: 'client',
        startTimeUnixNano: (end - BigInt(ms) * 1_000_000n).toString(),
        endTimeUnixNano: end.toString(),
        attributes: { 'gateway.route': 'catalog', 'gateway.upstream.replica': replica, ...extra },
        status: { code: 'unset' },
        events: [],
      };
    };
    // r1 fast for five seconds, then slow (mirrored requests only); r2 fast throughout.
    for (let s = 0; s < 6; s++)
      for (let i = 0; i < 10; i++) {
        batch.spans.push(attempt(s, i, 'http://r2', 25));
        if (s < 5) batch.spans.push(attempt(s, i, 'http://r1', 20));
      }
    for (let i = 0; i < 5; i++) batch.spans.push(attempt(5, i, 'http://r1', 430, { 'gateway.attempt.mirror': true }));
    observer.ingest(batch);
    const seen = observer.observe('catalog', T0 + 6_000);
    expect(seen?.replicaP50Ms).toEqual({ 'http://r1': 20, 'http://r2': 25 });
    expect(seen?.replicaRecentMs).toEqual({ 'http://r1': 430, 'http://r2': 25 });
    expect(seen?.live?.drainedReplicas).toEqual(['http://r3', 'http://r1']);
    expect(seen?.retryRatio).toBe(0);
  });

  it('updates an incident still worth an experiment every half window, with the fresh observation and failing since the opening', () => {
    const observer = new RouteObserver(loop.spec.optimize!);
    const tracker = new OpportunityTracker(loop, () => `i${++n}`);
    observer.ingest(traffic(0, 6, 20, (i) => `k${i % 4}`));
    const [opened] = tracker.tick(observer, T0 + 6_000);
    expect(opened?.type).toBe('homeostat.incident.opened.v1');
    // Within half a window (3 s of 1 s buckets × 5): no update yet.
    observer.ingest(traffic(6, 8, 20, (i) => `k${i % 4}`, 400));
    expect(tracker.tick(observer, T0 + 8_000)).toEqual([]);
    observer.ingest(traffic(8, 9, 20, (i) => `k${i % 4}`, 400));
    const [updated] = tracker.tick(observer, T0 + 9_000);
    expect(updated).toMatchObject({
      type: 'homeostat.incident.updated.v1',
      data: {
        incidentId: opened?.data.incidentId,
        fingerprint: opened?.data.fingerprint,
        openedAt: new Date(T0 + 6_000).toISOString(),
        updatedAt: new Date(T0 + 9_000).toISOString(),
        failingAt: new Date(T0 + 9_000).toISOString(),
        failingSince: new Date(T0 + 6_000).toISOString(),
        severity: 'medium',
        optimize: { kind: 'regression', windowEnd: new Date(T0 + 9_000).toISOString() },
      },
    });
    expect(tracker.tick(observer, T0 + 10_000)).toEqual([]);
    // The time of the last update survives a restart.
    const restored = new OpportunityTracker(loop, () => `i${++n}`);
    restored.restore(JSON.parse(JSON.stringify(tracker.snapshot())));
    expect(restored.tick(observer, T0 + 10_000)).toEqual([]);
  });

  it('continues from its snapshot after a restart: the routes’ windows at once, the open incident resolved under its id', () => {
    const before = new OptimizeAnalysis([loop], () => `i${++n}`);
    before.ingestSpans(
      'gateway',
      traffic(0, 6, 20, (i) => `k${i % 4}`),
    );
    const [opened] = before.tick(T0 + 6_000);
    expect(opened?.type).toBe('homeostat.incident.opened.v1');
    // As the analyzer's state file and the analyzer.state changelog carry it: JSON.
    const saved: unknown = JSON.parse(JSON.stringify(before.snapshotTarget('gateway')));
    expect(before.snapshotTarget('shop')).toBeUndefined();

    const after = new OptimizeAnalysis([loop], () => `fresh${++n}`);
    after.restoreTarget('gateway', saved);
    // The window before the restart is there: still worth it, so nothing new opens.
    expect(after.tick(T0 + 6_500)).toEqual([]);
    after.ingestSpans(
      'gateway',
      traffic(6, 14, 20, (i) => `k${i % 4}`, 1, 'hit'),
    );
    expect(after.tick(T0 + 12_000)).toEqual([]);
    expect(after.tick(T0 + 15_000)).toMatchObject([
      { type: 'homeostat.incident.resolved.v1', data: { incidentId: opened?.data.incidentId, resolution: 'recovered' } },
    ]);
  });

  it('refuses a snapshot that is not one, keeping its state, and forgets a target that moved away', () => {
    const analysis = new OptimizeAnalysis([loop], () => `i${++n}`);
    analysis.ingestSpans(
      'gateway',
      traffic(0, 6, 20, (i) => `k${i % 4}`),
    );
    const state = analysis.snapshotTarget('gateway');
    expect(() =>
      analysis.restoreTarget('gateway', { gw: { observer: { routes: { catalog: { buckets: 'x' } } }, tracker: { open: {} } } }),
    ).toThrow(/buckets is not a list/);
    expect(() => analysis.restoreTarget('gateway', 'nonsense')).toThrow(/not an object/);
    expect(analysis.snapshotTarget('gateway')).toEqual(state);
    analysis.dropTarget('gateway');
    expect(analysis.snapshotTarget('gateway')).toEqual({ gw: { observer: { routes: {} }, tracker: { open: {} } } });
  });
});

import { CallGraph } from './call-graph';
import { LatencyHistogram } from './latency-histogram';
import { LogSeriesAggregator } from './log-series';
import { histogramQuantile, MetricSeriesConverter } from './metric-series';
import { rankRootCauses } from './root-cause';
import { errorShape, SpanSeriesAggregator, type SpanLike } from './span-series';

const ms = (n: number): string => (BigInt(n) * 1_000_000n).toString();
function span(startMs: number, durationMs: number, extra: Partial<SpanLike> = {}): SpanLike {
  return {
    traceId: 'a'.repeat(32),
    spanId: Math.random().toString(16).slice(2, 18).padEnd(16, '0'),
    name: 'GET /checkout',
    kind: 'server',
    startTimeUnixNano: ms(startMs),
    endTimeUnixNano: ms(startMs + durationMs),
    attributes: { 'http.route': '/checkout', 'http.request.method': 'GET' },
    status: { code: 'unset' },
    ...extra,
  };
}

describe('LatencyHistogram', () => {
  it('estimates quantiles within the bucket resolution', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.add(i);
    expect(h.quantile(0.95)).toBeGreaterThan(950 * 0.91);
    expect(h.quantile(0.95)).toBeLessThan(950 * 1.09);
    expect(new LatencyHistogram().quantile(0.5)).toBeNaN();
  });
});

describe('SpanSeriesAggregator', () => {
  it('emits rate, error ratio and p95 per route once the bucket is over, and 0 for a route gone silent', () => {
    const agg = new SpanSeriesAggregator(10_000);
    for (let i = 0; i < 20; i++)
      agg.add('shop', span(1_000 + i * 100, i < 19 ? 10 : 500, i % 4 === 0 ? { status: { code: 'error' } } : {}));
    agg.add('shop', span(1_000, 5, { kind: 'client' }));
    expect(agg.flush(11_000)).toEqual([]); // within lateness
    const points = agg.flush(12_000);
    const byName = Object.fromEntries(points.map((p) => [p.name, p]));
    expect(byName['span.request.rate']).toMatchObject({
      service: 'shop',
      labels: { route: 'GET /checkout' },
      timestampMs: 10_000,
      value: 2,
    });
    expect(byName['span.error.ratio']?.value).toBeCloseTo(0.25);
    expect(byName['span.duration.p95']?.value).toBeGreaterThan(9);
    agg.add('shop', span(25_000, 10));
    const later = agg.flush(40_000);
    expect(later.filter((p) => p.name === 'span.request.rate').map((p) => [p.timestampMs, p.value])).toEqual([
      [20_000, 0],
      [30_000, 0.1],
    ]);
  });
});

describe('errorShape', () => {
  const failed = (message: string | undefined, exception?: Record<string, unknown>): SpanLike =>
    span(0, 5, {
      status: { code: 'error', ...(message === undefined ? {} : { message }) },
      ...(exception ? { events: [{ name: 'exception', attributes: exception }] } : {}),
    });

  it('is the recorded exception, type and message, with its variable parts masked', () => {
    const timeout = (ms: number, used: number): SpanLike =>
      failed('HTTP 500', {
        'exception.type': 'POOL_ACQUIRE_TIMEOUT',
        'exception.message': `timeout acquiring connection after ${ms} ms (pool shop-db: ${used}/10 in use, 0 idle, 7 waiting, ${used} leaked)`,
      });
    expect(errorShape(timeout(812, 10))).toBe(
      'POOL_ACQUIRE_TIMEOUT: timeout acquiring connection after <*> ms (pool shop-db: <*> in use, <*> idle, <*> waiting, <*> leaked)',
    );
    expect(errorShape(timeout(1_004, 9))).toBe(errorShape(timeout(812, 10)));
    expect(errorShape(failed(undefined, { 'exception.message': 'pricing rule returned NaN (config version 7)' }))).toBe(
      'pricing rule returned NaN (config version <*>)',
    );
  });

  it('falls back on the status message, and says nothing for a bare HTTP status or no message', () => {
    expect(errorShape(failed('connect ECONNREFUSED 10.0.0.7:5432'))).toBe('connect ECONNREFUSED <*>');
    expect(errorShape(failed('HTTP 503'))).toBeUndefined();
    expect(errorShape(failed(undefined))).toBeUndefined();
    expect(errorShape(failed('   '))).toBeUndefined();
  });

  it('is bounded', () => {
    const shape = errorShape(failed(`boom ${'word '.repeat(500)}`));
    expect(shape?.length).toBeLessThanOrEqual(243);
    expect(shape?.endsWith('<*>')).toBe(true);
  });
});

describe('LogSeriesAggregator', () => {
  it('counts lines per template and second', () => {
    const agg = new LogSeriesAggregator(10_000);
    for (let i = 0; i < 30; i++) agg.add('shop', 't-1', 1_000 + i);
    agg.add('shop', 't-1', 15_000);
    expect(agg.flush(40_000).map((p) => [p.labels['template'], p.timestampMs, p.value])).toEqual([
      ['t-1', 10_000, 3],
      ['t-1', 20_000, 0.1],
      ['t-1', 30_000, 0],
    ]);
  });
});

describe('MetricSeriesConverter', () => {
  const conv = new MetricSeriesConverter();
  it('turns a cumulative counter into a rate and survives a reset', () => {
    const point = (t: number, v: number) => ({ attributes: { route: '/a' }, timeUnixNano: ms(t), value: v });
    const counter = (t: number, v: number) =>
      conv.convert('shop', {
        name: 'requests',
        type: 'sum',
        isMonotonic: true,
        aggregationTemporality: 'cumulative',
        points: [point(t, v)],
      });
    expect(counter(0, 100)).toEqual([]);
    expect(counter(10_000, 150)).toEqual([
      { service: 'shop', name: 'requests.rate', labels: { route: '/a' }, timestampMs: 10_000, value: 5 },
    ]);
    expect(counter(20_000, 3)).toEqual([]); // reset: no negative rate
    expect(counter(30_000, 23)[0]?.value).toBe(2);
  });

  it('passes gauges through and derives mean and p95 from cumulative histograms', () => {
    expect(
      conv.convert('shop', { name: 'pool.used', type: 'gauge', points: [{ attributes: {}, timeUnixNano: ms(5), value: 7 }] })[0]?.value,
    ).toBe(7);
    const h = (t: number, counts: number[], sum: number) =>
      conv.convert('shop', {
        name: 'lat',
        type: 'histogram',
        aggregationTemporality: 'cumulative',
        points: [
          {
            attributes: {},
            timeUnixNano: ms(t),
            count: counts.reduce((a, b) => a + b),
            sum,
            bucketCounts: counts,
            explicitBounds: [10, 100],
          },
        ],
      });
    expect(h(0, [10, 0, 0], 50)).toEqual([]);
    const out = h(10_000, [10, 10, 0], 550);
    expect(out.find((p) => p.name === 'lat.mean')?.value).toBe(50);
    expect(out.find((p) => p.name === 'lat.p95')?.value).toBeCloseTo(10 + 90 * 0.95);
  });

  it('interpolates histogram quantiles like Prometheus', () => {
    expect(histogramQuantile([0, 4, 0], [1, 2], 0.5)).toBeCloseTo(1.5);
    expect(histogramQuantile([0, 0, 0], [1, 2], 0.5)).toBeNaN();
  });
});

describe('call graph and root cause', () => {
  it('learns caller → callee edges and ranks an anomalous dependency above its victim', () => {
    const g = new CallGraph();
    g.observe('shop', { spanId: 's1', kind: 'server', attributes: {}, status: { code: 'unset' } }, 0);
    g.observe('payments', { spanId: 's2', parentSpanId: 's1', kind: 'server', attributes: {}, status: { code: 'error' } }, 0);
    g.observe('payments', { spanId: 's3', kind: 'client', attributes: { 'peer.service': 'postgres' }, status: { code: 'unset' } }, 0);
    expect(g.downstream('shop').sort()).toEqual(['payments', 'postgres']);
    const ranked = rankRootCauses(
      'shop',
      new Map([
        ['shop', [{ ref: 'shop|latency', kind: 'series' as const, score: 0.95, description: 'latency up' }]],
        ['payments', [{ ref: 'payments|errors', kind: 'series' as const, score: 0.97, description: 'errors up' }]],
      ]),
      g,
    );
    expect(ranked.map((c) => c.service)).toEqual(['payments', 'shop']);
    expect(ranked[0]!.score + ranked[1]!.score).toBeCloseTo(1);
    expect(ranked[1]!.reasons.join(' ')).toMatch(/victim/);
  });
});

describe('root cause on a given graph, with evidence that has units', () => {
  const graph = CallGraph.fromEdges([
    ['web', 'api'],
    ['api', 'db'],
  ]);
  const signal = (score: number) => [{ ref: 'x', kind: 'series' as const, score, description: 'up' }];
  const evidence = new Map([
    ['web', signal(0.95)],
    ['api', signal(0.95)],
    ['db', signal(0.95)],
  ]);

  it('builds the graph from its edges and, by default, takes every anomalous dependency as the explanation', () => {
    expect(graph.downstream('web').sort()).toEqual(['api', 'db']);
    expect(rankRootCauses('web', evidence, graph).map((c) => c.service)).toEqual(['db', 'api', 'web']);
  });

  it('discounts a caller only by the share of its anomaly that a dependency explains', () => {
    // db's excess covers a tenth of api's and of web's: api is where the symptom starts.
    const share: Record<string, number> = { 'db>api': 0.1, 'db>web': 0.1, 'api>web': 1 };
    const ranked = rankRootCauses('web', evidence, graph, { explains: (c, e) => share[`${c}>${e}`] ?? 1 });
    expect(ranked.map((c) => c.service)).toEqual(['api', 'web', 'db']);
  });
});

describe('Baseline', () => {
  const { Baseline } = jest.requireActual<typeof import('./baseline')>('./baseline');
  it('scores distance from normal, keeps normal during an incident, and adapts to a lasting change', () => {
    const b = new Baseline();
    for (let i = 0; i < 50; i++) b.observe(100 + (i % 5), false);
    expect(b.deviationScore(103)).toBe(0);
    expect(b.deviationScore(400)).toBeGreaterThan(0.99);
    expect(b.direction(400)).toBe('up');
    for (let i = 0; i < 10; i++) b.observe(400, true);
    expect(b.value).toBeLessThan(110); // the incident did not move the baseline
    for (let i = 0; i < 100; i++) b.observe(400, b.deviationScore(400) >= 0.9);
    expect(b.contains(400)).toBe(true); // a lasting change became the new normal
    expect(Baseline.from(JSON.parse(JSON.stringify(b.toJSON()))).value).toBeCloseTo(b.value);
  });
});

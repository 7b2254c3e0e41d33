import { CallGraph } from './call-graph';
import { EMPTY_METRIC_TABLE, rankRootCausesFromMetrics, toRankedNodes, type MetricRootCauseInput } from './metric-root-cause';
import { metricSeriesKey, RcaInputError, type MetricTable } from './metric-table';

const T0 = 1_681_350_000;
const STEP = 300;

/** A table from per-series value functions of the row index (NaN = no data). */
function table(rows: number, series: Record<string, (row: number) => number>, start = T0): MetricTable {
  const columns = new Map<string, number[]>();
  const nodes = new Set<string>();
  for (const [id, f] of Object.entries(series)) {
    const [node, metric, statistic] = id.split(' ') as [string, string, string];
    columns.set(
      metricSeriesKey({ node, metric, statistic }),
      Array.from({ length: rows }, (_, r) => f(r)),
    );
    nodes.add(node);
  }
  return { timestamps: Array.from({ length: rows }, (_, r) => start + r * STEP), columns, nodes };
}

/** Deterministic noise in [-1, 1]. */
const wobble = (row: number, seed: number): number => Math.sin(row * 12.9898 + seed * 78.233);

const EDGES: Array<[string, string]> = [
  ['web', 'api'],
  ['api', 'db'],
  ['web', 'cache'],
  ['batch', 'db'],
];
const graph = CallGraph.fromEdges(EDGES);
const graphNodes = new Set(EDGES.flat());

const LEVELS: Record<string, number> = { web: 0.1, api: 0.05, db: 0.02, cache: 0.001, batch: 0.3 };
const REQUESTS: Record<string, number> = { web: 500, api: 500, db: 500, cache: 1000, batch: 100 };

/** Normal: every node at its level with a few percent of noise; 100 % available. */
function normalTable(): MetricTable {
  const series: Record<string, (r: number) => number> = {};
  Object.entries(LEVELS).forEach(([node, level], i) => {
    series[`${node} latency Average`] = (r) => level * (1 + 0.03 * wobble(r, i));
    series[`${node} availability Average`] = () => 100;
    series[`${node} requests Sum`] = (r) => REQUESTS[node]! * (1 + 0.02 * wobble(r, i + 9));
  });
  return table(200, series, T0 - 200 * STEP);
}

/**
 * The issue window: 5 rows, the alarm in the second; `extra` adds latency (seconds) or takes
 * availability (points) from a node in rows 1..4.
 */
function issueTable(
  extra: { latency?: Record<string, number>; availability?: Record<string, number> },
  without: string[] = [],
): MetricTable {
  const series: Record<string, (r: number) => number> = {};
  Object.entries(LEVELS).forEach(([node, level], i) => {
    series[`${node} latency Average`] = (r) => level * (1 + 0.03 * wobble(r + 500, i)) + (r >= 1 ? (extra.latency?.[node] ?? 0) : 0);
    series[`${node} availability Average`] = (r) => 100 - (r >= 1 ? (extra.availability?.[node] ?? 0) : 0);
    series[`${node} requests Sum`] = () => REQUESTS[node]!;
  });
  for (const id of without) delete series[id];
  return table(5, series);
}

const latencyTarget = { node: 'web', metric: 'latency', statistic: 'Average', timestamp: T0 + STEP + 40 };
const availabilityTarget = { ...latencyTarget, metric: 'availability' };

function rank(input: Partial<MetricRootCauseInput> & Pick<MetricRootCauseInput, 'abnormal'>): string[] {
  return rankRootCausesFromMetrics({ graph, graphNodes, target: latencyTarget, normal: normalTable(), ...input }).map((c) => c.service);
}

function errorOf(f: () => unknown): RcaInputError {
  try {
    f();
  } catch (err) {
    if (err instanceof RcaInputError) return err;
    throw err;
  }
  throw new Error('expected an RcaInputError');
}

describe('rankRootCausesFromMetrics', () => {
  it('given a delay in the deepest service, when its callers slow down by as much, then it ranks first and its callers after', () => {
    const order = rank({ abnormal: issueTable({ latency: { db: 0.5, api: 0.5, web: 0.5 } }) });
    expect(order[0]).toBe('db');
    expect(order).toEqual(expect.arrayContaining(['api', 'web']));
    expect(order).not.toContain('batch'); // db's other caller is not on a path below the target
  });

  it('given errors in a service whose dependencies are healthy, then it ranks above the target that shows them', () => {
    const ranked = rankRootCausesFromMetrics({
      graph,
      graphNodes,
      target: availabilityTarget,
      normal: normalTable(),
      abnormal: issueTable({ availability: { api: 4, web: 4 } }),
    });
    expect(ranked.map((c) => c.service)).toEqual(['api', 'web']);
    expect(ranked[1]!.reasons.join(' ')).toMatch(/victim/);
    expect(ranked[0]!.score + ranked[1]!.score).toBeCloseTo(1);
  });

  it('given a surprising but small wobble in another dependency, then the one that carries the symptom still ranks first', () => {
    // cache: 1 ms → 3 ms is far outside its normal noise, but covers almost none of web's +500 ms.
    const order = rank({ abnormal: issueTable({ latency: { db: 0.5, api: 0.5, web: 0.5, cache: 0.002 } }) });
    expect(order[0]).toBe('db');
    expect(order.indexOf('cache')).toBeGreaterThan(order.indexOf('db'));
  });

  it('reads every node in the rows where the target is anomalous, from the alarm on, skipping missing fields', () => {
    const abnormal = issueTable({ latency: { db: 0.5, api: 0.5, web: 0.5 } });
    const db = abnormal.columns.get(metricSeriesKey({ node: 'db', metric: 'latency', statistic: 'Average' })) as number[];
    db[1] = Number.NaN;
    db[0] = 9; // before the alarm: not read
    expect(rank({ abnormal })[0]).toBe('db');
  });

  it('without normal data, takes the rows before the alarm as normal', () => {
    expect(rank({ normal: EMPTY_METRIC_TABLE, abnormal: issueTable({ latency: { db: 0.5, api: 0.5, web: 0.5 } }) })[0]).toBe('db');
  });

  it('answers nothing when nothing is anomalous, and the same order for the same input (ties by name)', () => {
    expect(rank({ abnormal: issueTable({}) })).toEqual([]);
    const twoLeaves = issueTable({ latency: { web: 0.5, api: 0.5, db: 0.5, cache: 0.5 } });
    const first = toRankedNodes(
      rankRootCausesFromMetrics({ graph, graphNodes, target: latencyTarget, normal: normalTable(), abnormal: twoLeaves }),
    );
    expect(first.slice(0, 2).map((r) => r.node)).toEqual(['cache', 'db']);
    expect(first[0]!.score).toBe(first[1]!.score);
    expect(
      toRankedNodes(rankRootCausesFromMetrics({ graph, graphNodes, target: latencyTarget, normal: normalTable(), abnormal: twoLeaves })),
    ).toEqual(first);
  });

  it('refuses a node outside the graph, a missing target column and a metric it cannot read', () => {
    const abnormal = issueTable({ latency: { db: 0.5 } });
    expect(errorOf(() => rank({ abnormal, target: { ...latencyTarget, node: 'nowhere' } })).message).toBe(
      'the target node "nowhere" is not in the graph',
    );
    const stray = table(5, { 'ghost latency Average': () => 1, 'web latency Average': () => 1 });
    expect(errorOf(() => rank({ abnormal: stray })).message).toBe('the issue metrics name node(s) not in the graph: ghost');
    expect(errorOf(() => rank({ abnormal: issueTable({}, ['web latency Average']) })).message).toBe(
      'the issue metrics have no column web latency Average',
    );
    expect(errorOf(() => rank({ abnormal, target: { ...latencyTarget, metric: 'cpu' } })).code).toBe('RCA_BAD_TARGET');
    const noBaseline = issueTable({ latency: { web: 0.5 } });
    const webLatency = noBaseline.columns.get(metricSeriesKey(latencyTarget)) as number[];
    webLatency[0] = Number.NaN;
    expect(errorOf(() => rank({ abnormal: noBaseline, normal: EMPTY_METRIC_TABLE })).message).toMatch(
      /^no normal data for web latency Average/,
    );
  });
});

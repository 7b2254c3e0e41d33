import { deviationScoreOfZ, NOISE_DEVIATIONS } from './baseline';
import type { CallGraph } from './call-graph';
import { metricSeriesKey, metricValue, RcaInputError, type IssueTarget, type MetricSeriesId, type MetricTable } from './metric-table';
import { rankRootCauses, type RootCauseCandidate, type SignalEvidence } from './root-cause';

/**
 * Root cause from recorded metrics alone (no spans, no logs), on a given call graph: the same
 * ranking the analyzer does live (`rankRootCauses`), fed with evidence computed here.
 *
 * - Which way is bad, per metric: latency up; availability (percent) down, read as unavailability
 *   (100 − availability) so that every metric is "up is bad" with a natural zero.
 * - Normal, per series: the median of the normal period and a robust deviation unit, the larger of
 *   1.4826 × MAD (1.2533 × the mean absolute deviation when the MAD is 0) and 10 % of the level,
 *   the live baseline's noise floor. A series with no normal data takes the issue's rows before
 *   the alarm (one row: its value is the level, the floor the unit).
 * - The issue rows: the row holding the alarm's timestamp and the later ones in which the target
 *   is anomalous (more than three units bad); all rows from the alarm on when it is in none.
 *   Cause and symptom show in the same 5-minute intervals, so every node is read in those rows.
 * - A node's evidence: how far its target metric (same metric and statistic as the alarm) is from
 *   normal in those rows (median of the rows, in deviation units), scored like the live baseline.
 * - Explaining, along the call graph: a cause must be at least as large as its effect. The excess
 *   over normal times the node's load (requests in the issue rows) is the extra time spent (or
 *   the extra failed requests) there; `explains(a, b)` is a's share of b's. It discounts a caller
 *   whose anomaly an anomalous dependency covers, and weighs each candidate by how much of the
 *   target's anomaly it covers, so a small, merely surprising wobble does not outrank the
 *   dependency that carries the whole symptom.
 *
 * Candidates are the target and the nodes below it (caller → callee). No setting is fitted to
 * any data: the three units and the 10 % floor are the live analyzer's.
 */
export interface MetricRootCauseInput {
  /** The given call graph, caller → callee. */
  graph: Pick<CallGraph, 'downstream'>;
  /** Every node of the graph: metrics of a node outside it are an error. */
  graphNodes: ReadonlySet<string>;
  target: IssueTarget;
  /** Normal operation; may be empty (`EMPTY_METRIC_TABLE`): then the rows before the alarm are normal. */
  normal: MetricTable;
  /** The issue's window, around the alarm. */
  abnormal: MetricTable;
}

export interface MetricRootCauseOptions {
  /** The column that measures each node's load (requests per interval). */
  load?: { metric: string; statistic: string };
}

export interface RankedNode {
  node: string;
  score: number;
}

export const EMPTY_METRIC_TABLE: MetricTable = { timestamps: [], columns: new Map(), nodes: new Set() };

/** Share of the level below which a deviation is noise: the live baseline's floor. */
const NOISE_FLOOR_SHARE = 0.1;
const MAD_TO_SD = 1.4826;
const MEAN_AD_TO_SD = 1.2533;

type Direction = 'up' | 'down-from-100';
const DIRECTIONS: Record<string, Direction> = { latency: 'up', availability: 'down-from-100' };

interface Normal {
  level: number;
  unit: number;
}

interface NodeReading {
  /** Excess over normal in the bad direction (metric units, bad = positive). */
  excess: number;
  z: number;
  load: number;
}

export function rankRootCausesFromMetrics(input: MetricRootCauseInput, options: MetricRootCauseOptions = {}): RootCauseCandidate[] {
  const { graph, graphNodes, target, normal, abnormal } = input;
  const load = options.load ?? { metric: 'requests', statistic: 'Sum' };
  const direction = DIRECTIONS[target.metric];
  if (direction === undefined) {
    throw new RcaInputError('RCA_BAD_TARGET', `target metric "${target.metric}" is not one of ${Object.keys(DIRECTIONS).join(', ')}`);
  }
  if (!graphNodes.has(target.node)) throw new RcaInputError('RCA_UNKNOWN_NODE', `the target node "${target.node}" is not in the graph`);
  for (const [what, table] of [
    ['the issue metrics', abnormal],
    ['the normal metrics', normal],
  ] as const) {
    const unknown = [...table.nodes].filter((n) => !graphNodes.has(n));
    if (unknown.length > 0) {
      throw new RcaInputError(
        'RCA_UNKNOWN_NODE',
        `${what} name node(s) not in the graph: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`,
      );
    }
  }
  const targetSeries: MetricSeriesId = target;
  if (!abnormal.columns.has(metricSeriesKey(targetSeries))) {
    throw new RcaInputError('RCA_MISSING_COLUMN', `the issue metrics have no column ${target.node} ${target.metric} ${target.statistic}`);
  }

  const alarm = alarmRow(abnormal.timestamps, target.timestamp);
  const bad = (v: number): number => (direction === 'up' ? v : 100 - v);
  const normalOf = (series: MetricSeriesId): Normal | undefined => {
    const fromNormal = finite(normal.columns.get(metricSeriesKey(series)) ?? []).map(bad);
    const reference =
      fromNormal.length > 0 ? fromNormal : finite((abnormal.columns.get(metricSeriesKey(series)) ?? []).slice(0, alarm)).map(bad);
    return reference.length > 0 ? robustNormal(reference) : undefined;
  };

  const targetNormal = normalOf(targetSeries);
  if (targetNormal === undefined) {
    throw new RcaInputError(
      'RCA_MISSING_COLUMN',
      `no normal data for ${target.node} ${target.metric} ${target.statistic} (not in the normal metrics, no value before the alarm)`,
    );
  }
  const fromAlarm = abnormal.timestamps.map((_, r) => r).filter((r) => r >= alarm);
  const targetAnomalous = fromAlarm.filter(
    (r) => (bad(metricValue(abnormal, targetSeries, r)) - targetNormal.level) / targetNormal.unit > NOISE_DEVIATIONS,
  );
  const rows = targetAnomalous.length > 0 ? targetAnomalous : fromAlarm;

  const readings = new Map<string, NodeReading>();
  const evidence = new Map<string, SignalEvidence[]>();
  for (const node of [target.node, ...graph.downstream(target.node)]) {
    const series = { node, metric: target.metric, statistic: target.statistic };
    const ref = normalOf(series);
    const observed = median(finite(rows.map((r) => metricValue(abnormal, series, r))).map(bad));
    if (ref === undefined || Number.isNaN(observed)) continue;
    const excess = observed - ref.level;
    const z = excess / ref.unit;
    readings.set(node, { excess, z, load: median(finite(rows.map((r) => metricValue(abnormal, { node, ...load }, r)))) });
    const score = deviationScoreOfZ(z);
    if (score > 0) {
      evidence.set(node, [
        {
          ref: `${node}|${target.metric}|${target.statistic}`,
          kind: 'series',
          score,
          description: `${target.metric} ${target.statistic} ${direction === 'up' ? 'up' : 'down'} ${z.toFixed(1)} deviation units from normal`,
        },
      ]);
    }
  }

  return rankRootCauses(target.node, evidence, graph, {
    explains: (cause, effect) => {
      const c = readings.get(cause);
      const e = readings.get(effect);
      if (!c || !e || !(e.excess > 0)) return Number.NaN;
      const loads = c.load > 0 && e.load > 0;
      return loads ? (c.excess * c.load) / (e.excess * e.load) : c.excess / e.excess;
    },
  });
}

/** The ranking as `homeostat rca` writes it: nodes, best first. */
export function toRankedNodes(candidates: readonly RootCauseCandidate[]): RankedNode[] {
  return candidates.map((c) => ({ node: c.service, score: Number(c.score.toFixed(6)) }));
}

/** The last row that starts at or before the alarm; the first when the alarm precedes them all. */
function alarmRow(timestamps: readonly number[], alarm: number): number {
  let row = 0;
  timestamps.forEach((t, r) => {
    if (t <= alarm) row = r;
  });
  return row;
}

function finite(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

function robustNormal(values: readonly number[]): Normal {
  const level = median(values);
  const deviations = values.map((v) => Math.abs(v - level));
  const mad = median(deviations);
  const meanAd = deviations.reduce((s, d) => s + d, 0) / deviations.length;
  const spread = mad > 0 ? MAD_TO_SD * mad : MEAN_AD_TO_SD * meanAd;
  return { level, unit: Math.max(spread, NOISE_FLOOR_SHARE * Math.abs(level), 1e-9) };
}

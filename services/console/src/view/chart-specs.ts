import type { TopLevelSpec } from 'vega-lite';
import type { Evidence } from '@homeostat/contracts';
import type { LearningCurvePoint } from './ledger.types';

/* Vega-Lite specs of the web UI's charts (pure, so they are unit-tested without a browser). */

type AnomalousSeries = Evidence['series'][number];

/** The time range around an anomalous window a small chart shows: some normal before, the recovery after. */
export function seriesRange(series: AnomalousSeries): { from: string; to: string; stepMs: number } {
  const start = Date.parse(series.window.start);
  const end = Date.parse(series.window.end);
  const span = Math.max(end - start, 10_000);
  const from = start - 3 * span;
  const to = end + 2 * span;
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    stepMs: Math.max(500, Math.round((to - from) / 60 / 100) * 100),
  };
}

/** The series over time, its anomalous window shaded and its baseline as a rule. */
export function seriesChartSpec(series: AnomalousSeries, points: { t: string; value: number }[]): TopLevelSpec {
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      data: { values: [{ start: series.window.start, end: series.window.end }] },
      mark: { type: 'rect', color: '#fee4e2', opacity: 0.8 },
      encoding: { x: { field: 'start', type: 'temporal' }, x2: { field: 'end' } },
    },
    {
      mark: { type: 'line', point: points.length < 40, color: '#175cd3', interpolate: 'monotone' },
      encoding: {
        x: { field: 't', type: 'temporal', title: null, axis: { format: '%H:%M:%S', labelOverlap: true } },
        y: { field: 'value', type: 'quantitative', title: null },
        tooltip: [
          { field: 't', type: 'temporal', format: '%H:%M:%S', title: 'time' },
          { field: 'value', type: 'quantitative', format: '.3~f', title: series.name },
        ],
      },
    },
  ];
  if (series.baseline !== undefined) {
    layers.push({
      data: { values: [{ baseline: series.baseline }] },
      mark: { type: 'rule', color: '#12805c', strokeDash: [4, 3] },
      encoding: { y: { field: 'baseline', type: 'quantitative' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 'container',
    height: 110,
    data: { values: points },
    layer: layers,
    config: { view: { stroke: null }, axis: { labelFontSize: 10, grid: true, gridOpacity: 0.4 } },
  };
}

/** When a series has no stored values (e.g. a log template rate): what was observed against the baseline. */
export function observedVsBaselineSpec(series: AnomalousSeries): TopLevelSpec {
  const values = [
    { what: 'baseline', value: series.baseline ?? 0 },
    { what: 'observed', value: series.observed ?? 0 },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 'container',
    height: 70,
    data: { values },
    mark: { type: 'bar', cornerRadiusEnd: 3 },
    encoding: {
      y: { field: 'what', type: 'nominal', title: null, sort: ['baseline', 'observed'] },
      x: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'what', type: 'nominal', legend: null, scale: { domain: ['baseline', 'observed'], range: ['#12805c', '#c01048'] } },
      tooltip: [{ field: 'what' }, { field: 'value', format: '.3~f' }],
    },
    config: { view: { stroke: null } },
  };
}

/** Time to recover per incident, one line per fingerprint: a loop that learns goes down. */
export function learningCurveSpec(points: readonly LearningCurvePoint[]): TopLevelSpec {
  const seen = new Map<string, number>();
  const values = points.map((p) => {
    const n = (seen.get(p.fingerprint) ?? 0) + 1;
    seen.set(p.fingerprint, n);
    return {
      fingerprint: p.fingerprint,
      occurrence: n,
      openedAt: p.openedAt,
      recoverSeconds: p.timeToRecoverMs === null ? null : p.timeToRecoverMs / 1000,
      actSeconds: p.timeToActMs === null ? null : p.timeToActMs / 1000,
      actions: p.actions.join(' → ') || '(none)',
      incidentId: p.incidentId,
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 'container',
    height: 260,
    data: { values },
    transform: [{ filter: 'datum.recoverSeconds !== null' }],
    mark: { type: 'line', point: { size: 60 } },
    encoding: {
      x: { field: 'occurrence', type: 'ordinal', title: 'occurrence of the fingerprint (1st, 2nd, …)', axis: { labelAngle: 0 } },
      y: { field: 'recoverSeconds', type: 'quantitative', title: 'time to recover (s)' },
      color: { field: 'fingerprint', type: 'nominal', title: 'fingerprint' },
      tooltip: [
        { field: 'fingerprint' },
        { field: 'occurrence' },
        { field: 'openedAt', type: 'temporal', format: '%Y-%m-%d %H:%M:%S', title: 'opened' },
        { field: 'recoverSeconds', format: '.1f', title: 'recovered after (s)' },
        { field: 'actSeconds', format: '.1f', title: 'first action after (s)' },
        { field: 'actions', title: 'actions tried' },
      ],
    },
    config: { view: { stroke: null } },
  };
}

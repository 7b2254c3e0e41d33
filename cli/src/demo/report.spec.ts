import { renderLearningCurveSvg } from './chart';
import { formatReport } from './format';
import { planIncidents } from './plan';
import { buildReport, quantile, type IncidentRecord } from './report';

const BEST = { a: 'fix-a', b: 'fix-b' };
const T0 = Date.parse('2026-11-25T00:00:00Z');

function incident(
  index: number,
  fault: string,
  first: string,
  recoverS: number | null,
  extra: Partial<IncidentRecord> = {},
): IncidentRecord {
  const injectedAt = T0 + index * 600_000;
  return {
    index,
    fault,
    injectedAt,
    incidentId: `i${index}`,
    fingerprint: `fp-${fault}`,
    detectedAt: injectedAt + 10_000,
    actedAt: injectedAt + 12_000,
    recoveredAt: recoverS === null ? null : injectedAt + recoverS * 1000,
    resolvedAt: recoverS === null ? null : injectedAt + (recoverS + 30) * 1000,
    actions: [
      { decisionId: `d${index}`, action: first, status: recoverS === null ? 'failed' : 'succeeded', startedAt: injectedAt + 12_000 },
    ],
    ...extra,
  };
}

describe('planIncidents', () => {
  it('spreads the incidents evenly over the kinds and shuffles them the same way for a seed', () => {
    const plan = planIncidents(['a', 'b', 'c', 'd'], 16, 7);
    for (const k of ['a', 'b', 'c', 'd']) expect(plan.filter((p) => p === k)).toHaveLength(4);
    expect(planIncidents(['a', 'b', 'c', 'd'], 16, 7)).toEqual(plan);
    expect(planIncidents(['a', 'b', 'c', 'd'], 16, 8)).not.toEqual(plan);
  });

  it('gives the remainder to the first kinds', () => {
    const plan = planIncidents(['a', 'b', 'c'], 5, 1);
    expect(plan.filter((p) => p === 'a')).toHaveLength(2);
    expect(plan.filter((p) => p === 'b')).toHaveLength(2);
    expect(plan.filter((p) => p === 'c')).toHaveLength(1);
  });

  it('refuses an empty kind list or a count below one', () => {
    expect(() => planIncidents([], 3, 1)).toThrow('at least one fault kind');
    expect(() => planIncidents(['a'], 0, 1)).toThrow('positive integer');
  });
});

describe('buildReport', () => {
  it('numbers the occurrences per kind and scores the first action from the third occurrence on', () => {
    const records = [
      incident(1, 'a', 'restart', 60),
      incident(2, 'b', 'fix-b', 20),
      incident(3, 'a', 'fix-a', 30),
      incident(4, 'a', 'fix-a', 15),
      incident(5, 'a', 'restart', 40),
      incident(6, 'b', 'fix-b', 14),
      incident(7, 'b', 'fix-b', 13),
    ];
    const { rows, summary } = buildReport(records, BEST);
    expect(rows.map((r) => r.occurrence)).toEqual([1, 1, 2, 3, 4, 2, 3]);
    // Scored: a#3 (hit), a#4 (miss), b#3 (hit).
    expect(summary.bestActionRate).toEqual({ afterOccurrences: 2, hits: 2, of: 3, rate: 2 / 3 });
    const a = summary.perKind.find((k) => k.fault === 'a');
    expect(a).toMatchObject({
      incidents: 4,
      recovered: 4,
      bestAction: 'fix-a',
      firstTimeToRecoverS: 60,
      lastTimeToRecoverS: 40,
      fingerprints: ['fp-a'],
    });
    expect(summary.faultToAction).toEqual({ p50: 12, p90: 12, n: 7 });
  });

  it('keeps an incident that did not recover, with no recovery time, and counts it as not recovered', () => {
    const { rows, summary } = buildReport([incident(1, 'a', 'restart', null, { problem: 'not recovered within 300 s' })], BEST);
    expect(rows[0]).toMatchObject({
      recovered: false,
      timeToRecoverS: null,
      firstActionIsBest: false,
      problem: 'not recovered within 300 s',
    });
    expect(summary.recovered).toBe(0);
    expect(summary.faultToRecovery).toEqual({ p50: null, p90: null, n: 0 });
    expect(summary.bestActionRate.rate).toBeNull();
  });

  it('reports an undetected incident with no action and no times', () => {
    const undetected = incident(1, 'a', 'x', null, { incidentId: null, fingerprint: null, detectedAt: null, actedAt: null, actions: [] });
    const { rows } = buildReport([undetected], BEST);
    expect(rows[0]).toMatchObject({ firstAction: null, firstActionIsBest: null, timeToDetectS: null, timeToActS: null, actions: [] });
  });
});

describe('quantile', () => {
  it('takes the nearest rank', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('formatReport and the chart', () => {
  const report = buildReport([incident(1, 'a', 'restart', 60), incident(2, 'a', 'fix-a', 20), incident(3, 'a', 'fix-a', 18)], BEST);

  it('prints one row per incident and the summary figures', () => {
    const text = formatReport(report);
    expect(text).toContain('restart:succeeded');
    expect(text).toMatch(/^a\s+3\s+3\s+fix-a\s+60\.0 s\s+18\.0 s\s+1$/m);
    expect(text).toContain('best action first, after the first 2 of each kind: 100 % (1/1)');
    expect(text).toContain('fault → first action: p50 12.0 s, p90 12.0 s (n=3)');
  });

  it('renders the learning curve as an SVG document with one mark per incident', async () => {
    const svg = await renderLearningCurveSvg(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('time to recover');
    expect(svg).toContain('class="mark-line role-mark');
    expect(svg.match(/<path[^>]*aria-roledescription="point"/g)).toHaveLength(3);
  });
});

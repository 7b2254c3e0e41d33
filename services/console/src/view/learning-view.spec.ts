import { learningCurveSpec, seriesChartSpec, seriesRange } from './chart-specs';
import { formatAgo, formatDuration, formatPercent, toneOf } from './format';
import type { EffectivenessRow } from './ledger.types';
import { configText, groupByFingerprint, learningLabels } from './learning-view';

const row = (r: Partial<EffectivenessRow>): EffectivenessRow => ({
  loop: 'shop',
  fingerprint: 'f1',
  action: 'a',
  tries: 1,
  successes: 0,
  failures: 1,
  successRate: 0,
  medianTimeToRecoverMs: null,
  meanTimeToRecoverMs: null,
  lastOutcomeAt: null,
  autonomy: 'auto',
  decisions: 1,
  ...r,
});

describe('the learning screen', () => {
  it('groups the effectiveness table per fingerprint, the best action first', () => {
    const groups = groupByFingerprint([
      row({ fingerprint: 'f2', action: 'restart', successRate: 1, medianTimeToRecoverMs: 9000 }),
      row({ fingerprint: 'f2', action: 'recycle-pool', successRate: 1, medianTimeToRecoverMs: 2000 }),
      row({ fingerprint: 'f2', action: 'enable-cache', successRate: 0 }),
      row({ fingerprint: 'f1', action: 'enable-cache', successRate: 0 }),
    ]);
    expect(groups.map((g) => [g.fingerprint, g.best, g.rows.map((r) => r.action)])).toEqual([
      ['f1', null, ['enable-cache']],
      ['f2', 'recycle-pool', ['recycle-pool', 'restart', 'enable-cache']],
    ]);
  });

  it('plots time to recover per occurrence of each fingerprint (a loop that learns goes down)', () => {
    const spec = learningCurveSpec([
      {
        incidentId: 'i1',
        fingerprint: 'f1',
        openedAt: 't1',
        actions: ['a', 'b'],
        timeToDetectMs: 1,
        timeToActMs: 2000,
        timeToRecoverMs: 40_000,
      },
      { incidentId: 'i2', fingerprint: 'f2', openedAt: 't2', actions: ['b'], timeToDetectMs: 1, timeToActMs: 1000, timeToRecoverMs: 9_000 },
      { incidentId: 'i3', fingerprint: 'f1', openedAt: 't3', actions: ['b'], timeToDetectMs: 1, timeToActMs: 1000, timeToRecoverMs: 5_000 },
    ]);
    const values = (spec.data as { values: { fingerprint: string; occurrence: number; recoverSeconds: number; actions: string }[] }).values;
    expect(values.map((v) => [v.fingerprint, v.occurrence, v.recoverSeconds])).toEqual([
      ['f1', 1, 40],
      ['f2', 1, 9],
      ['f1', 2, 5],
    ]);
    expect(values[0]?.actions).toBe('a → b');
  });

  it('charts a series around its anomalous window with the baseline', () => {
    const series = {
      name: 'span.duration.p95',
      labels: { route: 'GET /checkout' },
      score: 1,
      window: { start: '2026-01-01T12:00:00.000Z', end: '2026-01-01T12:00:10.000Z' },
      baseline: 40,
      observed: 900,
    };
    expect(seriesRange(series)).toEqual({ from: '2026-01-01T11:59:30.000Z', to: '2026-01-01T12:00:30.000Z', stepMs: 1000 });
    const spec = seriesChartSpec(series, [{ t: '2026-01-01T12:00:00.000Z', value: 900 }]) as { layer: { mark: { type: string } }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['rect', 'line', 'rule']);
  });

  it('formats what people scan: durations, percentages, age, tone', () => {
    expect([formatDuration(450), formatDuration(4200), formatDuration(125_000), formatDuration(null)]).toEqual([
      '450 ms',
      '4.2 s',
      '2 min 5 s',
      '—',
    ]);
    expect(formatPercent(0.666)).toBe('67 %');
    expect(formatAgo('2026-01-01T12:00:00Z', Date.parse('2026-01-01T12:03:00Z'))).toBe('3 min ago');
    expect([toneOf('succeeded'), toneOf('kill-switch'), toneOf('awaiting-approval'), toneOf('whatever')]).toEqual([
      'ok',
      'bad',
      'warn',
      '',
    ]);
  });
});

describe('the learning screen for repair and optimize loops', () => {
  it("names the rows in each kind of loop's words", () => {
    expect(learningLabels('repair')).toMatchObject({ key: 'signature', action: 'fix (recipe)' });
    expect(learningLabels('optimize')).toMatchObject({ key: 'route · regime', action: 'knob · known-good config' });
    expect(learningLabels(null)).toMatchObject({ key: 'fingerprint', action: 'action' });
  });

  it("shows an optimize loop's remembered config: the config call's body, else the params, none when there is none", () => {
    expect(
      configText({ method: 'PUT', url: 'http://gw/actuator/config', body: { routes: { 'GET /catalog': { cache: { ttlMs: 22500 } } } } }),
    ).toBe('{"routes":{"GET /catalog":{"cache":{"ttlMs":22500}}}}');
    expect(configText({ weights: 'a=3,b=1' })).toBe('{"weights":"a=3,b=1"}');
    expect(configText(undefined)).toBeNull();
  });
});

import { decisionMadeSchema, outcomeRecordedSchema, type Experiment, type ExperimentResult } from '@homeostat/contracts';
import { buildExperimentsView } from './experiments-view';
import type { DecisionMade, ExperimentRecord, OutcomeRecorded } from './ledger.types';

const base: Experiment = {
  route: 'GET /catalog',
  regime: 'rps-high|skew-zipf|up-ok',
  knob: 'cache',
  change: 'cache GET /catalog for 22.5 s + 7.5 s stale',
  knownGood: false,
  objective: 'p50',
  bucketMs: 2000,
  baselineBuckets: 8,
  trialBuckets: 8,
  minRequestsPerBucket: 20,
  alpha: 0.05,
  minImprovement: 0.1,
  guards: { p99MaxMs: 400, errorRatioMax: 0.02, neverCached: false },
  expectedGain: 0.4,
};

const measured = (over: Partial<ExperimentResult>): ExperimentResult => ({
  kept: true,
  reason: 'improved beyond noise: p50 80 → 20 ms',
  baselineMedianMs: 80,
  trialMedianMs: 20,
  effectMs: 60,
  effectLowMs: 52,
  effectHighMs: 66,
  pValue: 0.0002,
  baselineBuckets: 8,
  trialBuckets: 8,
  ...over,
});

function record(n: number, experiment: Partial<Experiment>, result: ExperimentResult | null, mode = 'execute'): ExperimentRecord {
  const decidedAt = new Date(Date.parse('2026-03-02T08:00:00.000Z') + n * 60_000).toISOString();
  const e = { ...base, ...experiment };
  const action = { name: `tune-${e.knob}`, adapter: 'http' as const, params: { method: 'PUT', url: 'http://gateway/actuator/config' } };
  const decision = decisionMadeSchema.parse({
    decisionId: `dec-${n}`,
    incidentId: `inc-${n}`,
    loop: 'gateway',
    loopVersion: '1.0.0',
    target: 'gateway',
    fingerprint: `${e.route}|${e.regime}`,
    action,
    mode,
    autonomyLevel: 'auto',
    attempt: 1,
    explanation: { evidenceSummary: 'p50 80 ms', candidates: [], guardrails: [], chosenBecause: `experiment: ${e.change}` },
    experiment: e,
  }) as DecisionMade;
  const kept = result?.kept === true;
  const outcome =
    result === null
      ? null
      : (outcomeRecordedSchema.parse({
          decisionId: `dec-${n}`,
          incidentId: `inc-${n}`,
          loop: 'gateway',
          target: 'gateway',
          fingerprint: decision.fingerprint,
          action,
          status: kept ? 'succeeded' : 'rolled-back',
          dryRun: false,
          applied: true,
          verification: { passed: kept, checks: [] },
          timeToRecoverMs: kept ? 16_000 : null,
          startedAt: decidedAt,
          finishedAt: new Date(Date.parse(decidedAt) + 20_000).toISOString(),
          ...(kept ? {} : { rollback: { action: { ...action, name: 'rollback-config' }, status: 'succeeded' } }),
          experiment: result,
        }) as OutcomeRecorded);
  return {
    decision: { id: `ev-d${n}`, type: 'homeostat.decision.made.v1', time: decidedAt, subject: 'gateway', data: decision },
    outcome: outcome && {
      id: `ev-o${n}`,
      type: 'homeostat.outcome.recorded.v1',
      time: outcome.finishedAt,
      subject: 'gateway',
      data: outcome,
    },
  };
}

const records = (): ExperimentRecord[] => [
  record(3, { knob: 'retry', change: 'retry budget 10 %', route: 'POST /orders', guards: { ...base.guards, neverCached: true } }, null),
  record(1, {}, measured({})),
  record(
    2,
    { knob: 'concurrency', change: 'concurrency 16 → 32 on inventory' },
    measured({
      kept: false,
      reason: 'guard broken: p99 above 400 ms in two trial buckets in a row (last 812 ms)',
      guardBreach: 'p99 above 400 ms in two trial buckets in a row (last 812 ms)',
      effectMs: null,
      effectLowMs: null,
      effectHighMs: null,
      pValue: null,
      trialMedianMs: 140,
      trialBuckets: 2,
    }),
  ),
  record(4, { knownGood: true }, measured({ effectMs: 58, baselineMedianMs: 78, trialMedianMs: 20 })),
];

describe('buildExperimentsView', () => {
  it('groups experiments per route, oldest first, with the change, the measured shift and its interval, p and the verdict', () => {
    const v = buildExperimentsView('gateway', records());
    expect(v.routes.map((r) => [r.route, r.experiments.map((x) => x.decisionId), r.kept, r.rolledBack])).toEqual([
      ['GET /catalog', ['dec-1', 'dec-2', 'dec-4'], 2, 1],
      ['POST /orders', ['dec-3'], 0, 0],
    ]);
    const first = v.routes[0]!.experiments[0]!;
    expect(first).toMatchObject({
      knob: 'cache',
      change: 'cache GET /catalog for 22.5 s + 7.5 s stale',
      baselineMs: 80,
      trialMs: 20,
      shiftMs: 60,
      shiftLowMs: 52,
      shiftHighMs: 66,
      pValue: 0.0002,
      relativeShift: 0.75,
      verdict: 'kept',
      regime: 'rps-high|skew-zipf|up-ok',
      knownGood: false,
    });
    expect(first.guards.map((g) => [g.name, g.state])).toEqual([
      ['p99', 'held'],
      ['error ratio', 'held'],
    ]);
    expect(v.routes[0]!.current).toBe('cache GET /catalog for 22.5 s + 7.5 s stale');
  });

  it('names the guard that broke and the rollback; an experiment still running has no verdict and unknown guards', () => {
    const v = buildExperimentsView('gateway', records());
    const broke = v.routes[0]!.experiments[1]!;
    expect(broke.verdict).toBe('rolled-back');
    expect(broke.guards.map((g) => [g.name, g.state])).toEqual([
      ['p99', 'broke'],
      ['error ratio', 'held'],
    ]);
    expect(broke.rollback).toEqual({ status: 'succeeded', detail: null });
    expect(broke.reason).toMatch(/guard broken: p99/);
    const running = v.routes[1]!.experiments[0]!;
    expect(running.verdict).toBe('running');
    expect(running.guards.map((g) => [g.name, g.state])).toEqual([
      ['p99', 'unknown'],
      ['error ratio', 'unknown'],
      ['never cached', 'unknown'],
    ]);
    expect(running.reason).toBe('experiment: retry budget 10 %');
  });

  it('lists kept and rolled-back changes newest first with their effects, and counts known-good reuse', () => {
    const v = buildExperimentsView('gateway', records());
    expect(v.kept.map((x) => [x.decisionId, x.shiftMs, x.knownGood])).toEqual([
      ['dec-4', 58, true],
      ['dec-1', 60, false],
    ]);
    expect(v.rolledBack.map((x) => x.decisionId)).toEqual(['dec-2']);
    expect(v.totals).toEqual({ experiments: 4, kept: 2, rolledBack: 1, knownGood: 1 });
  });

  it('shows an experiment waiting for approval, and nothing for decisions without one', () => {
    const waiting = record(5, {}, null, 'approval-required');
    const { experiment: _e, ...plain } = waiting.decision.data;
    const v = buildExperimentsView('gateway', [waiting, { ...waiting, decision: { ...waiting.decision, data: plain } }]);
    expect(v.routes[0]!.experiments.map((x) => x.verdict)).toEqual(['awaiting-approval']);
    expect(buildExperimentsView('gateway', []).routes).toEqual([]);
  });
});

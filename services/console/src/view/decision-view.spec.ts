import { sampleDecisionMade, sampleIncidentOpened } from '@homeostat/contracts/testing';
import { buildDecisionView, traceIdOf } from './decision-view';
import type { DecisionAnswer, IncidentAnswer } from './ledger.types';

const made = (over: Partial<ReturnType<typeof sampleDecisionMade>> = {}): DecisionAnswer['decision'] => ({
  id: 'ev-d',
  type: 'homeostat.decision.made.v1',
  time: '2026-01-01T12:00:05.000Z',
  subject: 'shop',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  data: {
    ...sampleDecisionMade(),
    ...over,
    explanation: {
      ...sampleDecisionMade().explanation,
      candidates: [
        { action: 'restart', score: 0.4, eligible: false, reason: 'risk high needs approval' },
        { action: 'enable-cache', score: 0.3, eligible: true, reason: 'θ=0.3' },
        {
          action: 'recycle-pool',
          score: 0.82,
          eligible: true,
          reason: 'θ=0.82',
          posterior: { alpha: 9, beta: 2, mean: 9 / 11, tries: 9, meanTimeToRecoverMs: 12000 },
        },
      ],
    },
  },
});

const incident = (): IncidentAnswer => {
  const opened = sampleIncidentOpened();
  return {
    incident: {
      incidentId: 'inc-1',
      loop: 'shop',
      target: 'shop',
      fingerprint: 'f',
      status: 'updated',
      severity: 'high',
      title: 'pool exhausted',
      openedAt: opened.openedAt,
      resolvedAt: null,
      timeToRecoverMs: null,
    },
    links: { follows: null, followedBy: [], relapses: [] },
    events: [
      {
        id: 'e1',
        type: 'homeostat.incident.opened.v1',
        time: '2026-01-01T12:00:00.000Z',
        subject: 'shop',
        data: { ...opened, title: 'as opened' },
      },
      {
        id: 'e2',
        type: 'homeostat.incident.updated.v1',
        time: '2026-01-01T12:00:04.000Z',
        subject: 'shop',
        data: { ...opened, evidence: { ...opened.evidence, logTemplates: [] }, updatedAt: '2026-01-01T12:00:04.000Z' },
      },
      {
        id: 'e3',
        type: 'homeostat.incident.updated.v1',
        time: '2026-01-01T12:00:09.000Z',
        subject: 'shop',
        data: { ...opened, evidence: { series: [], logTemplates: [], failingSpans: [] }, updatedAt: '2026-01-01T12:00:09.000Z' },
      },
    ],
    decisions: [],
    outcomes: [],
  };
};

describe('a decision page, top to bottom as the loop thought', () => {
  it('orders the candidates by score and says why each won or lost', () => {
    const v = buildDecisionView({ decision: made(), commands: [], outcomes: [] });
    expect(v.candidates.map((c) => [c.action, c.verdict])).toEqual([
      ['recycle-pool', 'chosen'],
      ['restart', 'ineligible'],
      ['enable-cache', 'lost'],
    ]);
    expect(v.candidates[0]?.why).toMatch(/^won with the highest score among the eligible \(0\.820\)/);
    expect(v.candidates[1]?.why).toBe('not eligible: risk high needs approval');
    expect(v.candidates[2]?.why).toBe('lost to recycle-pool (0.300 < 0.820): θ=0.3');
    expect(v.candidates[0]).toMatchObject({ mean: 9 / 11, tries: 9 });
  });

  it('shows the evidence the decider saw: the incident’s last snapshot at or before the decision', () => {
    const v = buildDecisionView({ decision: made(), commands: [], outcomes: [] }, incident());
    expect(v.evidence?.logTemplates).toEqual([]);
    expect(v.evidence?.series.length).toBeGreaterThan(0);
    expect(v.incident).toMatchObject({ title: 'pool exhausted', status: 'updated' });
    expect(buildDecisionView({ decision: made(), commands: [], outcomes: [] }).evidence).toBeNull();
  });

  it('lists the guardrail checks with their values, and the loop iteration’s trace id', () => {
    const v = buildDecisionView({ decision: made(), commands: [], outcomes: [] });
    expect(v.guardrails).toEqual([
      {
        name: 'budget',
        passed: true,
        detail: '1 of 3 actions used in 10m',
        values: [
          { key: 'used', value: '1' },
          { key: 'maxActions', value: '3' },
        ],
      },
    ]);
    expect(v.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traceIdOf('garbage')).toBeNull();
  });

  it('given a decision waiting for approval, then approved by a person, then verified: follows it to its outcome', () => {
    const waiting = made({ mode: 'approval-required', autonomyLevel: 'propose' });
    expect(buildDecisionView({ decision: waiting, commands: [], outcomes: [] }).progress).toBe('awaiting-approval');
    const commands = [
      {
        id: 'c',
        type: 'homeostat.control.v1',
        time: '2026-01-01T12:00:07.000Z',
        subject: 'd',
        data: { command: 'approve', actor: 'alice', reason: 'go' },
      },
    ];
    const approved = buildDecisionView({ decision: waiting, commands, outcomes: [] });
    expect(approved.people).toEqual([{ verdict: 'approved', actor: 'alice', reason: 'go', at: '2026-01-01T12:00:07.000Z' }]);
    expect(approved.progress).toBe('queued');
    const d = waiting.data;
    const outcomes = [
      {
        id: 'o1',
        type: 'homeostat.action.started.v1',
        time: '2026-01-01T12:00:08.000Z',
        subject: 'shop',
        data: { startedAt: '2026-01-01T12:00:08.000Z', deadline: '2026-01-01T12:00:38.000Z', dryRun: false },
      },
      {
        id: 'o2',
        type: 'homeostat.outcome.recorded.v1',
        time: '2026-01-01T12:00:12.000Z',
        subject: 'shop',
        data: {
          decisionId: d.decisionId,
          incidentId: d.incidentId,
          loop: d.loop,
          target: d.target,
          fingerprint: d.fingerprint,
          action: d.action,
          status: 'succeeded',
          dryRun: false,
          verification: { passed: true, checks: [{ name: 'health', passed: true, observed: 200 }] },
          timeToRecoverMs: 4000,
          startedAt: '2026-01-01T12:00:08.000Z',
          finishedAt: '2026-01-01T12:00:12.000Z',
        },
      },
    ];
    const done = buildDecisionView({ decision: waiting, commands, outcomes });
    expect(done.progress).toBe('succeeded');
    expect(done.started).toEqual({ at: '2026-01-01T12:00:08.000Z', deadline: '2026-01-01T12:00:38.000Z', dryRun: false });
    expect(done.outcome).toMatchObject({
      status: 'succeeded',
      timeToRecoverMs: 4000,
      verification: { passed: true, checks: [{ name: 'health', passed: true, observed: '200', detail: null }] },
      rollback: null,
      error: null,
    });
  });

  it('given an escalation, says there is no action and the loop did not act', () => {
    const v = buildDecisionView({ decision: made({ mode: 'escalate', action: null }), commands: [], outcomes: [] });
    expect(v.action).toBeNull();
    expect(v.progress).toBe('not-acted-on');
    expect(v.candidates.every((c) => c.verdict !== 'chosen')).toBe(true);
    expect(v.candidates.find((c) => c.action === 'enable-cache')?.why).toBe('not chosen (escalate): θ=0.3');
  });
});

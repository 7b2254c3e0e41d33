import { sampleDecisionMade } from '@homeostat/contracts/testing';
import type { DecisionMade, DecisionSummary, IncidentSummary, LedgerEvent } from './ledger.types';
import { buildOverview, decisionProgress } from './overview';

const decision = (d: Partial<DecisionSummary>): DecisionSummary => ({
  decision_id: 'd1',
  incident_id: 'i1',
  loop: 'shop',
  target: 'shop',
  fingerprint: 'f',
  action: 'recycle-pool',
  status: 'made',
  decided_at: '2026-01-01T12:00:00.000Z',
  mode: 'execute',
  autonomy: 'auto',
  attempt: 1,
  trace_id: '',
  outcome: '',
  time_to_recover_ms: null,
  ...d,
});

const incident = (i: Partial<IncidentSummary>): IncidentSummary => ({
  incidentId: 'i1',
  loop: 'shop',
  target: 'shop',
  fingerprint: 'f',
  status: 'opened',
  severity: 'high',
  title: 't',
  openedAt: '2026-01-01T12:00:00.000Z',
  resolvedAt: null,
  timeToRecoverMs: null,
  ...i,
});

describe('where a decision stands', () => {
  it.each([
    [{ mode: 'approval-required' }, 'awaiting-approval'],
    [{ mode: 'approval-required', status: 'approved' }, 'queued'],
    [{ mode: 'approval-required', status: 'approved', outcome: 'started' }, 'running'],
    [{ mode: 'approval-required', status: 'rejected' }, 'rejected'],
    [{ mode: 'escalate' }, 'not-acted-on'],
    [{ mode: 'execute', outcome: 'succeeded' }, 'succeeded'],
    [{ mode: 'dry-run', outcome: 'succeeded' }, 'dry-run'],
    [{ mode: 'execute', outcome: 'rolled-back' }, 'rolled-back'],
    [{ mode: 'execute', outcome: 'skipped' }, 'skipped'],
    [{ mode: 'execute' }, 'queued'],
  ] as const)('%j → %s', (d, progress) => {
    expect(decisionProgress(decision(d))).toBe(progress);
  });
});

describe('the overview', () => {
  it('lists the open incidents, the approvals queue, every loop (from specs and the ledger) and the global kill switch', () => {
    const o = buildOverview({
      loops: ['shop'],
      kinds: { shop: 'remediate' },
      incidents: [incident({ incidentId: 'i2', loop: 'payments' }), incident({ incidentId: 'i1', status: 'resolved' })],
      decisions: [decision({ decision_id: 'd2', mode: 'approval-required' }), decision({ decision_id: 'd1', outcome: 'succeeded' })],
      status: {
        standing: [
          {
            event_id: 'e',
            command: 'kill-switch',
            actor: 'ada',
            loop: '',
            decision_id: '',
            reason: 'stop',
            issued_at: '2026-01-01T11:00:00.000Z',
            state: 'on',
          },
        ],
        lastDecisions: [],
      },
      commands: [],
      now: Date.parse('2026-01-01T12:00:10Z'),
    });
    expect(o.loops.map((l) => [l.loop, l.state])).toEqual([
      ['payments', 'kill-switch'],
      ['shop', 'kill-switch'],
    ]);
    expect(o.loops.map((l) => [l.loop, l.kind])).toEqual([
      ['payments', null],
      ['shop', 'remediate'],
    ]);
    expect(o.globalKillSwitch).toEqual({ on: true, by: 'ada', reason: 'stop', at: '2026-01-01T11:00:00.000Z' });
    expect(o.openIncidents.map((i) => i.incidentId)).toEqual(['i2']);
    expect(o.approvals.map((d) => d.decision_id)).toEqual(['d2']);
    expect(o.decisions.map((d) => d.progress)).toEqual(['awaiting-approval', 'succeeded']);
  });
});

describe("a loop's kind", () => {
  const last = (loop: string, over: Partial<DecisionMade>): LedgerEvent<DecisionMade> => ({
    id: `e-${loop}`,
    type: 'homeostat.decision.made.v1',
    time: '2026-01-01T12:00:00.000Z',
    subject: loop,
    data: { ...sampleDecisionMade(), loop, ...over },
  });

  it("comes from the spec, else from the loop's latest decision: an experiment is optimize's, a fix with its repository repair's", () => {
    const experiment = {
      route: 'GET /catalog',
      regime: 'r',
      knob: 'cache' as const,
      change: 'cache 10 s',
      knownGood: false,
      objective: 'p50' as const,
      bucketMs: 1000,
      baselineBuckets: 8,
      trialBuckets: 8,
      minRequestsPerBucket: 10,
      alpha: 0.05,
      minImprovement: 0.1,
      guards: { p99MaxMs: 400, errorRatioMax: 0.02, neverCached: false },
      expectedGain: 0.2,
    };
    const fix = { name: 'revert-update', adapter: 'ci' as const, params: { fix: { id: 'x' }, repository: '/srv/git/app.git' } };
    const o = buildOverview({
      loops: ['shop'],
      kinds: { shop: 'remediate' },
      incidents: [],
      decisions: [],
      status: { standing: [], lastDecisions: [last('gateway', { experiment }), last('ci', { action: fix }), last('other', {})] },
      commands: [],
      now: Date.parse('2026-01-01T12:00:10Z'),
    });
    expect(o.loops.map((l) => [l.loop, l.kind])).toEqual([
      ['ci', 'repair'],
      ['gateway', 'optimize'],
      ['other', null],
      ['shop', 'remediate'],
    ]);
  });
});

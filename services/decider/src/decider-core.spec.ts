import { parseLoopSpec, type EventData, type LoopSpec } from '@homeostat/contracts';
import { sampleIncidentOpened } from '@homeostat/contracts/testing';
import { DeciderCore } from './decider-core';

const SPEC = `apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: shop-pool-exhaustion, version: 1.2.0 }
spec:
  target: { service: shop }
  signals: [{ kind: span, name: "*" }]
  actions:
    - { name: recycle-pool, adapter: http, params: { method: POST, url: "http://127.0.0.1:3000/actuator/pool/recycle" }, risk: low }
    - { name: enable-cache, adapter: http, params: { method: PUT, url: "http://127.0.0.1:3000/actuator/config" }, risk: low }
    - { name: restart, adapter: http, params: { method: POST, url: "http://127.0.0.1:3000/actuator/restart" }, risk: high, cost: 5 }
  guardrails:
    budget: { maxActions: 20, window: 10m }
    cooldown: 0s
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: 10 }
    approval: { aboveRisk: high }
    dryRun: false
  verification:
    healthCheck: { url: "http://127.0.0.1:3000/health", consecutive: 2, interval: 1s }
    deadline: 30s
`;

function loop(): LoopSpec {
  const parsed = parseLoopSpec(SPEC);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

function core(): DeciderCore {
  let n = 0;
  return new DeciderCore(new Map([['shop-pool-exhaustion', loop()]]), () => `dec-${++n}`, 'seed');
}

function outcome(d: EventData<'homeostat.decision.made.v1'>, status: 'succeeded' | 'failed'): EventData<'homeostat.outcome.recorded.v1'> {
  return {
    decisionId: d.decisionId,
    incidentId: d.incidentId,
    loop: d.loop,
    target: d.target,
    fingerprint: d.fingerprint,
    action: d.action!,
    status,
    dryRun: false,
    applied: true,
    verification: { passed: status === 'succeeded', checks: [] },
    timeToRecoverMs: status === 'succeeded' ? 3000 : null,
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(1000).toISOString(),
  };
}

const incident = (id: string): EventData<'homeostat.incident.opened.v1'> => ({ ...sampleIncidentOpened(), incidentId: id });

describe('DeciderCore', () => {
  it('given an open incident, when its first action fails, then it tries the next best one, linked to the first', () => {
    const c = core();
    const [first] = c.onIncidentOpened(incident('inc-1'), 1_000);
    expect(first).toMatchObject({ incidentId: 'inc-1', attempt: 1, mode: 'execute', loopVersion: '1.2.0' });
    expect(first!.explanation.candidates).toHaveLength(3);
    const [second] = c.onOutcome(outcome(first!, 'failed'), 2_000);
    expect(second).toMatchObject({ attempt: 2, previousDecisionId: first!.decisionId });
    expect(second!.action?.name).not.toBe(first!.action?.name);
    expect(c.onOutcome(outcome(second!, 'succeeded'), 3_000)).toEqual([]);
  });

  it('learns: after a kind of failure was fixed by one action, the next incident of that kind starts with it', () => {
    const c = core();
    let fixer: string | undefined;
    for (let i = 0; i < 2; i++) {
      let [d] = c.onIncidentOpened(incident(`inc-${i}`), i * 100_000);
      while (d && d.action?.name !== 'enable-cache') [d] = c.onOutcome(outcome(d, 'failed'), i * 100_000 + 1);
      fixer = d?.action?.name;
      c.onOutcome(outcome(d!, 'succeeded'), i * 100_000 + 2);
      c.onIncidentResolved({ incidentId: `inc-${i}`, loop: 'shop-pool-exhaustion', target: 'shop', fingerprint: d!.fingerprint, openedAt: new Date(0).toISOString(), resolvedAt: new Date(1).toISOString(), resolution: 'recovered' });
    }
    expect(fixer).toBe('enable-cache');
    const [third] = c.onIncidentOpened(incident('inc-3'), 300_000);
    expect(third?.action?.name).toBe('enable-cache');
  });

  it('given a rejected decision, then the next candidate is proposed', () => {
    const c = core();
    const [first] = c.onIncidentOpened(incident('inc-r'), 0);
    const [next] = c.onControl({ command: 'reject', decisionId: first!.decisionId, actor: 'alice', reason: 'not now' }, 1);
    expect(next?.previousDecisionId).toBe(first!.decisionId);
  });

  it('given an action whose outcome never comes, when its deadline passes, then it is timed out and re-decided', () => {
    const c = core();
    const [first] = c.onIncidentOpened(incident('inc-t'), 0);
    c.onActionStarted({ decisionId: first!.decisionId, incidentId: 'inc-t', loop: first!.loop, target: 'shop', fingerprint: first!.fingerprint, action: first!.action!, dryRun: false, startedAt: new Date(0).toISOString(), deadline: new Date(30_000).toISOString() });
    expect(c.tick(40_000)).toEqual([]);
    const [again] = c.tick(46_000);
    expect(again).toMatchObject({ attempt: 2, previousDecisionId: first!.decisionId });
  });

  it('given the kill switch, then it escalates instead of acting; incidents of unknown loops are not decided', () => {
    const c = core();
    c.onControl({ command: 'kill-switch', state: 'on', actor: 'carol', reason: 'stop' }, 0);
    const [d] = c.onIncidentOpened(incident('inc-k'), 1);
    expect(d).toMatchObject({ mode: 'escalate', action: null });
    expect(d!.explanation.guardrails.find((g) => g.name === 'kill-switch')?.passed).toBe(false);
    expect(c.onIncidentOpened({ ...incident('inc-u'), loop: 'unmanaged' }, 2)).toEqual([]);
  });

  it('continues from a snapshot', () => {
    const c = core();
    const [first] = c.onIncidentOpened(incident('inc-s'), 0);
    const restored = core();
    restored.restore(JSON.parse(JSON.stringify(c.snapshot())));
    const [second] = restored.onOutcome(outcome(first!, 'failed'), 1);
    expect(second?.previousDecisionId).toBe(first!.decisionId);
  });
});

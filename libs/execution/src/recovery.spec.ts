import { parseLoopSpec, type ActionCall, type ActionStarted, type DecisionMade, type OutcomeRecorded } from '@homeostat/contracts';
import { sampleDecisionMade } from '@homeostat/contracts/testing';
import type { ActionRunner, CallResponse, PreparedCall, RunOptions } from './adapters/action-runner';
import { MemoryClaimStore, type Claim } from './claims';
import { Executor } from './executor';
import { emptyExecutorState } from './executor-state';
import type { DedupeStore } from './ports';
import { planRecovery, RECOVERED_NOTE } from './recovery';
import type { Probe } from './verification/health-check';

const PARSED = parseLoopSpec(`
apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: shop-pool, version: 1.0.0 }
spec:
  target: { service: shop }
  signals: [{ kind: metric, name: x }]
  actions:
    - { name: raise-limit, adapter: http, params: { method: PUT, url: "\${SHOP}/config" }, risk: medium, inverse: rollback-config }
    - { name: rollback-config, adapter: http, params: { method: POST, url: "\${SHOP}/config/rollback" }, risk: low }
  guardrails:
    budget: { maxActions: 10, window: 10m }
    cooldown: 1s
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: 3 }
    approval: { aboveRisk: never }
    dryRun: false
  verification:
    healthCheck: { url: "\${SHOP}/health", expectStatus: 200, consecutive: 2, interval: 100ms }
    deadline: 1s
`);
if (!PARSED.ok) throw new Error(JSON.stringify(PARSED.errors));
const LOOP = PARSED.spec;

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

class Ids implements DedupeStore {
  readonly ids = new Set<string>();
  has(id: string): Promise<boolean> {
    return Promise.resolve(this.ids.has(id));
  }
  add(id: string): Promise<void> {
    this.ids.add(id);
    return Promise.resolve();
  }
}

class FakeRunner implements ActionRunner {
  readonly calls: { url: string; key: string | undefined; memo: RunOptions['memo'] }[] = [];
  refuse = new Set<string>();
  run(prepared: PreparedCall, options: RunOptions): Promise<CallResponse> {
    if (prepared.adapter === 'kubernetes') throw new Error('not in this test');
    const { url, headers } = prepared.request;
    this.calls.push({ url, key: headers['Idempotency-Key'], memo: options.memo });
    const accepted = !this.refuse.has(url);
    return Promise.resolve({ accepted, status: accepted ? 200 : 500, latencyMs: 2, detail: `${url} -> ${accepted ? 200 : 500}`, memo: {} });
  }
}

const raiseLimit: ActionCall = { name: 'raise-limit', adapter: 'http', params: { method: 'PUT', url: '${SHOP}/config' } };
const decision = (id = 'd-1'): DecisionMade & { action: ActionCall } => ({
  ...sampleDecisionMade(),
  decisionId: id,
  loop: 'shop-pool',
  loopVersion: '1.0.0',
  action: raiseLimit,
  mode: 'execute',
});

/** An executor restarted at `nowMs` over the claims an earlier process left (`steps` of decision d-1). */
async function restarted(nowMs: number, steps: 'claimed' | 'calling' | 'answered', options: { health?: number; published?: boolean } = {}) {
  const t = { now: nowMs };
  const clock = { now: () => t.now, sleep: (ms: number) => Promise.resolve(void (t.now += ms)) };
  const probes: number[] = [];
  const probe: Probe = () => {
    probes.push(t.now);
    return Promise.resolve({ status: options.health ?? 200, latencyMs: 1 });
  };
  const claims = new MemoryClaimStore();
  const d = decision();
  await claims.record({ id: 'd-1', phase: 'claimed', at: iso(T0), decision: d });
  if (steps !== 'claimed') await claims.record({ id: 'd-1', phase: 'calling', startedAt: iso(T0), deadline: iso(T0 + 1_000) });
  if (steps === 'answered')
    await claims.record({
      id: 'd-1',
      phase: 'answered',
      answer: { accepted: true, status: 200, latencyMs: 5, detail: 'http://shop/config -> 200', memo: { previousReplicas: 3 } },
    });
  const outcomes = new Ids();
  if (options.published) outcomes.ids.add('d-1');
  const runner = new FakeRunner();
  const events: (ActionStarted | OutcomeRecorded)[] = [];
  const executor = new Executor({
    loops: [LOOP],
    env: { SHOP: 'http://shop' },
    runner,
    probe,
    clock,
    claims,
    outcomes,
    sink: { started: (e) => Promise.resolve(void events.push(e)), outcome: (e) => Promise.resolve(void events.push(e)) },
    state: { initial: emptyExecutorState(), sink: { save: () => Promise.resolve() } },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const recover = async (): Promise<number> => {
    const n = await executor.recover();
    await executor.drain(1_000);
    return n;
  };
  const outcomesOf = (): OutcomeRecorded[] => events.filter((e): e is OutcomeRecorded => 'status' in e);
  return { executor, runner, claims, outcomes, events, probes, recover, outcomesOf, decision: d };
}

describe('planRecovery (the transition)', () => {
  const claim = (c: Partial<Claim> = {}): Claim => ({ decision: decision(), claimedAt: iso(T0), finished: false, ...c });
  const call = { startedAt: iso(T0), deadline: iso(T0 + 1_000) };

  it('given an outcome already published, or a finished claim, then nothing', () => {
    expect(planRecovery(claim({ call }), true, T0)).toEqual({ step: 'nothing' });
    expect(planRecovery(claim({ call, finished: true }), false, T0)).toEqual({ step: 'nothing' });
  });

  it('given no call recorded, then it is reported not applied, without running anything', () => {
    const plan = planRecovery(claim(), false, T0 + 5_000);
    expect(plan).toMatchObject({
      step: 'report',
      outcome: { status: 'skipped', applied: false, startedAt: iso(T0), error: { code: 'ALREADY_CLAIMED' } },
    });
    expect(plan.step === 'report' && plan.outcome.verification.detail).toContain(RECOVERED_NOTE);
  });

  it('given a call recorded, then the run is finished from its start and deadline; once the deadline is past, with a single check', () => {
    expect(planRecovery(claim({ call }), false, T0 + 500)).toEqual({
      step: 'finish',
      applied: { startedMs: T0, deadlineMs: T0 + 1_000, answer: undefined },
    });
    const answer = { accepted: true, latencyMs: 1, detail: 'ok', memo: { previousReplicas: 4 } };
    expect(planRecovery(claim({ call, answer }), false, T0 + 1_000)).toEqual({
      step: 'finish',
      applied: { startedMs: T0, deadlineMs: T0 + 1_000, answer, singleCheck: true },
    });
  });
});

describe('recovering claims after a restart', () => {
  it('died before the call: reported skipped, not applied, recovered; nothing is sent; the claim is finished', async () => {
    const x = await restarted(T0 + 200, 'claimed');
    expect(await x.recover()).toBe(1);
    expect(x.outcomesOf()).toEqual([
      expect.objectContaining({
        decisionId: 'd-1',
        status: 'skipped',
        applied: false,
        error: expect.objectContaining({ code: 'ALREADY_CLAIMED' }),
      }),
    ]);
    expect(x.outcomesOf()[0]!.verification.detail).toMatch(/^recovered after a restart: .*not applied/);
    expect(x.runner.calls).toEqual([]);
    expect(x.events.filter((e) => !('status' in e))).toEqual([]); // no action.started either
    expect(x.claims.unfinished()).toEqual([]);
    expect(x.outcomes.ids.has('d-1')).toBe(true);
  });

  it('died after the call, before verification, target healthy: verified until the original deadline, succeeded, the action not sent again', async () => {
    const x = await restarted(T0 + 300, 'answered');
    await x.recover();
    const [outcome] = x.outcomesOf();
    expect(outcome).toMatchObject({ status: 'succeeded', applied: true, startedAt: iso(T0), verification: { passed: true } });
    expect(outcome!.verification.detail).toMatch(/^recovered after a restart: healthy/);
    // The action's own answer, as recorded, leads the checks; then two probes in a row.
    expect(outcome!.verification.checks.map((c) => c.name)).toEqual(['action', 'health-check', 'health-check']);
    expect(outcome!.timeToRecoverMs).toBe(300); // from the action's start, across the restart
    expect(x.runner.calls).toEqual([]);
    expect(x.claims.unfinished()).toEqual([]);
  });

  it('died after the call, target unhealthy: rolled back with the recorded memo and <id>:rollback', async () => {
    const x = await restarted(T0 + 300, 'answered', { health: 503 });
    await x.recover();
    const [outcome] = x.outcomesOf();
    expect(outcome).toMatchObject({
      status: 'rolled-back',
      applied: true,
      verification: { passed: false },
      rollback: { action: { name: 'rollback-config' }, status: 'succeeded' },
    });
    expect(outcome!.verification.detail).toMatch(/^recovered after a restart: not healthy by the deadline/);
    expect(x.runner.calls).toEqual([{ url: 'http://shop/config/rollback', key: 'd-1:rollback', memo: { previousReplicas: 3 } }]);
    // Verified until the original deadline only: the probes stop at T0 + 1 s.
    expect(x.probes.every((at) => at < T0 + 1_000)).toBe(true);
    expect(x.probes.length).toBeGreaterThan(1);
  });

  it('the rollback fails: failed ROLLBACK_FAILED, recovered', async () => {
    const x = await restarted(T0 + 300, 'answered', { health: 503 });
    x.runner.refuse.add('http://shop/config/rollback');
    await x.recover();
    const [outcome] = x.outcomesOf();
    expect(outcome).toMatchObject({ status: 'failed', applied: true, rollback: { status: 'failed' }, error: { code: 'ROLLBACK_FAILED' } });
    expect(outcome!.verification.detail).toContain(RECOVERED_NOTE);
  });

  it('died mid-call (no answer recorded), deadline passed: one health check; unhealthy, rolled back without a memo, and the outcome says the answer is unknown', async () => {
    const x = await restarted(T0 + 60_000, 'calling', { health: 503 });
    await x.recover();
    expect(x.probes).toHaveLength(1);
    const [outcome] = x.outcomesOf();
    expect(outcome).toMatchObject({ status: 'rolled-back', applied: true });
    expect(outcome!.verification.checks.map((c) => c.name)).toEqual(['health-check']);
    expect(outcome!.verification.detail).toMatch(/^recovered after a restart \(what the target answered to the action is unknown\)/);
    expect(x.runner.calls).toEqual([{ url: 'http://shop/config/rollback', key: 'd-1:rollback', memo: {} }]);
  });

  it('deadline passed and healthy at the one check: succeeded', async () => {
    const x = await restarted(T0 + 60_000, 'answered');
    await x.recover();
    expect(x.probes).toHaveLength(1);
    expect(x.outcomesOf()).toEqual([expect.objectContaining({ status: 'succeeded', timeToRecoverMs: 60_000 })]);
  });

  it('the outcome was already published: nothing is published or sent, and the claim is marked finished', async () => {
    const x = await restarted(T0 + 300, 'answered', { health: 503, published: true });
    await x.recover();
    expect(x.events).toEqual([]);
    expect(x.runner.calls).toEqual([]);
    expect(x.probes).toEqual([]);
    expect(x.claims.unfinished()).toEqual([]);
  });

  it('the decision delivered again, during and after the recovery: never sent again, one outcome', async () => {
    const x = await restarted(T0 + 300, 'answered');
    const recovering = x.executor.recover();
    await x.executor.onDecision(x.decision);
    await recovering;
    await x.executor.onDecision(x.decision);
    await x.executor.drain(1_000);
    await x.executor.onDecision(x.decision);
    expect(x.outcomesOf()).toHaveLength(1);
    expect(x.outcomesOf()[0]).toMatchObject({ status: 'succeeded' });
    expect(x.runner.calls).toEqual([]);
  });

  it('a claim left unfinished is finished when its decision comes again, even without recover()', async () => {
    const x = await restarted(T0 + 300, 'claimed');
    await x.executor.onDecision(x.decision);
    expect(x.outcomesOf()).toEqual([expect.objectContaining({ status: 'skipped', applied: false })]);
    expect(x.runner.calls).toEqual([]);
  });
});

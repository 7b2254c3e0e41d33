import { type ActionCall, type ActionStarted, type DecisionMade, type LoopSpec, type OutcomeRecorded } from '@homeostat/contracts';
import { repairLoopSpec, sampleDecisionMade } from '@homeostat/contracts/testing';
import type { ActionRunner } from './adapters/action-runner';
import { MemoryClaimStore } from './claims';
import { Executor } from './executor';
import { emptyExecutorState } from './executor-state';
import type { OutcomeInit } from './outcome';
import { RECOVERED_NOTE } from './recovery';
import type { DedupeStore } from './ports';
import type { RepairActuator } from './vcs/repair-actuator';

// The executor's dispatch of a repair loop's decisions to its VCS adapter: a fix waiting for
// approval is proposed on the forge (its patch) and runs only once approved; the kill switch
// stops a fix before the adapter is asked anything.
const LOOP = repairLoopSpec({ consecutiveFailures: 5 });

class RecordingRepair implements RepairActuator {
  readonly applied: string[] = [];
  readonly resumed: Array<[string, string]> = [];
  readonly proposed: Array<[string, string]> = [];
  resume(decision: DecisionMade & { action: ActionCall }, _spec: LoopSpec, deadlineMs: number): Promise<OutcomeInit> {
    this.resumed.push([decision.decisionId, new Date(deadlineMs).toISOString()]);
    return Promise.resolve({
      status: 'succeeded',
      applied: true,
      verification: { passed: true, checks: [], detail: 'the fix commit f1x is on fix/x' },
      timeToRecoverMs: null,
    });
  }
  apply(decision: DecisionMade & { action: ActionCall }): Promise<OutcomeInit> {
    this.applied.push(decision.decisionId);
    return Promise.resolve({
      status: 'succeeded',
      applied: true,
      verification: { passed: true, checks: [], detail: 'validated and pushed' },
      timeToRecoverMs: 10,
    });
  }
  propose(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec): Promise<string> {
    this.proposed.push([decision.decisionId, spec.metadata.name]);
    return Promise.resolve('comment with the patch on refs/homeostat/pr/deps/x');
  }
}

class Ids implements DedupeStore {
  readonly ids = new Set<string>();
  has(id: string): Promise<boolean> {
    return Promise.resolve(this.ids.has(id));
  }
  add(id: string): Promise<void> {
    return Promise.resolve(void this.ids.add(id));
  }
}

function setUp(
  claims = new MemoryClaimStore(),
  withRepair = true,
): {
  executor: Executor;
  repair: RecordingRepair;
  outcomes: () => OutcomeRecorded[];
  started: () => ActionStarted[];
} {
  const repair = new RecordingRepair();
  const events: Array<ActionStarted | OutcomeRecorded> = [];
  const runner: ActionRunner = { run: () => Promise.reject(new Error('a repair decision never goes to the action runner')) };
  const executor = new Executor({
    loops: [LOOP],
    env: {},
    runner,
    probe: () => Promise.resolve({ status: 200, latencyMs: 1 }),
    clock: { now: () => Date.parse('2026-03-02T10:00:00.000Z'), sleep: () => Promise.resolve() },
    claims,
    outcomes: new Ids(),
    sink: { started: (e) => Promise.resolve(void events.push(e)), outcome: (e) => Promise.resolve(void events.push(e)) },
    state: { initial: emptyExecutorState(), sink: { save: () => Promise.resolve() } },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    ...(withRepair ? { repair } : {}),
  });
  return {
    executor,
    repair,
    outcomes: () => events.filter((e): e is OutcomeRecorded => 'status' in e),
    started: () => events.filter((e): e is ActionStarted => !('status' in e)),
  };
}

const decision = (mode: DecisionMade['mode']): DecisionMade => ({
  ...sampleDecisionMade(),
  decisionId: 'r-1',
  loop: 'app-repair',
  loopVersion: '1.0.0',
  target: '/srv/git/app.git',
  action: { name: 'revert-update', adapter: 'ci', params: { fix: { id: 'revert-update:a@1' } } },
  mode,
});

describe('repair decisions in the executor', () => {
  it('propose: the fix is written to the forge while the decision waits; validated and pushed only once approved', async () => {
    const x = setUp();
    await x.executor.onDecision(decision('approval-required'));
    expect(x.repair.proposed).toEqual([['r-1', 'app-repair']]);
    expect(x.repair.applied).toEqual([]);
    expect(x.outcomes()).toEqual([]);
    expect(x.executor.snapshot().pendingApprovals).toEqual(['r-1']);
    await x.executor.onVerdict({ decisionId: 'r-1', verdict: 'approve', actor: 'alice', reason: 'looks right' });
    await x.executor.drain(1_000);
    expect(x.repair.applied).toEqual(['r-1']);
    expect(x.outcomes()).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  });

  it('the kill switch: a fix decided before it went on is not validated or pushed (skipped KILL_SWITCH)', async () => {
    const x = setUp();
    await x.executor.onKillSwitch('on', 'app-repair', 'carol', 'release freeze');
    await x.executor.onDecision(decision('execute'));
    await x.executor.drain(1_000);
    expect(x.repair.applied).toEqual([]);
    expect(x.outcomes()).toEqual([
      expect.objectContaining({ status: 'skipped', applied: false, error: expect.objectContaining({ code: 'KILL_SWITCH' }) }),
    ]);
  });
});

describe('a repair in flight when the executor stopped', () => {
  // The clock of setUp: the restart comes two minutes into a five-minute validation.
  const STARTED = '2026-03-02T09:58:00.000Z';
  const DEADLINE = '2026-03-02T10:03:00.000Z';

  /** The claims an earlier process left: decision r-1 claimed and, with `calling`, its validation under way. */
  async function leftBehind(calling: boolean): Promise<MemoryClaimStore> {
    const claims = new MemoryClaimStore();
    const d = decision('execute');
    await claims.record({ id: 'r-1', phase: 'claimed', at: STARTED, decision: { ...d, action: d.action! } });
    if (calling) await claims.record({ id: 'r-1', phase: 'calling', startedAt: STARTED, deadline: DEADLINE });
    return claims;
  }

  it('mid-validation or mid-push: resumed by the VCS adapter until the claim’s deadline, reported once, recovered, without a second action.started', async () => {
    const claims = await leftBehind(true);
    const x = setUp(claims);
    expect(await x.executor.recover()).toBe(1);
    await x.executor.drain(1_000);
    expect(x.repair.resumed).toEqual([['r-1', DEADLINE]]);
    expect(x.repair.applied).toEqual([]);
    expect(x.started()).toEqual([]);
    expect(x.outcomes()).toEqual([expect.objectContaining({ decisionId: 'r-1', status: 'succeeded', applied: true, startedAt: STARTED })]);
    expect(x.outcomes()[0]!.verification.detail).toBe(`${RECOVERED_NOTE}: the fix commit f1x is on fix/x`);
    expect(claims.unfinished()).toEqual([]);
  });

  it('the decision delivered again during and after the resumption: resumed once, one outcome, never applied anew', async () => {
    const x = setUp(await leftBehind(true));
    const recovering = x.executor.recover();
    await x.executor.onDecision(decision('execute'));
    await recovering;
    await x.executor.drain(1_000);
    await x.executor.onDecision(decision('execute'));
    expect(x.repair.resumed).toHaveLength(1);
    expect(x.repair.applied).toEqual([]);
    expect(x.outcomes()).toHaveLength(1);
  });

  it('without recover(), a redelivery of the decision resumes it the same way', async () => {
    const x = setUp(await leftBehind(true));
    await x.executor.onDecision(decision('execute'));
    await x.executor.drain(1_000);
    expect(x.repair.resumed).toEqual([['r-1', DEADLINE]]);
    expect(x.outcomes()).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  });

  it('stopped after the claim, before the validation began: reported not applied, nothing validated or resumed', async () => {
    const x = setUp(await leftBehind(false));
    await x.executor.recover();
    await x.executor.drain(1_000);
    expect(x.repair.resumed).toEqual([]);
    expect(x.repair.applied).toEqual([]);
    expect(x.outcomes()).toEqual([
      expect.objectContaining({ status: 'skipped', applied: false, error: expect.objectContaining({ code: 'ALREADY_CLAIMED' }) }),
    ]);
  });

  it('an executor without the VCS adapter: failed ADAPTER_UNSUPPORTED, not applied (no lesson), recovered', async () => {
    const x = setUp(await leftBehind(true), false);
    await x.executor.recover();
    expect(x.outcomes()).toEqual([
      expect.objectContaining({ status: 'failed', applied: false, error: expect.objectContaining({ code: 'ADAPTER_UNSUPPORTED' }) }),
    ]);
    expect(x.outcomes()[0]!.verification.detail).toContain(RECOVERED_NOTE);
  });
});

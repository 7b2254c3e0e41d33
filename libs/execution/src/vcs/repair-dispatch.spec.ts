import { type ActionCall, type ActionStarted, type DecisionMade, type OutcomeRecorded } from '@homeostat/contracts';
import { repairLoopSpec, sampleDecisionMade } from '@homeostat/contracts/testing';
import type { ActionRunner } from '../adapters/action-runner';
import { MemoryClaimStore } from '../claims';
import { Executor } from '../executor';
import { emptyExecutorState } from '../executor-state';
import type { OutcomeInit } from '../outcome';
import type { DedupeStore } from '../ports';
import type { RepairActuator } from './repair-actuator';

const LOOP = repairLoopSpec();

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

class FakeRepair implements RepairActuator {
  readonly applied: string[] = [];
  readonly proposed: string[] = [];
  result: OutcomeInit = {
    status: 'succeeded',
    applied: true,
    verification: { passed: true, checks: [{ name: 'npm test', passed: true }] },
    timeToRecoverMs: 1200,
  };
  apply(decision: DecisionMade & { action: ActionCall }): Promise<OutcomeInit> {
    this.applied.push(decision.decisionId);
    this.calls.push(`apply ${decision.decisionId}`);
    return Promise.resolve(this.result);
  }
  resume(): Promise<OutcomeInit> {
    return Promise.reject(new Error('nothing is resumed in these tests: no claim is left from an earlier process'));
  }
  /** What the adapter was asked, in order: `propose d-1`, `proposed d-1`, `apply d-1`. */
  readonly calls: string[] = [];
  /** Set: each proposal waits for it, as one that runs the project's commands takes its time. */
  proposing: Promise<void> | undefined;
  async propose(decision: DecisionMade & { action: ActionCall }): Promise<string> {
    this.proposed.push(decision.decisionId);
    this.calls.push(`propose ${decision.decisionId}`);
    await this.proposing;
    this.calls.push(`proposed ${decision.decisionId}`);
    return 'comment on refs/homeostat/pr/x';
  }
}

const noRunner: ActionRunner = { run: () => Promise.reject(new Error('a repair decision must not reach the HTTP/Kubernetes adapters')) };

function setUp(repair: RepairActuator | undefined) {
  const started: ActionStarted[] = [];
  const outcomes: OutcomeRecorded[] = [];
  const executor = new Executor({
    loops: [LOOP],
    env: {},
    runner: noRunner,
    probe: () => Promise.reject(new Error('a repair is verified by its tests, not a probe')),
    claims: new MemoryClaimStore(),
    outcomes: new Ids(),
    sink: {
      started: (e) => (started.push(e), Promise.resolve()),
      outcome: (e) => (outcomes.push(e), Promise.resolve()),
    },
    state: { initial: emptyExecutorState(), sink: { save: () => Promise.resolve() } },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    ...(repair ? { repair } : {}),
  });
  return { executor, started, outcomes };
}

const decision = (mode: DecisionMade['mode'], id = 'd-1'): DecisionMade => ({
  ...sampleDecisionMade(),
  decisionId: id,
  loop: 'app-repair',
  loopVersion: '1.0.0',
  mode,
  action: { name: 'revert-update', adapter: 'ci', params: { fix: { id: 'revert-update:a@1' } } },
});

describe('the executor with a repair loop (dispatch on spec.kind)', () => {
  it('runs an executed decision through the VCS adapter: action.started, then its outcome, once', async () => {
    const repair = new FakeRepair();
    const { executor, started, outcomes } = setUp(repair);
    await executor.onDecision(decision('execute'));
    await executor.drain(5_000);
    await executor.onDecision(decision('execute'));
    await executor.drain(5_000);
    expect(repair.applied).toEqual(['d-1']);
    expect(started.map((s) => s.decisionId)).toEqual(['d-1']);
    expect(outcomes.map((o) => [o.decisionId, o.status, o.applied, o.timeToRecoverMs])).toEqual([['d-1', 'succeeded', true, 1200]]);
  });

  it('in a dry run (shadow) only records the proposal: nothing is validated or pushed', async () => {
    const repair = new FakeRepair();
    const { executor, outcomes } = setUp(repair);
    await executor.onDecision(decision('dry-run'));
    expect(repair.proposed).toEqual(['d-1']);
    expect(repair.applied).toEqual([]);
    expect(outcomes[0]).toMatchObject({ status: 'skipped', dryRun: true, applied: false });
    expect(outcomes[0]?.verification.detail).toMatch(/refs\/homeostat\/pr\/x/);
  });

  it('waits for approval (propose) and validates once approved', async () => {
    const repair = new FakeRepair();
    const { executor, outcomes } = setUp(repair);
    await executor.onDecision(decision('approval-required'));
    expect(repair.applied).toEqual([]);
    await executor.onVerdict({ decisionId: 'd-1', verdict: 'approve', actor: 'ana', reason: 'looks right' });
    await executor.drain(5_000);
    expect(repair.applied).toEqual(['d-1']);
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded']);
  });

  it('proposes in the background, and an approval that comes meanwhile validates after the proposal is written', async () => {
    const repair = new FakeRepair();
    let written: () => void = () => undefined;
    repair.proposing = new Promise<void>((resolve) => (written = resolve));
    const { executor, outcomes } = setUp(repair);
    // The handler returns while the proposal (the project's commands) is still running: the consumer is not held up.
    await executor.onDecision(decision('approval-required'));
    expect(repair.calls).toEqual(['propose d-1']);
    await executor.onVerdict({ decisionId: 'd-1', verdict: 'approve', actor: 'ana', reason: 'looks right' });
    await new Promise((r) => setTimeout(r, 20));
    expect(repair.calls).toEqual(['propose d-1']);
    written();
    await executor.drain(5_000);
    expect(repair.calls).toEqual(['propose d-1', 'proposed d-1', 'apply d-1']);
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded']);
  });

  it('stops at the kill switch, and says so when it has no VCS adapter', async () => {
    const repair = new FakeRepair();
    const stopped = setUp(repair);
    await stopped.executor.onKillSwitch('on', 'app-repair', 'ana', 'incident review');
    await stopped.executor.onDecision(decision('execute'));
    expect(repair.applied).toEqual([]);
    expect(stopped.outcomes[0]).toMatchObject({ status: 'skipped', applied: false, error: { code: 'KILL_SWITCH' } });

    const bare = setUp(undefined);
    await bare.executor.onDecision(decision('execute', 'd-2'));
    expect(bare.outcomes[0]).toMatchObject({ status: 'failed', applied: false, error: { code: 'ADAPTER_UNSUPPORTED' } });
  });
});

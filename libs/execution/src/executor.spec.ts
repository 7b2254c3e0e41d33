import { parseLoopSpec, type ActionStarted, type DecisionMade, type OutcomeRecorded } from '@homeostat/contracts';
import { sampleDecisionMade } from '@homeostat/contracts/testing';
import type { ActionRunner, CallResponse, PreparedCall, RunOptions } from './adapters/action-runner';
import { Executor } from './executor';
import { emptyExecutorState, type ExecutorState } from './executor-state';
import { MemoryClaimStore, type Claim } from './claims';
import type { DedupeStore } from './ports';
import type { Probe } from './verification/health-check';

const PARSED = parseLoopSpec(`
apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: shop-pool, version: 1.0.0 }
spec:
  target: { service: shop }
  signals: [{ kind: metric, name: x }]
  actions:
    - { name: recycle-pool, adapter: http, params: { method: POST, url: "\${SHOP}/recycle" }, risk: low }
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

/** Claims in memory, plus bare ids as an executor before the claims journal kept them. */
class TestClaims extends MemoryClaimStore {
  readonly bareIds = new Set<string>();
  override has(id: string): Promise<boolean> {
    return Promise.resolve(this.bareIds.has(id) || this.book.has(id));
  }
}

class MemoryStore implements DedupeStore {
  readonly ids = new Set<string>();
  has(id: string): Promise<boolean> {
    return Promise.resolve(this.ids.has(id));
  }
  add(id: string): Promise<void> {
    this.ids.add(id);
    return Promise.resolve();
  }
}

/** Answers each call from `respond` (accepted by default) and records it with what the claims held then. */
class FakeRunner implements ActionRunner {
  readonly calls: { url: string; key: string | undefined; memo: RunOptions['memo']; claimed: boolean }[] = [];
  respond: (url: string) => Partial<CallResponse> = () => ({});
  constructor(private readonly claims: TestClaims) {}
  run(prepared: PreparedCall, options: RunOptions): Promise<CallResponse> {
    if (prepared.adapter === 'kubernetes') throw new Error('not in this test');
    const { url, headers } = prepared.request;
    const key = headers['Idempotency-Key']?.replace(/:rollback$/, '');
    this.calls.push({
      url,
      key: headers['Idempotency-Key'],
      memo: options.memo,
      claimed: this.claims.book.get(key ?? '')?.call !== undefined,
    });
    return Promise.resolve({
      accepted: true,
      status: 200,
      latencyMs: 3,
      detail: `${url} -> 200`,
      memo: { previousReplicas: 2 },
      ...this.respond(url),
    });
  }
}

function setUp(state: ExecutorState = emptyExecutorState()) {
  const t = { now: Date.parse('2026-03-02T10:00:00.000Z') };
  const clock = { now: () => t.now, sleep: (ms: number) => Promise.resolve(void (t.now += ms)) };
  let health = 200;
  const claims = new TestClaims();
  /** The claim of d-1 as each probe found it: verification starts only once the answer is recorded. */
  const claimAtProbe: (Claim | undefined)[] = [];
  const probe: Probe = () => {
    const claim = claims.book.get('d-1');
    claimAtProbe.push(claim && structuredClone(claim));
    return Promise.resolve({ status: health, latencyMs: 1 });
  };
  const outcomes = new MemoryStore();
  const runner = new FakeRunner(claims);
  const events: (ActionStarted | OutcomeRecorded)[] = [];
  const saved: ExecutorState[] = [];
  const sink = {
    failStarted: false,
    started: (e: ActionStarted) => (sink.failStarted ? Promise.reject(new Error('bus down')) : Promise.resolve(void events.push(e))),
    outcome: (e: OutcomeRecorded) => Promise.resolve(void events.push(e)),
  };
  const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const executor = new Executor({
    loops: [LOOP],
    env: { SHOP: 'http://shop' },
    runner,
    probe,
    clock,
    claims,
    outcomes,
    sink,
    state: { initial: state, sink: { save: (s) => Promise.resolve(void saved.push(s)) } },
    log,
  });
  const outcomesOf = (id: string): OutcomeRecorded[] => events.filter((e): e is OutcomeRecorded => 'status' in e && e.decisionId === id);
  const settle = async (): Promise<void> => void (await executor.drain(1_000));
  return {
    executor,
    runner,
    claims,
    claimAtProbe,
    outcomes,
    sink,
    events,
    saved,
    outcomesOf,
    settle,
    setHealth: (s: number) => (health = s),
  };
}

const decision = (overrides: Partial<DecisionMade> = {}): DecisionMade => ({
  ...sampleDecisionMade(),
  decisionId: 'd-1',
  loop: 'shop-pool',
  loopVersion: '1.0.0',
  action: { name: 'recycle-pool', adapter: 'http', params: { method: 'POST', url: '${SHOP}/recycle' } },
  mode: 'execute',
  ...overrides,
});
const raiseLimit = { name: 'raise-limit', adapter: 'http' as const, params: { method: 'PUT', url: '${SHOP}/config' } };

describe('running a decision', () => {
  it('given an action the target accepts and a healthy target, then action.started, one call after the claim, succeeded', async () => {
    const x = setUp();
    await x.executor.onDecision(decision());
    await x.settle();
    expect(x.runner.calls).toEqual([{ url: 'http://shop/recycle', key: 'd-1', memo: undefined, claimed: true }]);
    expect(x.events.map((e) => ('status' in e ? e.status : 'started'))).toEqual(['started', 'succeeded']);
    // The claim's journal: the call (start, deadline) and the answer with its memo before the first probe; finished after the outcome.
    expect(x.claimAtProbe[0]).toMatchObject({
      call: { startedAt: '2026-03-02T10:00:00.000Z', deadline: '2026-03-02T10:00:01.000Z' },
      answer: { accepted: true, memo: { previousReplicas: 2 } },
      finished: false,
    });
    expect(x.claims.unfinished()).toEqual([]);
    const [outcome] = x.outcomesOf('d-1');
    expect(outcome).toMatchObject({ applied: true, dryRun: false, timeToRecoverMs: 0, verification: { passed: true } });
    expect(outcome!.verification.checks.map((c) => c.name)).toEqual(['action', 'health-check', 'health-check']);
    expect(x.outcomes.ids.has('d-1')).toBe(true);
  });

  it('given an action the target refuses, then failed ADAPTER_FAILED, sent (applied), neither verified nor rolled back', async () => {
    const x = setUp();
    x.runner.respond = () => ({ accepted: false, status: 500, detail: 'PUT http://shop/config -> 500' });
    await x.executor.onDecision(decision({ action: raiseLimit }));
    await x.settle();
    expect(x.outcomesOf('d-1')).toEqual([
      expect.objectContaining({
        status: 'failed',
        applied: true,
        error: { code: 'ADAPTER_FAILED', message: 'PUT http://shop/config -> 500' },
      }),
    ]);
    expect(x.runner.calls).toHaveLength(1);
  });

  it('given a failing verification and an inverse, then the inverse runs with the memo, rolled-back; an inverse refused is ROLLBACK_FAILED', async () => {
    const x = setUp();
    x.setHealth(503);
    await x.executor.onDecision(decision({ action: raiseLimit }));
    await x.settle();
    expect(x.runner.calls.map((c) => [c.url, c.key, c.memo])).toEqual([
      ['http://shop/config', 'd-1', undefined],
      ['http://shop/config/rollback', 'd-1:rollback', { previousReplicas: 2 }],
    ]);
    expect(x.outcomesOf('d-1')).toEqual([
      expect.objectContaining({
        status: 'rolled-back',
        applied: true,
        timeToRecoverMs: null,
        rollback: expect.objectContaining({ status: 'succeeded' }),
      }),
    ]);

    x.runner.respond = (url) => (url.endsWith('/rollback') ? { accepted: false, detail: 'refused' } : {});
    await x.executor.onDecision(decision({ decisionId: 'd-2', action: raiseLimit }));
    await x.settle();
    expect(x.outcomesOf('d-2')).toEqual([
      expect.objectContaining({
        status: 'failed',
        applied: true,
        error: { code: 'ROLLBACK_FAILED', message: 'verification failed and so did the rollback: refused' },
      }),
    ]);
  });

  it('given a failing verification without an inverse, then failed VERIFICATION_FAILED', async () => {
    const x = setUp();
    x.setHealth(503);
    await x.executor.onDecision(decision());
    await x.settle();
    expect(x.outcomesOf('d-1')).toEqual([
      expect.objectContaining({ status: 'failed', applied: true, error: expect.objectContaining({ code: 'VERIFICATION_FAILED' }) }),
    ]);
  });

  it('given action.started cannot be published, then nothing is sent: failed PUBLISH_FAILED, not applied', async () => {
    const x = setUp();
    x.sink.failStarted = true;
    await x.executor.onDecision(decision());
    await x.settle();
    expect(x.runner.calls).toHaveLength(0);
    expect(x.outcomesOf('d-1')).toEqual([
      expect.objectContaining({ status: 'failed', applied: false, error: { code: 'PUBLISH_FAILED', message: 'Error: bus down' } }),
    ]);
  });
});

describe('decisions that send nothing (applied: false)', () => {
  it('a dry run: skipped, with the call it would send', async () => {
    const x = setUp();
    await x.executor.onDecision(decision({ mode: 'dry-run' }));
    const [outcome] = x.outcomesOf('d-1');
    expect(outcome).toMatchObject({ status: 'skipped', dryRun: true, applied: false });
    expect(outcome!.verification.detail).toContain('would send');
    expect(x.claims.book.size).toBe(0);
  });

  it('a loop this executor does not know: failed LOOP_UNKNOWN, not claimed', async () => {
    const x = setUp();
    await x.executor.onDecision(decision({ loop: 'other' }));
    expect(x.outcomesOf('d-1')).toEqual([
      expect.objectContaining({ status: 'failed', applied: false, error: expect.objectContaining({ code: 'LOOP_UNKNOWN' }) }),
    ]);
    expect(x.claims.book.size).toBe(0);
  });

  it('the kill switch: skipped KILL_SWITCH', async () => {
    const x = setUp();
    await x.executor.onKillSwitch('on', 'shop-pool', 'ops', 'review');
    await x.executor.onDecision(decision());
    expect(x.outcomesOf('d-1')).toEqual([
      expect.objectContaining({
        status: 'skipped',
        applied: false,
        error: { code: 'KILL_SWITCH', message: 'kill switch on for loop shop-pool' },
      }),
    ]);
    expect(x.saved.at(-1)?.killSwitch).toEqual({ global: false, loops: ['shop-pool'] });
  });

  it('a decision claimed (as a bare id, by an older executor) without an outcome: skipped ALREADY_CLAIMED, not run again; one with an outcome: nothing', async () => {
    const x = setUp();
    x.claims.bareIds.add('d-1');
    await x.executor.onDecision(decision());
    expect(x.outcomesOf('d-1')).toEqual([
      expect.objectContaining({ status: 'skipped', applied: false, error: expect.objectContaining({ code: 'ALREADY_CLAIMED' }) }),
    ]);
    await x.executor.onDecision(decision());
    expect(x.outcomesOf('d-1')).toHaveLength(1);
    expect(x.runner.calls).toHaveLength(0);
  });
});

describe('approvals', () => {
  it('a decision waits (saved) until approved; two approvals at once run it once', async () => {
    const x = setUp();
    await x.executor.onDecision(decision({ mode: 'approval-required' }));
    expect(x.executor.snapshot().pendingApprovals).toEqual(['d-1']);
    expect(x.saved.at(-1)?.pending.map((p) => p.decision.decisionId)).toEqual(['d-1']);
    await Promise.all([
      x.executor.onVerdict({ decisionId: 'd-1', verdict: 'approve', actor: 'alice', reason: 'ok' }),
      x.executor.onVerdict({ decisionId: 'd-1', verdict: 'approve', actor: 'bob', reason: 'ok' }),
    ]);
    await x.settle();
    expect(x.runner.calls).toHaveLength(1);
    expect(x.outcomesOf('d-1')).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(x.executor.state.pending).toEqual([]);
  });

  it('a rejection, even one that came before its decision: skipped REJECTED with who and why', async () => {
    const x = setUp();
    await x.executor.onVerdict({ decisionId: 'd-1', verdict: 'reject', actor: 'bob', reason: 'peak hours' });
    expect(x.executor.state.verdicts).toHaveLength(1);
    await x.executor.onDecision(decision({ mode: 'approval-required' }));
    expect(x.outcomesOf('d-1')).toEqual([
      expect.objectContaining({
        status: 'skipped',
        applied: false,
        verification: { passed: false, checks: [], detail: 'rejected by bob: peak hours' },
        error: { code: 'REJECTED', message: 'rejected by bob: peak hours' },
      }),
    ]);
    expect(x.executor.state).toEqual(emptyExecutorState());
  });
});

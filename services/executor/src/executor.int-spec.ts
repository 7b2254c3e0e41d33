import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MemoryIdempotencyStore, type Bus, type Subscription } from '@homeostat/bus';
import { loadConfig, type HomeostatConfig } from '@homeostat/config';
import {
  createEnvelope,
  type ActionCall,
  type AnyEnvelope,
  type ControlCommand,
  type DecisionMade,
  type Envelope,
  type EventData,
} from '@homeostat/contracts';
import { sampleDecisionMade } from '@homeostat/contracts/testing';
import { createBus, runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { executorService } from './index';
import { actuatorLoopYaml, FakeActuator } from './testing/fake-actuator';

const ROOT = resolve(__dirname, '../../..');

// (test/support.ts may not be imported from a project: the few lines needed are here.)
async function eventually(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function executorConfig(
  mode: 'embedded' | 'kafka',
  dataDir: string,
  loopsDir: string,
  extra: Record<string, string> = {},
): HomeostatConfig {
  return loadConfig({
    HOMEOSTAT_MODE: mode,
    HOMEOSTAT_DATA_DIR: dataDir,
    HOMEOSTAT_LOOPS_DIR: loopsDir,
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
    HOMEOSTAT_TOPIC_PARTITIONS: '3',
    HOMEOSTAT_CONSUMER_BACKOFF_MS: '20',
    EXECUTOR_PORT: '0',
    LOG_LEVEL: 'warn',
    OTEL_SDK_DISABLED: 'true',
    ...extra,
  });
}

type Outcome = EventData<'homeostat.outcome.recorded.v1'>;
type Started = EventData<'homeostat.action.started.v1'>;

/** Everything on loop.outcomes, as a test observer sees it. */
class OutcomeLog {
  readonly events: AnyEnvelope[] = [];
  private subscription: Subscription | undefined;

  async attach(bus: Bus, group: string): Promise<this> {
    this.subscription = await bus.subscribe({
      group,
      topics: ['loop.outcomes'],
      decode: 'event',
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (event) => {
        this.events.push(event);
        return Promise.resolve();
      },
    });
    await eventually('the outcome observer joined', () => this.subscription!.isReady(), 60_000);
    return this;
  }

  outcomes(decisionId: string): Outcome[] {
    return this.events.flatMap((e) => (e.type === 'homeostat.outcome.recorded.v1' && e.data.decisionId === decisionId ? [e.data] : []));
  }

  started(decisionId: string): Started[] {
    return this.events.flatMap((e) => (e.type === 'homeostat.action.started.v1' && e.data.decisionId === decisionId ? [e.data] : []));
  }

  async outcome(decisionId: string, timeoutMs = 30_000): Promise<Outcome> {
    await eventually(`the outcome of ${decisionId}`, () => this.outcomes(decisionId).length > 0, timeoutMs);
    return this.outcomes(decisionId)[0]!;
  }

  close(): Promise<void> {
    return this.subscription?.close() ?? Promise.resolve();
  }
}

function decision(action: string, overrides: Partial<DecisionMade> = {}): DecisionMade {
  const adapter = action === 'restart-pod' ? 'kubernetes' : action === 'notify' ? 'webhook' : 'http';
  return {
    ...sampleDecisionMade(),
    decisionId: `dec-${randomUUID()}`,
    incidentId: `inc-${randomUUID().slice(0, 8)}`,
    loop: 'exec-loop',
    loopVersion: '1.0.0',
    target: 'shop',
    // The decider copies the catalog entry's params; the executor runs what the decision says.
    action: { name: action, adapter, params: PARAMS[action] ?? {} },
    mode: 'execute',
    ...overrides,
  };
}

const PARAMS: Record<string, ActionCall['params']> = {
  'recycle-pool': { method: 'POST', url: '${EXECUTOR_TEST_ACTUATOR}/actuator/pool/recycle', body: { decision: '{{decision.id}}' } },
  'raise-limit': { method: 'PUT', url: '${EXECUTOR_TEST_ACTUATOR}/actuator/config' },
  notify: { url: '${EXECUTOR_TEST_ACTUATOR}/hooks/notify' },
  'restart-pod': { deployment: 'shop' },
  'slow-restart': { method: 'POST', url: '${EXECUTOR_TEST_ACTUATOR}/actuator/restart' },
};

const decisionEvent = (d: DecisionMade): Envelope<'homeostat.decision.made.v1'> =>
  createEnvelope('homeostat.decision.made.v1', { source: 'test', subject: d.target, data: d });
const controlEvent = (c: ControlCommand): Envelope<'homeostat.control.v1'> =>
  createEnvelope('homeostat.control.v1', { source: 'test', subject: 'shop', data: c });

describe('the executor, embedded', () => {
  const actuator = new FakeActuator();
  let stack: RunningStack;
  let log: OutcomeLog;
  let dataDir: string;
  const lines: string[] = [];

  const publishDecision = async (d: DecisionMade): Promise<Envelope<'homeostat.decision.made.v1'>> => {
    const event = decisionEvent(d);
    await stack.bus.publish('loop.decisions', event as AnyEnvelope);
    return event;
  };
  const publishControl = (c: ControlCommand): Promise<void> => stack.bus.publish('loop.control', controlEvent(c) as AnyEnvelope);
  const stats = async (): Promise<Record<string, unknown>> =>
    (await (await fetch(`${stack.services[0]!.url}/stats`)).json()) as Record<string, unknown>;

  beforeAll(async () => {
    await actuator.start();
    process.env['EXECUTOR_TEST_ACTUATOR'] = actuator.url;
    dataDir = await mkdtemp(join(tmpdir(), 'executor-int-'));
    const loopsDir = await mkdtemp(join(tmpdir(), 'executor-loops-'));
    await writeFile(join(loopsDir, 'exec-loop.yaml'), actuatorLoopYaml(actuator.url));
    const config = executorConfig('embedded', dataDir, loopsDir);
    stack = await runServices([executorService], config, new JsonLogger('test', config.logLevel, (l) => lines.push(l)));
    log = await new OutcomeLog().attach(stack.bus, 'test-outcomes');
  });

  afterAll(async () => {
    await log?.close();
    await stack?.stop();
    await actuator.stop();
    delete process.env['EXECUTOR_TEST_ACTUATOR'];
  });

  beforeEach(() => actuator.reset());

  it('execute: action.started, the actuator called once with the decision id as Idempotency-Key, then succeeded with the time to recover', async () => {
    const d = decision('recycle-pool');
    await publishDecision(d);
    const outcome = await log.outcome(d.decisionId);
    expect(outcome).toMatchObject({ status: 'succeeded', dryRun: false, action: { name: 'recycle-pool' }, verification: { passed: true } });
    expect(outcome.timeToRecoverMs).toEqual(expect.any(Number));
    expect(outcome.timeToRecoverMs!).toBeLessThan(1_500);
    expect(outcome.verification.checks.filter((c) => c.name === 'health-check' && c.passed)).toHaveLength(2);
    const [started] = log.started(d.decisionId);
    expect(started).toBeDefined();
    expect(Date.parse(started!.deadline) - Date.parse(started!.startedAt)).toBe(1_500);
    expect(actuator.calls('/actuator/pool/recycle')).toEqual([
      { method: 'POST', path: '/actuator/pool/recycle', idempotencyKey: d.decisionId, body: JSON.stringify({ decision: d.decisionId }) },
    ]);
    // action.started precedes the outcome on the target's partition
    const order = log.events.filter((e) => 'decisionId' in e.data && e.data.decisionId === d.decisionId).map((e) => e.type);
    expect(order).toEqual(['homeostat.action.started.v1', 'homeostat.outcome.recorded.v1']);
  });

  it('a webhook action posts a summary of the decision', async () => {
    const d = decision('notify');
    await publishDecision(d);
    expect(await log.outcome(d.decisionId)).toMatchObject({ status: 'succeeded' });
    const [call] = actuator.calls('/hooks/notify');
    expect(call).toMatchObject({ method: 'POST', idempotencyKey: d.decisionId });
    expect(JSON.parse(call!.body)).toMatchObject({ decisionId: d.decisionId, action: 'notify', target: 'shop' });
  });

  it('failing verification: the inverse runs with <decisionId>:rollback and the outcome is rolled-back', async () => {
    actuator.health = 503;
    const d = decision('raise-limit');
    await publishDecision(d);
    const outcome = await log.outcome(d.decisionId);
    expect(outcome).toMatchObject({
      status: 'rolled-back',
      timeToRecoverMs: null,
      verification: { passed: false },
      rollback: { action: { name: 'rollback-config', adapter: 'http' }, status: 'succeeded' },
    });
    expect(outcome.verification.detail).toContain('not healthy by the deadline');
    expect(outcome.verification.checks.some((c) => c.observed === 503)).toBe(true);
    expect(actuator.calls('/actuator/config').map((c) => c.idempotencyKey)).toEqual([d.decisionId]);
    expect(actuator.calls('/actuator/config/rollback').map((c) => c.idempotencyKey)).toEqual([`${d.decisionId}:rollback`]);
  });

  it('failing verification without an inverse: failed', async () => {
    actuator.health = 503;
    const d = decision('recycle-pool');
    await publishDecision(d);
    expect(await log.outcome(d.decisionId)).toMatchObject({ status: 'failed', error: { code: 'VERIFICATION_FAILED' } });
  });

  it('an action the actuator refuses: failed ADAPTER_FAILED, not verified, not rolled back', async () => {
    actuator.respond('/actuator/config', 500);
    const d = decision('raise-limit');
    await publishDecision(d);
    const outcome = await log.outcome(d.decisionId);
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'ADAPTER_FAILED', message: expect.stringContaining('500') } });
    expect(outcome.rollback).toBeUndefined();
    expect(actuator.calls('/actuator/config/rollback')).toHaveLength(0);
  });

  it('dry-run: skipped with the would-be request, the actuator not called, no verification', async () => {
    const d = decision('recycle-pool', { mode: 'dry-run' });
    await publishDecision(d);
    const outcome = await log.outcome(d.decisionId);
    expect(outcome).toMatchObject({ status: 'skipped', dryRun: true, timeToRecoverMs: null, verification: { passed: false, checks: [] } });
    expect(outcome.verification.detail).toContain(`${actuator.url}/actuator/pool/recycle`);
    expect(outcome.verification.detail).toContain(d.decisionId);
    expect(log.started(d.decisionId)).toHaveLength(0);
    expect(actuator.requests).toHaveLength(0);
  });

  it('approval-required: waits (durably) until approved, then runs', async () => {
    const d = decision('recycle-pool', { mode: 'approval-required' });
    await publishDecision(d);
    await eventually('the decision is pending', async () => ((await stats())['pendingApprovals'] as string[]).includes(d.decisionId));
    // The handler returns (and the message is committed) only once the queue is on disk.
    await eventually('the pending decision is on disk', async () => {
      const text = await readFile(join(dataDir, 'executor', 'state.json'), 'utf8').catch(() => '{"pending":[]}');
      return (JSON.parse(text) as { pending: { decision: DecisionMade }[] }).pending.some((p) => p.decision.decisionId === d.decisionId);
    });
    await sleep(300);
    expect(log.outcomes(d.decisionId)).toHaveLength(0);
    expect(actuator.requests).toHaveLength(0);

    // Approved twice at once (two people, or one command sent twice): one run.
    await Promise.all([
      publishControl({ command: 'approve', decisionId: d.decisionId, actor: 'alice', reason: 'looks right' }),
      publishControl({ command: 'approve', decisionId: d.decisionId, actor: 'bob', reason: 'fine by me' }),
    ]);
    expect(await log.outcome(d.decisionId)).toMatchObject({ status: 'succeeded' });
    await sleep(300);
    expect(actuator.calls('/actuator/pool/recycle').map((c) => c.idempotencyKey)).toEqual([d.decisionId]);
    expect(log.outcomes(d.decisionId)).toHaveLength(1);
    expect((await stats())['pendingApprovals']).not.toContain(d.decisionId);
  });

  it('reject: skipped REJECTED with who and why', async () => {
    const d = decision('recycle-pool', { mode: 'approval-required' });
    await publishDecision(d);
    await eventually('the decision is pending', async () => ((await stats())['pendingApprovals'] as string[]).includes(d.decisionId));
    await publishControl({ command: 'reject', decisionId: d.decisionId, actor: 'bob', reason: 'peak hours' });
    const outcome = await log.outcome(d.decisionId);
    expect(outcome).toMatchObject({ status: 'skipped', error: { code: 'REJECTED' } });
    expect(outcome.verification.detail).toBe('rejected by bob: peak hours');
    expect(actuator.requests).toHaveLength(0);
  });

  it('kill switch: no action starts (skipped KILL_SWITCH) until it is off; pending approvals stay pending', async () => {
    const waiting = decision('recycle-pool', { mode: 'approval-required' });
    await publishDecision(waiting);
    await eventually('the decision is pending', async () => ((await stats())['pendingApprovals'] as string[]).includes(waiting.decisionId));

    await publishControl({ command: 'kill-switch', state: 'on', actor: 'ops', reason: 'incident review' });
    await eventually(
      'the switch is on',
      async () => (await stats())['killSwitch'] !== undefined && ((await stats())['killSwitch'] as { global: boolean }).global,
    );
    const d = decision('recycle-pool');
    await publishDecision(d);
    expect(await log.outcome(d.decisionId)).toMatchObject({ status: 'skipped', error: { code: 'KILL_SWITCH' } });
    expect(actuator.requests).toHaveLength(0);
    expect((await stats())['pendingApprovals']).toContain(waiting.decisionId);

    // A switch for one loop only stops that loop.
    await publishControl({ command: 'kill-switch', state: 'off', actor: 'ops', reason: 'done' });
    await publishControl({ command: 'kill-switch', state: 'on', loop: 'exec-loop', actor: 'ops', reason: 'this loop' });
    await eventually('only the loop switch is on', async () => {
      const ks = (await stats())['killSwitch'] as { global: boolean; loops: string[] };
      return !ks.global && ks.loops.includes('exec-loop');
    });
    const e = decision('recycle-pool');
    await publishDecision(e);
    expect(await log.outcome(e.decisionId)).toMatchObject({
      status: 'skipped',
      error: { code: 'KILL_SWITCH', message: expect.stringContaining('exec-loop') },
    });

    await publishControl({ command: 'kill-switch', state: 'off', loop: 'exec-loop', actor: 'ops', reason: 'done' });
    await eventually('the switch is off', async () => ((await stats())['killSwitch'] as { loops: string[] }).loops.length === 0);
    const f = decision('recycle-pool');
    await publishDecision(f);
    expect(await log.outcome(f.decisionId)).toMatchObject({ status: 'succeeded' });
    await publishControl({ command: 'approve', decisionId: waiting.decisionId, actor: 'alice', reason: 'ok now' });
    expect(await log.outcome(waiting.decisionId)).toMatchObject({ status: 'succeeded' });
  });

  it('the same decision delivered twice (two envelopes, and one envelope twice): the actuator is called once, one outcome', async () => {
    const d = decision('recycle-pool');
    const first = await publishDecision(d);
    await stack.bus.publish('loop.decisions', first as AnyEnvelope);
    await publishDecision(d);
    await log.outcome(d.decisionId);
    await publishDecision(d); // after the outcome too
    await sleep(500);
    expect(actuator.calls('/actuator/pool/recycle')).toHaveLength(1);
    expect(log.outcomes(d.decisionId)).toHaveLength(1);
    expect(log.started(d.decisionId)).toHaveLength(1);
  });

  it('unknown loop and invalid adapter params: failed with a code, the executor carries on', async () => {
    const unknown = decision('recycle-pool', { loop: 'no-such-loop' });
    const k8s = decision('restart-pod');
    await publishDecision(unknown);
    await publishDecision(k8s);
    expect(await log.outcome(unknown.decisionId)).toMatchObject({ status: 'failed', error: { code: 'LOOP_UNKNOWN' } });
    // { deployment: shop } names no operation (scale or restart).
    expect(await log.outcome(k8s.decisionId)).toMatchObject({
      status: 'failed',
      error: { code: 'ADAPTER_PARAMS_INVALID', message: expect.stringContaining('kubernetes action params') },
    });
    const ok = decision('recycle-pool');
    await publishDecision(ok);
    expect(await log.outcome(ok.decisionId)).toMatchObject({ status: 'succeeded' });
  });

  it('escalate: nothing runs and no outcome is reported', async () => {
    const d = decision('recycle-pool', { mode: 'escalate', action: null });
    await publishDecision(d);
    await sleep(300);
    expect(log.outcomes(d.decisionId)).toHaveLength(0);
    expect(actuator.requests).toHaveLength(0);
  });
});

describe('the executor, embedded, across a restart', () => {
  const actuator = new FakeActuator();
  let stack: RunningStack | undefined;
  let log: OutcomeLog | undefined;

  afterAll(async () => {
    await log?.close();
    await stack?.stop();
    await actuator.stop();
    delete process.env['EXECUTOR_TEST_ACTUATOR'];
  });

  it('keeps the approval queue and the kill switch; a run cut short mid-verification is finished after the restart, never rerun', async () => {
    await actuator.start();
    process.env['EXECUTOR_TEST_ACTUATOR'] = actuator.url;
    const dataDir = await mkdtemp(join(tmpdir(), 'executor-restart-'));
    const loopsDir = await mkdtemp(join(tmpdir(), 'executor-restart-loops-'));
    await writeFile(join(loopsDir, 'exec-loop.yaml'), actuatorLoopYaml(actuator.url));
    // A short shutdown budget, so stopping abandons the verification below instead of waiting it out.
    const config = executorConfig('embedded', dataDir, loopsDir, { HOMEOSTAT_SHUTDOWN_TIMEOUT_MS: '300' });
    // The executor's own log: in process, an outcome published while the stage starts (a recovery)
    // has no observer on the bus yet, so it is read from here.
    const lines: string[] = [];
    const start = async (): Promise<{ stack: RunningStack; log: OutcomeLog }> => {
      const s = await runServices([executorService], { ...config, logLevel: 'info' }, new JsonLogger('test', 'info', (l) => lines.push(l)));
      return { stack: s, log: await new OutcomeLog().attach(s.bus, 'test-outcomes') };
    };
    const publish = (s: RunningStack, topic: 'loop.decisions' | 'loop.control', event: AnyEnvelope): Promise<void> =>
      s.bus.publish(topic, event);
    const stats = async (s: RunningStack): Promise<Record<string, unknown>> =>
      (await (await fetch(`${s.services[0]!.url}/stats`)).json()) as Record<string, unknown>;

    ({ stack, log } = await start());
    const waiting = decision('recycle-pool', { mode: 'approval-required' });
    await publish(stack, 'loop.decisions', decisionEvent(waiting) as AnyEnvelope);
    await publish(
      stack,
      'loop.control',
      controlEvent({ command: 'kill-switch', state: 'on', loop: 'other-loop', actor: 'ops', reason: 'r' }) as AnyEnvelope,
    );
    await eventually('pending and switched', async () => {
      const st = await stats(stack!);
      return (
        (st['pendingApprovals'] as string[]).includes(waiting.decisionId) &&
        (st['killSwitch'] as { loops: string[] }).loops.includes('other-loop')
      );
    });
    // An action whose verification is still running when the executor stops.
    actuator.health = 503;
    const cut = decision('recycle-pool');
    await publish(stack, 'loop.decisions', decisionEvent(cut) as AnyEnvelope);
    await eventually('the action ran', () => actuator.calls('/actuator/pool/recycle').length === 1);
    await eventually('verification began', () => actuator.healthProbes > 0);
    await log.close();
    await stack.stop();
    expect(log.outcomes(cut.decisionId)).toHaveLength(0);

    actuator.health = 200;
    ({ stack, log } = await start());
    // Its claim said the action was sent and answered: verified again (healthy now), reported once.
    const outcomeLines = (): string[] => lines.filter((l) => l.includes(`outcome of decision ${cut.decisionId}`));
    await eventually('the recovered outcome', () => outcomeLines().length > 0);
    expect(outcomeLines()[0]).toContain(`outcome of decision ${cut.decisionId}: succeeded`);
    const st = await stats(stack);
    expect(st['pendingApprovals']).toEqual([waiting.decisionId]);
    expect(st['killSwitch']).toEqual({ global: false, loops: ['other-loop'] });
    await publish(
      stack,
      'loop.control',
      controlEvent({ command: 'approve', decisionId: waiting.decisionId, actor: 'alice', reason: 'after restart' }) as AnyEnvelope,
    );
    expect(await log.outcome(waiting.decisionId)).toMatchObject({ status: 'succeeded' });
    // The decision cut short comes again (a replay): its outcome is out, so nothing runs or is reported.
    await publish(stack, 'loop.decisions', decisionEvent(cut) as AnyEnvelope);
    await sleep(500);
    // The observer may have joined before the recovery reported or after: it saw it once or not at all.
    expect(log.outcomes(cut.decisionId).length).toBeLessThanOrEqual(1);
    for (const o of log.outcomes(cut.decisionId)) expect(o.verification.detail).toMatch(/^recovered after a restart: healthy/);
    expect(outcomeLines()).toHaveLength(1);
    expect(actuator.calls('/actuator/pool/recycle').map((c) => c.idempotencyKey)).toEqual([cut.decisionId, waiting.decisionId]);
  });
});

/** The executor as its own process (services/executor/src/main.ts) on Kafka. */
class ExecutorProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', 'services/executor/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        TZ: 'UTC',
        LOG_LEVEL: 'info',
        OTEL_SDK_DISABLED: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) createInterface({ input: stream }).on('line', (l) => this.lines.push(l));
    this.exited = new Promise((done) => this.child.on('exit', (code, signal) => done({ code, signal })));
  }

  async ready(timeoutMs = 90_000): Promise<string> {
    let url: string | undefined;
    await eventually(
      'the executor process is ready',
      async () => {
        if (this.child.exitCode !== null) throw new Error(`executor exited ${this.child.exitCode}:\n${this.lines.join('\n')}`);
        url ??= this.lines.map((l) => /executor ready on (http:\/\/\S+?)"/.exec(l)?.[1]).find((u) => u !== undefined);
        if (!url) return false;
        return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
      },
      timeoutMs,
    );
    return url!;
  }
}

describe('the executor process on Kafka, killed mid-action and mid-verification', () => {
  const actuator = new FakeActuator();
  const processes: ExecutorProcess[] = [];
  let bus: Bus | undefined;
  let log: OutcomeLog | undefined;

  afterAll(async () => {
    for (const p of processes) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    await log?.close();
    await bus?.close();
    await actuator.stop();
  });

  it('after SIGKILL and a restart, finishes both runs from their claims: verified, rolled back, one outcome each, no action twice', async () => {
    await actuator.start();
    actuator.hang('/actuator/restart');
    const dataDir = await mkdtemp(join(tmpdir(), 'executor-crash-'));
    const loopsDir = await mkdtemp(join(tmpdir(), 'executor-crash-loops-'));
    // A longer deadline than the shared spec's, so the kill lands mid-verification for sure.
    await writeFile(join(loopsDir, 'exec-loop.yaml'), actuatorLoopYaml(actuator.url).replace('deadline: 1500ms', 'deadline: 4s'));
    const prefix = `exec${randomUUID().slice(0, 8)}.`;
    const env = {
      HOMEOSTAT_MODE: 'kafka',
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
      HOMEOSTAT_TOPIC_PREFIX: prefix,
      HOMEOSTAT_TOPIC_PARTITIONS: '3',
      HOMEOSTAT_DATA_DIR: dataDir,
      HOMEOSTAT_LOOPS_DIR: loopsDir,
      EXECUTOR_PORT: '0',
      EXECUTOR_TEST_ACTUATOR: actuator.url,
    };
    const config = executorConfig('kafka', join(dataDir, 'observer'), loopsDir, { HOMEOSTAT_TOPIC_PREFIX: prefix });
    bus = createBus(config, new JsonLogger('test', 'warn', () => undefined));
    await bus.start();
    log = await new OutcomeLog().attach(bus, 'test-outcomes');

    const first = new ExecutorProcess(env);
    processes.push(first);
    await first.ready();
    // Mid-call: the actuator holds the request (the claim and its call are on disk, no answer).
    const midCall = decision('slow-restart');
    await bus.publish('loop.decisions', decisionEvent(midCall) as AnyEnvelope);
    await eventually('the actuator received the slow action', () => actuator.calls('/actuator/restart').length === 1, 60_000);
    // Mid-verification: a config change the target took, then an unhealthy target.
    actuator.health = 503;
    const midVerification = decision('raise-limit');
    await bus.publish('loop.decisions', decisionEvent(midVerification) as AnyEnvelope);
    await eventually('the config change was applied', () => actuator.calls('/actuator/config').length === 1, 60_000);
    const probesBefore = actuator.healthProbes;
    await eventually('verification is probing', () => actuator.healthProbes > probesBefore, 10_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(log.outcomes(midCall.decisionId)).toHaveLength(0);
    expect(log.outcomes(midVerification.decisionId)).toHaveLength(0);
    expect(actuator.calls('/actuator/config/rollback')).toHaveLength(0);
    // What the restart has to go on: the journal's steps of each claim.
    const journal = (await readFile(join(dataDir, 'executor', 'claims.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { id: string; phase: string });
    const steps = (id: string): string[] => journal.filter((e) => e.id === id).map((e) => e.phase);
    expect(steps(midCall.decisionId)).toEqual(['claimed', 'calling']);
    expect(steps(midVerification.decisionId)).toEqual(['claimed', 'calling', 'answered']);

    const second = new ExecutorProcess(env);
    processes.push(second);
    await second.ready();
    const rolledBack = await log.outcome(midVerification.decisionId, 60_000);
    expect(rolledBack).toMatchObject({
      status: 'rolled-back',
      applied: true,
      rollback: { action: { name: 'rollback-config' }, status: 'succeeded' },
    });
    expect(rolledBack.verification.detail).toMatch(/^recovered after a restart: /);
    expect(actuator.calls('/actuator/config/rollback').map((c) => c.idempotencyKey)).toEqual([`${midVerification.decisionId}:rollback`]);
    // Unhealthy and no inverse: failed, and it says the target's answer to the action is unknown.
    const failed = await log.outcome(midCall.decisionId, 60_000);
    expect(failed).toMatchObject({ status: 'failed', applied: true, error: { code: 'VERIFICATION_FAILED' } });
    expect(failed.verification.detail).toContain('recovered after a restart (what the target answered to the action is unknown)');

    // Whether Kafka redelivers the original messages depends on whether their offsets were
    // committed; publishing the decisions again (new envelopes, as a replay would) exercises the claims.
    await bus.publish('loop.decisions', decisionEvent(midCall) as AnyEnvelope);
    await bus.publish('loop.decisions', decisionEvent(midVerification) as AnyEnvelope);
    await sleep(1_500);
    expect(log.outcomes(midCall.decisionId)).toHaveLength(1);
    expect(log.outcomes(midVerification.decisionId)).toHaveLength(1);
    expect(actuator.calls('/actuator/restart').map((c) => c.idempotencyKey)).toEqual([midCall.decisionId]);
    expect(actuator.calls('/actuator/config').map((c) => c.idempotencyKey)).toEqual([midVerification.decisionId]);
    expect(actuator.calls('/actuator/config/rollback')).toHaveLength(1);

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});

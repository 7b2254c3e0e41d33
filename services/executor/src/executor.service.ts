import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { EventPublisher, FileIdempotencyStore } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import type { ActionCall, DecisionMade, LoopSpec, OutcomeErrorCode, OutcomeRecorded } from '@homeostat/contracts';
import { CONFIG, LOGGER, LOOPS } from '@homeostat/runtime';
import { contextFromTraceparent, type ComponentLogger, type JsonLogger } from '@homeostat/telemetry';
import type { ActionResponse } from './adapters/http-runner';
import { describeCall, prepareCall, type ActionRunner, type PreparedCall, type RunMemo } from './adapters/action-runner';
import { TemplateError, type Environment, type TemplateContext } from './adapters/template';
import { emptyExecutorState, ExecutorStateStore, type EarlyVerdict, type ExecutorState } from './executor-state.store';
import { inverseOf, nextStep, statusAfterRollback, type InverseCall } from './rollback';
import { httpProbe, realClock, verifyHealth, type VerificationCheck } from './verification/health-check';
import { planVerification, type VerificationPlan } from './verification/verification-plan';
import { WorkPool } from './work-pool';

/** The environment `${VAR}` templates in action params read from, captured once at start. */
export const ACTION_ENV = Symbol('homeostat.executor.action-env');
/** The ActionRunner that sends prepared calls through their adapters (HTTP, Kubernetes API). */
export const ACTION_RUNNER = Symbol('homeostat.executor.action-runner');

/** Actions run at once (the rest wait); loops' own blast-radius guardrails are the decider's. */
export const MAX_CONCURRENT_RUNS = 8;
const DEFAULT_ACTION_TIMEOUT_SECONDS = 30;
const PUBLISH_ATTEMPTS = 5;
const PUBLISH_BACKOFF_MS = 200;
/** Share of the shutdown timeout spent waiting for running actions; the rest closes the bus. */
const DRAIN_SHARE = 0.6;
const MAX_EARLY_VERDICTS = 1_000;

/** A decision whose action is known: everything resolved before it is claimed. */
interface PreparedRun {
  decision: DecisionMade & { action: ActionCall };
  traceparent: string | undefined;
  spec: LoopSpec;
  call: PreparedCall;
  verification: VerificationPlan;
  inverse: InverseCall | undefined;
  templateContext: TemplateContext;
}

type Prepared = { ok: true; run: PreparedRun } | { ok: false; code: OutcomeErrorCode; message: string };

type OutcomeInit = Pick<OutcomeRecorded, 'status' | 'applied' | 'verification' | 'timeToRecoverMs'> & Partial<Pick<OutcomeRecorded, 'startedAt' | 'dryRun' | 'rollback'>> & { error?: { code: OutcomeErrorCode; message: string } };

/**
 * The executor's stage logic: runs a decision's action through its adapter at most once,
 * verifies the result against the loop's spec within its deadline, rolls back on failure and
 * reports the outcome on loop.outcomes.
 *
 * At most once: before the adapter is called, the decision id is appended and fsynced to
 * `<dataDir>/executor/claims.ids`. A decision that is already claimed never runs again, in this
 * process or after a restart: if it was claimed but no outcome was published (the process died
 * mid-action), a redelivery publishes `skipped` / ALREADY_CLAIMED, and otherwise the decider
 * re-decides after the deadline announced in `action.started`. Published outcomes are recorded
 * in `outcomes.ids`, so a redelivered decision is not reported twice.
 */
@Injectable()
export class ExecutorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log: ComponentLogger;
  private loops = new Map<string, LoopSpec>();
  private claimStore: FileIdempotencyStore | undefined;
  private outcomeStore: FileIdempotencyStore | undefined;
  private readonly stateStore: ExecutorStateStore;
  private state: ExecutorState = emptyExecutorState();
  /** Claimed here and still running: a duplicate delivery of one of these is ignored. */
  private readonly inFlight = new Set<string>();
  private readonly pool = new WorkPool(MAX_CONCURRENT_RUNS);
  private readonly shutdown = new AbortController();
  private readonly probe = httpProbe();

  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(ACTION_ENV) private readonly env: Environment,
    @Inject(LOOPS) private readonly specs: readonly LoopSpec[],
    @Inject(ACTION_RUNNER) private readonly runner: ActionRunner,
    private readonly publisher: EventPublisher,
  ) {
    this.log = logger.child('Executor');
    this.stateStore = new ExecutorStateStore(join(config.dataDir, 'executor', 'state.json'));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.loops = new Map(this.specs.map((s) => [s.metadata.name, s]));
    const dir = join(this.config.dataDir, 'executor');
    this.claimStore = await FileIdempotencyStore.open(join(dir, 'claims.ids'), this.config.consumer.idempotencyCapacity);
    this.outcomeStore = await FileIdempotencyStore.open(join(dir, 'outcomes.ids'), this.config.consumer.idempotencyCapacity);
    this.state = await this.stateStore.load();
    this.log.info(`executor ready: ${this.loops.size} loop(s), ${this.state.pending.length} decision(s) waiting for approval`, {
      loops: [...this.loops.keys()],
      killSwitch: this.state.killSwitch,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const budget = Math.round(this.config.shutdownTimeoutMs * DRAIN_SHARE);
    const { running, waiting } = this.pool.size;
    if (running + waiting > 0) this.log.info(`waiting up to ${budget} ms for ${running} running and ${waiting} queued action(s)`);
    if (!(await this.pool.drain(budget))) {
      // What is cut short publishes no outcome: the decider re-decides after the deadline.
      this.log.warn(`actions still running after ${budget} ms: abandoning them (${[...this.inFlight].join(', ')})`);
      this.shutdown.abort();
      await this.pool.drain(1_000);
    }
    await this.claimStore?.close();
    await this.outcomeStore?.close();
  }

  snapshot(): Record<string, unknown> {
    return {
      loops: [...this.loops.keys()],
      pendingApprovals: this.state.pending.map((p) => p.decision.decisionId),
      killSwitch: this.state.killSwitch,
      running: [...this.inFlight],
      pool: this.pool.size,
    };
  }

  // ── decisions ──────────────────────────────────────────────────────────────────────────────

  async onDecision(decision: DecisionMade, traceparent?: string): Promise<void> {
    const id = decision.decisionId;
    if (this.inFlight.has(id) || (await this.outcomes.has(id))) {
      this.log.debug('decision already handled', { decisionId: id });
      return;
    }
    if (await this.claims.has(id)) {
      await this.reportAlreadyClaimed(decision);
      return;
    }
    switch (decision.mode) {
      case 'escalate':
        this.log.info(`decision ${id} escalates to people: nothing to run`, { decisionId: id, loop: decision.loop, target: decision.target });
        return;
      case 'dry-run':
        await this.dryRun(decision);
        return;
      case 'approval-required':
        await this.awaitApproval(decision, traceparent);
        return;
      case 'execute':
        await this.start(decision, traceparent);
        return;
    }
  }

  async onApproval(decisionId: string, actor: string, reason: string): Promise<void> {
    await this.onVerdict({ decisionId, verdict: 'approve', actor, reason, at: new Date().toISOString() });
  }

  async onRejection(decisionId: string, actor: string, reason: string): Promise<void> {
    await this.onVerdict({ decisionId, verdict: 'reject', actor, reason, at: new Date().toISOString() });
  }

  async onKillSwitch(state: 'on' | 'off', loop: string | undefined, actor: string, reason: string): Promise<void> {
    const ks = this.state.killSwitch;
    const next =
      loop === undefined
        ? { ...ks, global: state === 'on' }
        : { ...ks, loops: state === 'on' ? [...new Set([...ks.loops, loop])] : ks.loops.filter((l) => l !== loop) };
    await this.saveState({ ...this.state, killSwitch: next });
    this.log.warn(`kill switch ${state} for ${loop ?? 'every loop'} by ${actor}: ${reason}`, { killSwitch: next });
  }

  private async onVerdict(verdict: EarlyVerdict): Promise<void> {
    const pending = this.state.pending.find((p) => p.decision.decisionId === verdict.decisionId);
    if (!pending) {
      const id = verdict.decisionId;
      if (this.inFlight.has(id) || (await this.outcomes.has(id)) || (await this.claims.has(id))) {
        this.log.info(`${verdict.verdict} for decision ${id} ignored: it is no longer waiting`, { decisionId: id });
        return;
      }
      // Not seen yet: keep the verdict for when the decision arrives.
      const verdicts = [...this.state.verdicts.filter((v) => v.decisionId !== id), verdict].slice(-MAX_EARLY_VERDICTS);
      await this.saveState({ ...this.state, verdicts });
      return;
    }
    await this.applyVerdict(pending.decision, verdict, pending.traceparent);
    await this.saveState({ ...this.state, pending: this.state.pending.filter((p) => p.decision.decisionId !== verdict.decisionId) });
  }

  private async applyVerdict(decision: DecisionMade, verdict: EarlyVerdict, traceparent: string | undefined): Promise<void> {
    if (verdict.verdict === 'approve') {
      this.log.info(`decision ${decision.decisionId} approved by ${verdict.actor}: ${verdict.reason}`, { decisionId: decision.decisionId });
      await this.start(decision, traceparent);
      return;
    }
    this.log.info(`decision ${decision.decisionId} rejected by ${verdict.actor}: ${verdict.reason}`, { decisionId: decision.decisionId });
    await this.publishOutcome(decision, {
      status: 'skipped',
      applied: false,
      verification: { passed: false, checks: [], detail: `rejected by ${verdict.actor}: ${verdict.reason}` },
      timeToRecoverMs: null,
      error: { code: 'REJECTED', message: `rejected by ${verdict.actor}: ${verdict.reason}` },
    });
  }

  private async awaitApproval(decision: DecisionMade, traceparent: string | undefined): Promise<void> {
    const id = decision.decisionId;
    const early = this.state.verdicts.find((v) => v.decisionId === id);
    if (early) {
      await this.applyVerdict(decision, early, traceparent);
      await this.saveState({ ...this.state, verdicts: this.state.verdicts.filter((v) => v.decisionId !== id) });
      return;
    }
    if (this.state.pending.some((p) => p.decision.decisionId === id)) return;
    const entry = { decision, receivedAt: new Date().toISOString(), ...(traceparent !== undefined ? { traceparent } : {}) };
    await this.saveState({ ...this.state, pending: [...this.state.pending, entry] });
    this.log.info(`decision ${id} waits for approval (${decision.action?.name ?? 'no action'} on ${decision.target})`, { decisionId: id, loop: decision.loop });
  }

  private async dryRun(decision: DecisionMade): Promise<void> {
    if (this.inFlight.has(decision.decisionId)) return;
    this.inFlight.add(decision.decisionId);
    try {
      const prepared = this.prepare(decision);
      const detail = prepared.ok
        ? `dry run, nothing was sent; would send ${JSON.stringify(describeCall(prepared.run.call))}`
        : `dry run, nothing was sent; the action could not run: ${prepared.code}: ${prepared.message}`;
      await this.publishOutcome(decision, { status: 'skipped', dryRun: true, applied: false, verification: { passed: false, checks: [], detail }, timeToRecoverMs: null });
    } finally {
      this.inFlight.delete(decision.decisionId);
    }
  }

  /**
   * Checks, claims (durably) and launches the run; returns once the claim is on disk. The
   * decision is reserved in memory before the first await, so two deliveries racing each other
   * (an approval on loop.control and decision.approved on loop.decisions) cannot both claim it.
   */
  private async start(decision: DecisionMade, traceparent: string | undefined): Promise<void> {
    const id = decision.decisionId;
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    let launched = false;
    try {
      if (await this.outcomes.has(id)) return;
      if (await this.claims.has(id)) {
        await this.reportAlreadyClaimed(decision);
        return;
      }
      if (this.killSwitchOn(decision.loop)) {
        const scope = this.state.killSwitch.global ? 'globally' : `for loop ${decision.loop}`;
        await this.publishOutcome(decision, {
          status: 'skipped',
          applied: false,
          verification: { passed: false, checks: [], detail: `the kill switch is on ${scope}: no action is started` },
          timeToRecoverMs: null,
          error: { code: 'KILL_SWITCH', message: `kill switch on ${scope}` },
        });
        return;
      }
      const prepared = this.prepare(decision, traceparent);
      if (!prepared.ok) {
        this.log.warn(`decision ${id} cannot run: ${prepared.code}: ${prepared.message}`, { decisionId: id });
        await this.publishOutcome(decision, { status: 'failed', applied: false, verification: { passed: false, checks: [], detail: prepared.message }, timeToRecoverMs: null, error: { code: prepared.code, message: prepared.message } });
        return;
      }
      // If this throws, nothing was claimed or run, and the bus retries the message.
      await this.claims.add(id);
      const run = prepared.run;
      this.pool.launch(
        () => context.with(contextFromTraceparent(run.traceparent), () => this.execute(run)),
        (error) => this.log.error(`run of decision ${id} failed unexpectedly: ${String(error)}`, { decisionId: id }),
      );
      launched = true;
    } finally {
      if (!launched) this.inFlight.delete(id);
    }
  }

  /** Everything that can be checked before the claim, so a bad decision fails without running. */
  private prepare(decision: DecisionMade, traceparent?: string): Prepared {
    const action = decision.action;
    if (action === null) return { ok: false, code: 'ADAPTER_PARAMS_INVALID', message: 'the decision names no action' };
    const spec = this.loops.get(decision.loop);
    if (!spec) {
      return { ok: false, code: 'LOOP_UNKNOWN', message: `loop ${decision.loop} (version ${decision.loopVersion}) is not loaded by this executor (loaded: ${[...this.loops.keys()].join(', ') || 'none'})` };
    }
    if (String(spec.metadata.version) !== decision.loopVersion) {
      this.log.warn(`decision ${decision.decisionId} was made under ${decision.loop} ${decision.loopVersion}; verifying with the loaded ${spec.metadata.version}`, { decisionId: decision.decisionId });
    }
    const templateContext: TemplateContext = {
      decisionId: decision.decisionId,
      incidentId: decision.incidentId,
      target: decision.target,
      fingerprint: decision.fingerprint,
      action: action.name,
      loop: decision.loop,
    };
    const timeoutSeconds = spec.spec.actions.find((a) => a.name === action.name)?.timeoutSeconds ?? DEFAULT_ACTION_TIMEOUT_SECONDS;
    const built = prepareCall(action, { context: templateContext, env: this.env, idempotencyKey: decision.decisionId, timeoutMs: timeoutSeconds * 1000 });
    if (!built.ok) return built;
    let verification: VerificationPlan;
    try {
      verification = planVerification(spec.spec.verification, templateContext, this.env);
    } catch (error) {
      if (error instanceof TemplateError) return { ok: false, code: 'TEMPLATE_INVALID', message: `verification: ${error.message}` };
      throw error;
    }
    return {
      ok: true,
      run: { decision: { ...decision, action }, traceparent, spec, call: built.prepared, verification, inverse: inverseOf(spec, action.name), templateContext },
    };
  }

  /** The background part: action.started → adapter → verification → (inverse) → outcome. */
  private async execute(run: PreparedRun): Promise<void> {
    const { decision } = run;
    const signal = this.shutdown.signal;
    if (signal.aborted) return; // claimed but never started: left for the decider's deadline
    const startedMs = Date.now();
    const startedAt = new Date(startedMs).toISOString();
    const deadlineMs = startedMs + run.verification.deadlineMs;
    try {
      await this.withRetry('action.started', () =>
        this.publisher.publish('homeostat.action.started.v1', {
          subject: decision.target,
          data: {
            decisionId: decision.decisionId,
            incidentId: decision.incidentId,
            loop: decision.loop,
            target: decision.target,
            fingerprint: decision.fingerprint,
            action: decision.action,
            dryRun: false,
            startedAt,
            deadline: new Date(deadlineMs).toISOString(),
          },
        }),
      );
    } catch (error) {
      await this.publishOutcome(decision, {
        status: 'failed',
        applied: false,
        startedAt,
        verification: { passed: false, checks: [], detail: 'the action was not started: action.started could not be published' },
        timeToRecoverMs: null,
        error: { code: 'PUBLISH_FAILED', message: String(error) },
      });
      return;
    }

    this.log.info(`running ${decision.action.name} for decision ${decision.decisionId} on ${decision.target}`, { decisionId: decision.decisionId, call: describeCall(run.call) });
    const response = await this.runner.run(run.call, { fetch: this.fetchWith(signal), signal });
    if (signal.aborted) return;
    const actionCheck = checkOf('action', response);
    if (!response.applied) {
      await this.publishOutcome(decision, {
        status: 'failed',
        applied: true,
        startedAt,
        verification: { passed: false, checks: [actionCheck], detail: 'the target did not accept the action, so it was neither verified nor rolled back' },
        timeToRecoverMs: null,
        error: { code: 'ADAPTER_FAILED', message: response.detail },
      });
      return;
    }

    const verified = await this.verify(run.verification, deadlineMs, signal);
    if (verified.aborted) return;
    const verification = { passed: verified.passed, checks: [actionCheck, ...verified.checks], detail: verified.detail };
    const step = nextStep(true, verified.passed, run.inverse);
    if (step.step === 'report') {
      await this.publishOutcome(decision, {
        status: step.status,
        applied: true,
        startedAt,
        verification,
        timeToRecoverMs: verified.recoveredAtMs !== null ? Math.max(0, verified.recoveredAtMs - startedMs) : null,
        ...(step.status === 'failed' ? { error: { code: step.code, message: verified.detail } } : {}),
      });
      return;
    }

    const rollback = await this.rollback(run, step.inverse, signal, response.memo);
    if (signal.aborted) return;
    const after = statusAfterRollback(rollback.applied);
    await this.publishOutcome(decision, {
      status: after.status,
      applied: true,
      startedAt,
      verification,
      timeToRecoverMs: null,
      rollback: { action: step.inverse.call, status: rollback.applied ? 'succeeded' : 'failed', detail: rollback.detail },
      ...(after.status === 'failed' ? { error: { code: after.code, message: `verification failed and so did the rollback: ${rollback.detail}` } } : {}),
    });
  }

  private async verify(plan: VerificationPlan, deadlineMs: number, signal: AbortSignal): Promise<{ passed: boolean; aborted: boolean; checks: VerificationCheck[]; recoveredAtMs: number | null; detail: string }> {
    if (plan.kind === 'unsupported') return { passed: false, aborted: false, checks: [], recoveredAtMs: null, detail: plan.detail };
    const result = await verifyHealth(plan.healthCheck, deadlineMs, this.probe, realClock, signal);
    return plan.note ? { ...result, detail: `${result.detail}; ${plan.note}` } : result;
  }

  private async rollback(run: PreparedRun, inverse: InverseCall, signal: AbortSignal, memo: RunMemo): Promise<{ applied: boolean; detail: string }> {
    const built = prepareCall(inverse.call, {
      context: { ...run.templateContext, action: inverse.call.name },
      env: this.env,
      idempotencyKey: `${run.decision.decisionId}:rollback`,
      timeoutMs: (inverse.timeoutSeconds ?? DEFAULT_ACTION_TIMEOUT_SECONDS) * 1000,
    });
    if (!built.ok) return { applied: false, detail: `${built.code}: ${built.message}` };
    this.log.warn(`verification failed for decision ${run.decision.decisionId}: rolling back with ${inverse.call.name}`, { decisionId: run.decision.decisionId, call: describeCall(built.prepared) });
    // The inverse sees what the action left behind (a scale's previous replica count).
    const response = await this.runner.run(built.prepared, { fetch: this.fetchWith(signal), signal, memo });
    return { applied: response.applied, detail: response.detail };
  }

  private async reportAlreadyClaimed(decision: DecisionMade): Promise<void> {
    this.log.warn(`decision ${decision.decisionId} was claimed before (a restart mid-action?): not running it again`, { decisionId: decision.decisionId });
    await this.publishOutcome(decision, {
      status: 'skipped',
      applied: false,
      verification: { passed: false, checks: [], detail: 'claimed by an earlier run that reported no outcome; whether its action reached the target is unknown' },
      timeToRecoverMs: null,
      error: { code: 'ALREADY_CLAIMED', message: `decision ${decision.decisionId} was already claimed: an action runs at most once` },
    });
  }

  // ── reporting ─────────────────────────────────────────────────────────────────────────────

  private async publishOutcome(decision: DecisionMade, init: OutcomeInit): Promise<void> {
    const action = decision.action;
    if (action === null) return; // escalations have no outcome
    const finishedAt = new Date().toISOString();
    const data: OutcomeRecorded = {
      decisionId: decision.decisionId,
      incidentId: decision.incidentId,
      loop: decision.loop,
      target: decision.target,
      fingerprint: decision.fingerprint,
      action,
      status: init.status,
      dryRun: init.dryRun ?? false,
      applied: init.applied,
      verification: init.verification,
      timeToRecoverMs: init.timeToRecoverMs,
      startedAt: init.startedAt ?? finishedAt,
      finishedAt,
      ...(init.rollback ? { rollback: init.rollback } : {}),
      ...(init.error ? { error: init.error } : {}),
    };
    try {
      await this.withRetry('outcome.recorded', () => this.publisher.publish('homeostat.outcome.recorded.v1', { subject: decision.target, data }));
      await this.outcomes.add(decision.decisionId);
      this.log.info(`outcome of decision ${decision.decisionId}: ${data.status}${data.error ? ` (${data.error.code})` : ''}`, {
        decisionId: decision.decisionId,
        status: data.status,
        timeToRecoverMs: data.timeToRecoverMs,
      });
    } finally {
      this.inFlight.delete(decision.decisionId);
    }
  }

  private async withRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (attempt >= PUBLISH_ATTEMPTS) {
          this.log.error(`publishing ${what} failed ${attempt} times: ${String(error)}`);
          throw error;
        }
        await realClock.sleep(PUBLISH_BACKOFF_MS * 2 ** (attempt - 1));
      }
    }
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────

  private killSwitchOn(loop: string): boolean {
    return this.state.killSwitch.global || this.state.killSwitch.loops.includes(loop);
  }

  private async saveState(next: ExecutorState): Promise<void> {
    this.state = next;
    await this.stateStore.save(next);
  }

  /** fetch that also gives up when the executor shuts down. */
  private fetchWith(signal: AbortSignal): typeof fetch {
    return (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  }

  private get claims(): FileIdempotencyStore {
    if (!this.claimStore) throw new Error('the executor is not started yet');
    return this.claimStore;
  }

  private get outcomes(): FileIdempotencyStore {
    if (!this.outcomeStore) throw new Error('the executor is not started yet');
    return this.outcomeStore;
  }
}

function checkOf(name: string, response: ActionResponse): VerificationCheck {
  return { name, passed: response.applied, observed: response.status ?? 'no response', detail: `${response.detail} (${response.latencyMs} ms)` };
}

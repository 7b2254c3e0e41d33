import { parseDuration, type ActionCall, type DecisionMade, type LoopSpec } from '@homeostat/contracts';
import { describeCall, type ActionRunner } from './adapters/action-runner';
import type { Environment } from './adapters/template';
import type { Claim, ClaimStore } from './claims';
import {
  evolve,
  isAwaitingApproval,
  killSwitchScope,
  onApprovalRequired,
  onVerdict,
  type ApprovalEffect,
  type ExecutorState,
  type StateChange,
  type Verdict,
} from './executor-state';
import { alreadyClaimed, dryRun, notRunnable, notStarted, outcomeOf, rejected, stoppedByKillSwitch, type OutcomeInit } from './outcome';
import type { DedupeStore, ExecutionLog, ExecutionSink, ExecutorStateSink } from './ports';
import { loadedVersionIfDifferent, prepareRun, type PreparedRun } from './prepare';
import { markRecovered, planRecovery, recoverApplied } from './recovery';
import { runClaimed, type AppliedRun, type RunDeps } from './run';
import { realClock, type Probe, type VerifierClock } from './verification/health-check';
import type { RepairActuator } from './vcs/repair-actuator';
import { WorkPool } from './work-pool';
import type { RouteMetrics } from './verification/experiment-check';

/** Actions run at once (the rest wait); loops' own blast-radius guardrails are the decider's. */
export const MAX_CONCURRENT_RUNS = 8;

export interface ExecutorDeps {
  loops: readonly LoopSpec[];
  env: Environment;
  runner: ActionRunner;
  probe: Probe;
  clock?: VerifierClock;
  /** Decisions claimed, with how far each run got: appended durably before each step. */
  claims: ClaimStore;
  /** Decisions whose outcome was published. */
  outcomes: DedupeStore;
  sink: ExecutionSink;
  /** The state saved last, and where the next is saved. */
  state: { initial: ExecutorState; sink: ExecutorStateSink };
  log: ExecutionLog;
  /** Route series for optimize decisions (their experiments are verified by them). */
  routeMetrics?: RouteMetrics;
  /** Runs a claimed decision inside its trace (the loop iteration's); by default, as it is. */
  inTrace?: (traceparent: string | undefined, run: () => Promise<void>) => Promise<void>;
  maxConcurrentRuns?: number;
  /** The VCS adapter of loops of kind repair; without it their decisions are not runnable here. */
  repair?: RepairActuator;
}

/**
 * The executor's logic, free of framework and transport: runs a decision's action through its
 * adapter at most once, verifies the result against the loop's spec within its deadline, rolls
 * back on failure and reports the outcome; holds decisions for approval and honours the kill
 * switch.
 *
 * At most once: the decision id is claimed (durably) before the adapter is called, and the
 * claim's journal records each step of the run (calling, the adapter's answer with its memo,
 * finished). A decision already claimed never runs again. One claimed without a published outcome
 * (the process died mid-action or mid-verification) is finished by recover() at the next start:
 * verified and rolled back if need be, or reported not applied when the adapter was never called;
 * a repair is resumed by its VCS adapter from what the remote holds (RepairActuator.resume).
 * Decisions with a published outcome are not reported twice.
 */
export class Executor {
  private readonly loops: ReadonlyMap<string, LoopSpec>;
  private readonly clock: VerifierClock;
  private readonly pool: WorkPool;
  /** Claimed here and still running: a duplicate delivery of one of these is ignored. */
  private readonly inFlight = new Set<string>();
  /** Repair decisions waiting for approval whose proposal is being made: settles when it is written (or failed). */
  private readonly proposals = new Map<string, Promise<void>>();
  private readonly cut = new AbortController();
  private current: ExecutorState;

  constructor(private readonly deps: ExecutorDeps) {
    this.loops = new Map(deps.loops.map((s) => [s.metadata.name, s]));
    this.clock = deps.clock ?? realClock;
    this.pool = new WorkPool(deps.maxConcurrentRuns ?? MAX_CONCURRENT_RUNS);
    this.current = deps.state.initial;
  }

  get state(): ExecutorState {
    return this.current;
  }

  snapshot(): {
    loops: string[];
    pendingApprovals: string[];
    killSwitch: ExecutorState['killSwitch'];
    running: string[];
    pool: { running: number; waiting: number };
  } {
    return {
      loops: [...this.loops.keys()],
      pendingApprovals: this.current.pending.map((p) => p.decision.decisionId),
      killSwitch: this.current.killSwitch,
      running: [...this.inFlight],
      pool: this.pool.size,
    };
  }

  async onDecision(decision: DecisionMade, traceparent?: string): Promise<void> {
    const id = decision.decisionId;
    if (this.inFlight.has(id) || (await this.deps.outcomes.has(id))) {
      this.deps.log.debug('decision already handled', { decisionId: id });
      return;
    }
    if (await this.deps.claims.has(id)) {
      await this.resumeClaimed(decision);
      return;
    }
    switch (decision.mode) {
      case 'escalate':
        this.deps.log.info(`decision ${id} escalates to people: nothing to run`, {
          decisionId: id,
          loop: decision.loop,
          target: decision.target,
        });
        return;
      case 'dry-run':
        await this.dryRun(decision);
        return;
      case 'approval-required': {
        const { effect, changes } = onApprovalRequired(this.current, decision, traceparent, this.now());
        await this.perform(effect);
        await this.commit(changes);
        if (effect.effect === 'wait') {
          this.deps.log.info(`decision ${id} waits for approval (${decision.action?.name ?? 'no action'} on ${decision.target})`, {
            decisionId: id,
            loop: decision.loop,
          });
          this.launchProposal(decision);
        }
        return;
      }
      case 'execute':
        await this.start(decision, traceparent);
        return;
    }
  }

  async onVerdict(verdict: Omit<Verdict, 'at'>): Promise<void> {
    const id = verdict.decisionId;
    const at = this.now();
    const handled =
      !isAwaitingApproval(this.current, id) &&
      (this.inFlight.has(id) || (await this.deps.outcomes.has(id)) || (await this.deps.claims.has(id)));
    const { effect, changes } = onVerdict(this.current, { ...verdict, at }, handled);
    if (effect.effect === 'ignore')
      this.deps.log.info(`${verdict.verdict} for decision ${id} ignored: it is no longer waiting`, { decisionId: id });
    await this.perform(effect);
    await this.commit(changes);
  }

  async onKillSwitch(state: 'on' | 'off', loop: string | undefined, actor: string, reason: string): Promise<void> {
    await this.commit([{ type: 'kill-switch-set', state, ...(loop !== undefined ? { loop } : {}) }]);
    this.deps.log.warn(`kill switch ${state} for ${loop ?? 'every loop'} by ${actor}: ${reason}`, { killSwitch: this.current.killSwitch });
  }

  /**
   * Finishes what the claims say was in flight when the executor last stopped (see recovery.ts).
   * Resolves once each is reported or launched (its verification runs in the background, as a
   * run's does), so call it before consuming: a decision delivered again meanwhile is ignored as
   * in flight, and once reported as handled.
   */
  async recover(): Promise<number> {
    const claims = this.deps.claims.unfinished();
    for (const claim of claims) await this.resume(claim);
    return claims.length;
  }

  /** True when every run finished within `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.pool.drain(timeoutMs);
  }

  /** Cuts the runs still going short: they report nothing now; their claims are finished by recover() at the next start. */
  abandonRuns(): void {
    this.cut.abort();
  }

  private async perform(effect: ApprovalEffect): Promise<void> {
    if (effect.effect !== 'settle') return;
    const { decision, verdict } = effect;
    const id = decision.decisionId;
    if (verdict.verdict === 'approve') {
      this.deps.log.info(`decision ${id} approved by ${verdict.actor}: ${verdict.reason}`, { decisionId: id });
      await this.start(decision, effect.traceparent);
      return;
    }
    this.deps.log.info(`decision ${id} rejected by ${verdict.actor}: ${verdict.reason}`, { decisionId: id });
    await this.report(decision, rejected(verdict));
  }

  private async dryRun(decision: DecisionMade): Promise<void> {
    if (this.inFlight.has(decision.decisionId)) return;
    this.inFlight.add(decision.decisionId);
    try {
      const repair = this.repairOf(decision);
      if (repair !== undefined) {
        await this.report(decision, await this.proposeRepair(repair));
        return;
      }
      const prepared = this.prepare(decision);
      await this.report(decision, dryRun(prepared.ok ? { call: describeCall(prepared.run.call) } : prepared));
    } finally {
      this.inFlight.delete(decision.decisionId);
    }
  }

  /**
   * Checks, claims (durably) and launches the run; returns once the claim is on disk. The
   * decision is reserved in memory before the first await, so two deliveries racing each other
   * (two approvals at once) cannot both claim it.
   */
  private async start(decision: DecisionMade, traceparent: string | undefined): Promise<void> {
    const id = decision.decisionId;
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    let launched = false;
    let claimedBefore = false;
    try {
      if (await this.deps.outcomes.has(id)) return;
      if (await this.deps.claims.has(id)) {
        claimedBefore = true;
        return;
      }
      const scope = killSwitchScope(this.current, decision.loop);
      if (scope !== undefined) {
        await this.report(decision, stoppedByKillSwitch(scope));
        return;
      }
      const repair = this.repairOf(decision);
      if (repair !== undefined) {
        launched = await this.launchRepair(repair, traceparent);
        return;
      }
      const prepared = this.prepare(decision, traceparent);
      if (!prepared.ok) {
        this.deps.log.warn(`decision ${id} cannot run: ${prepared.code}: ${prepared.message}`, { decisionId: id });
        await this.report(decision, notRunnable(prepared.code, prepared.message));
        return;
      }
      // If this throws, nothing was claimed or run, and the bus retries the message.
      await this.deps.claims.record({
        id,
        phase: 'claimed',
        at: this.now(),
        decision: prepared.run.decision,
        ...(traceparent ? { traceparent } : {}),
      });
      const run = prepared.run;
      const inTrace = this.deps.inTrace ?? ((_traceparent, task) => task());
      this.pool.launch(
        () => inTrace(run.traceparent, () => this.execute(run)),
        (error) => this.deps.log.error(`run of decision ${id} failed unexpectedly: ${String(error)}`, { decisionId: id }),
      );
      launched = true;
    } finally {
      if (!launched) this.inFlight.delete(id);
    }
    // After the reservation above is released: resuming reserves the decision itself.
    if (claimedBefore) await this.resumeClaimed(decision);
  }

  /** The one place the executor tells the loop kinds apart: a repair loop's decisions go to the VCS adapter. */
  private repairOf(decision: DecisionMade): { decision: DecisionMade & { action: ActionCall }; spec: LoopSpec } | undefined {
    const spec = this.loops.get(decision.loop);
    const action = decision.action;
    return spec?.spec.kind === 'repair' && action !== null ? { decision: { ...decision, action }, spec } : undefined;
  }

  private async proposeRepair({
    decision,
    spec,
  }: {
    decision: DecisionMade & { action: ActionCall };
    spec: LoopSpec;
  }): Promise<OutcomeInit> {
    const repair = this.deps.repair;
    if (repair === undefined) return dryRun({ code: 'ADAPTER_UNSUPPORTED', message: 'this executor has no VCS adapter for repair loops' });
    try {
      const where = await repair.propose(decision, spec);
      return dryRun({ call: { fix: decision.action.name, recorded: where } });
    } catch (error) {
      return dryRun({ code: 'ADAPTER_FAILED', message: `the proposal could not be recorded: ${String(error)}` });
    }
  }

  /**
   * Proposes a repair decision that waits for a person in the background, as a validation runs:
   * making its patch runs the project's commands, which can take minutes, and the consumer must
   * not be held up meanwhile. An approval that comes before the proposal is written starts the
   * validation after it (launchRepair), so the pull request's comment ends with the validation.
   */
  private launchProposal(decision: DecisionMade): void {
    if (this.deps.repair === undefined || this.repairOf(decision) === undefined) return;
    const id = decision.decisionId;
    let written: () => void = () => undefined;
    this.proposals.set(id, new Promise<void>((resolve) => (written = resolve)));
    this.pool.launch(
      () =>
        this.proposeWhileWaiting(decision).finally(() => {
          this.proposals.delete(id);
          written();
        }),
      (error) => this.deps.log.error(`the proposal of decision ${id} failed unexpectedly: ${String(error)}`, { decisionId: id }),
    );
  }

  /**
   * A repair decision waiting for a person: its fix goes on the pull request as a patch with the
   * command that applies it and whether the project's commands pass with it, so the person can
   * apply it as well as approve it. No outcome: the decision is still waiting; a forge that could
   * not be written is logged.
   */
  private async proposeWhileWaiting(decision: DecisionMade): Promise<void> {
    const repair = this.repairOf(decision);
    if (repair === undefined || this.deps.repair === undefined) return;
    try {
      const where = await this.deps.repair.propose(repair.decision, repair.spec);
      this.deps.log.info(`decision ${decision.decisionId}: the fix is proposed (${where})`, { decisionId: decision.decisionId });
    } catch (error) {
      this.deps.log.warn(`decision ${decision.decisionId}: the proposal could not be recorded: ${String(error)}`, {
        decisionId: decision.decisionId,
      });
    }
  }

  /** Claims a repair decision and launches its validation; true once launched (false: reported instead). */
  private async launchRepair(
    { decision, spec }: { decision: DecisionMade & { action: ActionCall }; spec: LoopSpec },
    traceparent: string | undefined,
  ): Promise<boolean> {
    const id = decision.decisionId;
    const repair = this.deps.repair;
    if (repair === undefined) {
      await this.report(decision, notRunnable('ADAPTER_UNSUPPORTED', 'this executor has no VCS adapter for repair loops'));
      return false;
    }
    await this.deps.claims.record({ id, phase: 'claimed', at: this.now(), decision, ...(traceparent ? { traceparent } : {}) });
    const inTrace = this.deps.inTrace ?? ((_traceparent, task) => task());
    const launch = (): void =>
      this.pool.launch(
        () => inTrace(traceparent, () => this.executeRepair(decision, spec, repair)),
        (error) => this.deps.log.error(`repair of decision ${id} failed unexpectedly: ${String(error)}`, { decisionId: id }),
      );
    // Approved while its proposal is being made: the proposal's comment first, then the validation's.
    // Launched only then, so a validation never holds a slot of the pool waiting for a proposal that needs one.
    const proposal = this.proposals.get(id);
    if (proposal === undefined) launch();
    else void proposal.then(launch);
    return true;
  }

  private async executeRepair(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec, repair: RepairActuator): Promise<void> {
    const startedMs = this.clock.now();
    const startedAt = new Date(startedMs).toISOString();
    const deadline = new Date(startedMs + parseDuration(spec.spec.verification.deadline)).toISOString();
    try {
      await this.deps.sink.started({
        decisionId: decision.decisionId,
        incidentId: decision.incidentId,
        loop: decision.loop,
        target: decision.target,
        fingerprint: decision.fingerprint,
        action: decision.action,
        dryRun: false,
        startedAt,
        deadline,
      });
    } catch (error) {
      await this.report(decision, notStarted(startedAt, error));
      return;
    }
    await this.deps.claims.record({ id: decision.decisionId, phase: 'calling', startedAt, deadline });
    this.deps.log.info(`validating ${decision.action.name} for decision ${decision.decisionId} on ${decision.target}`, {
      decisionId: decision.decisionId,
    });
    const outcome = await repair.apply(decision, spec, this.cut.signal);
    if (this.cut.signal.aborted) return;
    await this.report(decision, { ...outcome, startedAt });
  }

  private prepare(decision: DecisionMade, traceparent?: string): ReturnType<typeof prepareRun> {
    const loaded = loadedVersionIfDifferent(decision, this.loops);
    if (loaded !== undefined) {
      this.deps.log.warn(
        `decision ${decision.decisionId} was made under ${decision.loop} ${decision.loopVersion}; verifying with the loaded ${loaded}`,
        { decisionId: decision.decisionId },
      );
    }
    return prepareRun(decision, { loops: this.loops, env: this.deps.env, traceparent });
  }

  private async execute(run: PreparedRun): Promise<void> {
    const outcome = await runClaimed(run, this.runDeps(), this.cut.signal);
    if (outcome !== undefined) await this.report(run.decision, outcome);
  }

  private runDeps(): RunDeps {
    const { runner, probe, env, sink, log, claims, routeMetrics } = this.deps;
    return {
      runner,
      probe,
      clock: this.clock,
      env,
      started: (event) => sink.started(event),
      record: (e) => claims.record(e),
      log,
      ...(routeMetrics === undefined ? {} : { routeMetrics }),
    };
  }

  /** A decision delivered again after it was claimed: finished from its claim, never run again. */
  private async resumeClaimed(decision: DecisionMade): Promise<void> {
    const claim = this.deps.claims.unfinished().find((c) => c.decision.decisionId === decision.decisionId);
    if (claim) await this.resume(claim);
    else await this.reportAlreadyClaimed(decision);
  }

  /** One claim found unfinished: reported, or its run finished in the background (recovery.ts). */
  private async resume(claim: Claim): Promise<void> {
    const { decision } = claim;
    const id = decision.decisionId;
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    let launched = false;
    try {
      const plan = planRecovery(claim, await this.deps.outcomes.has(id), this.clock.now());
      switch (plan.step) {
        case 'nothing':
          await this.finishClaim(id);
          return;
        case 'report':
          this.deps.log.warn(`decision ${id} was claimed but never sent before the executor stopped: reporting it not applied`, {
            decisionId: id,
          });
          await this.report(decision, plan.outcome);
          return;
        case 'finish': {
          const repair = this.repairOf(decision);
          if (repair !== undefined) {
            launched = await this.launchRepairResume(repair, claim, plan.applied);
            return;
          }
          const prepared = this.prepare(decision, claim.traceparent);
          if (!prepared.ok) {
            const message = `cannot verify or roll back decision ${id} after a restart: ${prepared.code}: ${prepared.message}`;
            this.deps.log.error(message, { decisionId: id });
            await this.report(
              decision,
              markRecovered({
                status: 'failed',
                applied: true,
                startedAt: claim.call?.startedAt ?? claim.claimedAt,
                verification: { passed: false, checks: [], detail: message },
                timeToRecoverMs: null,
                error: { code: prepared.code, message },
              }),
            );
            return;
          }
          const run = prepared.run;
          const inTrace = this.deps.inTrace ?? ((_traceparent, task) => task());
          this.pool.launch(
            () => inTrace(run.traceparent, () => this.finishRecovered(run, plan.applied)),
            (error) => this.deps.log.error(`recovery of decision ${id} failed unexpectedly: ${String(error)}`, { decisionId: id }),
          );
          launched = true;
          return;
        }
      }
    } finally {
      if (!launched) this.inFlight.delete(id);
    }
  }

  /**
   * A repair in flight when the executor stopped: resumed by the VCS adapter from what the remote
   * holds (never pushed twice), in the background; action.started went out before the stop and
   * is not published again. True once launched (false: reported instead).
   */
  private async launchRepairResume(
    { decision, spec }: { decision: DecisionMade & { action: ActionCall }; spec: LoopSpec },
    claim: Claim,
    applied: AppliedRun,
  ): Promise<boolean> {
    const id = decision.decisionId;
    const startedAt = claim.call?.startedAt ?? claim.claimedAt;
    const repair = this.deps.repair;
    if (repair === undefined) {
      const message = `cannot resume the repair of decision ${id} after a restart: this executor has no VCS adapter for repair loops`;
      this.deps.log.error(message, { decisionId: id });
      await this.report(
        decision,
        markRecovered({
          status: 'failed',
          // What the interrupted run did is unknown and nothing was looked at: no lesson either way.
          applied: false,
          startedAt,
          verification: { passed: false, checks: [], detail: message },
          timeToRecoverMs: null,
          error: { code: 'ADAPTER_UNSUPPORTED', message },
        }),
      );
      return false;
    }
    this.deps.log.warn(
      `the repair of decision ${id} was in flight when the executor stopped: looking for its fix on the remote, else validating it again until ${new Date(applied.deadlineMs).toISOString()}`,
      { decisionId: id },
    );
    const inTrace = this.deps.inTrace ?? ((_traceparent, task) => task());
    this.pool.launch(
      () =>
        inTrace(claim.traceparent, async () => {
          const outcome = await repair.resume(decision, spec, applied.deadlineMs, this.cut.signal);
          if (this.cut.signal.aborted) return;
          await this.report(decision, markRecovered({ ...outcome, startedAt }));
        }),
      (error) => this.deps.log.error(`resuming the repair of decision ${id} failed unexpectedly: ${String(error)}`, { decisionId: id }),
    );
    return true;
  }

  private async finishRecovered(run: PreparedRun, applied: AppliedRun): Promise<void> {
    const outcome = await recoverApplied(run, applied, this.runDeps(), this.cut.signal);
    if (outcome !== undefined) await this.report(run.decision, outcome);
  }

  /** Marks a claim finished; failing that only means the next start sees its outcome was out. */
  private async finishClaim(id: string): Promise<void> {
    try {
      if (await this.deps.claims.has(id)) await this.deps.claims.record({ id, phase: 'finished' });
    } catch (error) {
      this.deps.log.warn(`the claim of decision ${id} could not be marked finished: ${String(error)}`, { decisionId: id });
    }
  }

  private async reportAlreadyClaimed(decision: DecisionMade): Promise<void> {
    this.deps.log.warn(`decision ${decision.decisionId} was claimed before (a restart mid-action?): not running it again`, {
      decisionId: decision.decisionId,
    });
    await this.report(decision, alreadyClaimed(decision.decisionId));
  }

  private async report(decision: DecisionMade, init: OutcomeInit): Promise<void> {
    const action = decision.action;
    if (action === null) return; // escalations have no outcome
    const data = outcomeOf({ ...decision, action }, init, this.now());
    try {
      await this.deps.sink.outcome(data);
      await this.deps.outcomes.add(decision.decisionId);
      await this.finishClaim(decision.decisionId);
      this.deps.log.info(`outcome of decision ${decision.decisionId}: ${data.status}${data.error ? ` (${data.error.code})` : ''}`, {
        decisionId: decision.decisionId,
        status: data.status,
        timeToRecoverMs: data.timeToRecoverMs,
      });
    } finally {
      this.inFlight.delete(decision.decisionId);
    }
  }

  private async commit(changes: readonly StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    this.current = changes.reduce(evolve, this.current);
    await this.deps.state.sink.save(this.current);
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

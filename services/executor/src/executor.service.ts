import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { EventPublisher, FileIdempotencyStore } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import type { DecisionMade, LoopSpec } from '@homeostat/contracts';
import {
  Executor,
  httpProbe,
  realClock,
  type ActionRunner,
  type Environment,
  type ExecutionSink,
  type RepairActuator,
} from '@homeostat/execution';
import { CONFIG, LOGGER, LOOPS, PEERS } from '@homeostat/runtime';
import { contextFromTraceparent, type ComponentLogger, type JsonLogger } from '@homeostat/telemetry';
import { learnerRouteMetrics } from './adapters/learner-route-metrics';
import { ClaimJournalStore } from './claim-journal.store';
import { ExecutorStateStore } from './executor-state.store';

/** The environment `${VAR}` templates in action params read from, captured once at start. */
export const ACTION_ENV = Symbol('homeostat.executor.action-env');
/** The ActionRunner that sends prepared calls through their adapters (HTTP, Kubernetes API). */
export const ACTION_RUNNER = Symbol('homeostat.executor.action-runner');
/** The VCS adapter of repair loops (git work trees, the project's own tests, the forge). */
export const REPAIR_ACTUATOR = Symbol('homeostat.executor.repair-actuator');

const PUBLISH_ATTEMPTS = 5;
const PUBLISH_BACKOFF_MS = 200;
/** Share of the shutdown timeout spent waiting for running actions; the rest closes the bus. */
const DRAIN_SHARE = 0.6;

/**
 * The executor stage in Nest: opens the durable stores under `<dataDir>/executor` (claims.jsonl,
 * outcomes.ids, state.json), hands them with the bus and the adapters to the Executor of
 * @homeostat/execution, finishes what was in flight when it last stopped before the runtime
 * subscribes it to decisions, and drains running actions at shutdown.
 */
@Injectable()
export class ExecutorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log: ComponentLogger;
  private readonly stateStore: ExecutorStateStore;
  private claims: ClaimJournalStore | undefined;
  private outcomes: FileIdempotencyStore | undefined;
  private started: Executor | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(ACTION_ENV) private readonly env: Environment,
    @Inject(LOOPS) private readonly specs: readonly LoopSpec[],
    @Inject(ACTION_RUNNER) private readonly runner: ActionRunner,
    @Inject(REPAIR_ACTUATOR) private readonly repair: RepairActuator,
    private readonly publisher: EventPublisher,
    @Inject(PEERS) private readonly peers: ReadonlyMap<string, string>,
  ) {
    this.log = logger.child('Executor');
    this.stateStore = new ExecutorStateStore(join(config.dataDir, 'executor', 'state.json'));
  }

  async onApplicationBootstrap(): Promise<void> {
    const dir = join(this.config.dataDir, 'executor');
    this.claims = await ClaimJournalStore.open(join(dir, 'claims.jsonl'), {
      capacity: this.config.consumer.idempotencyCapacity,
      legacyIdsPath: join(dir, 'claims.ids'),
    });
    this.outcomes = await FileIdempotencyStore.open(join(dir, 'outcomes.ids'), this.config.consumer.idempotencyCapacity);
    const state = await this.stateStore.load();
    this.started = new Executor({
      loops: this.specs,
      env: this.env,
      runner: this.runner,
      repair: this.repair,
      probe: httpProbe(),
      claims: this.claims,
      outcomes: this.outcomes,
      sink: this.sink(),
      state: { initial: state, sink: this.stateStore },
      log: this.log,
      routeMetrics: learnerRouteMetrics(() => this.peers.get('learner') ?? this.config.urls.learner),
      inTrace: (traceparent, run) => context.with(contextFromTraceparent(traceparent), run),
    });
    // The runtime subscribes only once this hook has resolved: what the claims say was in flight
    // is reported or resuming before any decision is consumed.
    const recovering = await this.started.recover();
    const { loops } = this.started.snapshot();
    this.log.info(
      `executor ready: ${loops.length} loop(s), ${state.pending.length} decision(s) waiting for approval, ${recovering} claimed decision(s) left unfinished by the last run`,
      { loops, killSwitch: state.killSwitch },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const executor = this.started;
    if (executor) {
      const budget = Math.round(this.config.shutdownTimeoutMs * DRAIN_SHARE);
      const { pool } = executor.snapshot();
      if (pool.running + pool.waiting > 0)
        this.log.info(`waiting up to ${budget} ms for ${pool.running} running and ${pool.waiting} queued action(s)`);
      if (!(await executor.drain(budget))) {
        // What is cut short publishes no outcome now: its claim is finished at the next start.
        this.log.warn(`actions still running after ${budget} ms: abandoning them (${executor.snapshot().running.join(', ')})`);
        executor.abandonRuns();
        await executor.drain(1_000);
      }
    }
    await this.claims?.close();
    await this.outcomes?.close();
  }

  snapshot(): Record<string, unknown> {
    return this.started?.snapshot() ?? {};
  }

  onDecision(decision: DecisionMade, traceparent?: string): Promise<void> {
    return this.executor.onDecision(decision, traceparent);
  }

  onApproval(decisionId: string, actor: string, reason: string): Promise<void> {
    return this.executor.onVerdict({ decisionId, verdict: 'approve', actor, reason });
  }

  onRejection(decisionId: string, actor: string, reason: string): Promise<void> {
    return this.executor.onVerdict({ decisionId, verdict: 'reject', actor, reason });
  }

  onKillSwitch(state: 'on' | 'off', loop: string | undefined, actor: string, reason: string): Promise<void> {
    return this.executor.onKillSwitch(state, loop, actor, reason);
  }

  private get executor(): Executor {
    if (!this.started) throw new Error('the executor is not started yet');
    return this.started;
  }

  /** loop.outcomes, with a few retries: an action.started that cannot be published stops the run before the adapter. */
  private sink(): ExecutionSink {
    return {
      started: (data) =>
        this.withRetry('action.started', () => this.publisher.publish('homeostat.action.started.v1', { subject: data.target, data })),
      outcome: (data) =>
        this.withRetry('outcome.recorded', () => this.publisher.publish('homeostat.outcome.recorded.v1', { subject: data.target, data })),
    };
  }

  private async withRetry(what: string, publish: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await publish();
        return;
      } catch (error) {
        if (attempt >= PUBLISH_ATTEMPTS) {
          this.log.error(`publishing ${what} failed ${attempt} times: ${String(error)}`);
          throw error;
        }
        await realClock.sleep(PUBLISH_BACKOFF_MS * 2 ** (attempt - 1));
      }
    }
  }
}

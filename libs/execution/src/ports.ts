import type { ActionStarted, OutcomeRecorded } from '@homeostat/contracts';
import type { ExecutorState } from './executor-state';

/** Ids already seen, kept durably: the decisions claimed, and those whose outcome was published. */
export interface DedupeStore {
  has(id: string): Promise<boolean>;
  /** Resolves once the id is durable. */
  add(id: string): Promise<void>;
}

/** Where the executor's events go (loop.outcomes). Each rejects when its event could not be published. */
export interface ExecutionSink {
  started(event: ActionStarted): Promise<void>;
  outcome(event: OutcomeRecorded): Promise<void>;
}

/** Keeps the approval inbox and the kill switch across restarts. */
export interface ExecutorStateSink {
  /** Resolves once this state (or a later one) is durable. */
  save(state: ExecutorState): Promise<void>;
}

export interface ExecutionLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

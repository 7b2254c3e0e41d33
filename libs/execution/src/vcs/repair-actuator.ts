import type { ActionCall, DecisionMade, LoopSpec } from '@homeostat/contracts';
import type { OutcomeInit } from '../outcome';

/**
 * The executor's port for loops of kind `repair`: a decision's fix is validated in a real work
 * tree with the project's own commands and pushed to the fix branch when they pass, and the pull
 * request's comment and status are updated. The implementation (git, the forge) is the executor
 * service's; the Executor only dispatches to it.
 */
export interface RepairActuator {
  /** Validates and, on a pass, pushes the decision's fix. Never rejects: a failure is an outcome. */
  apply(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec, signal: AbortSignal): Promise<OutcomeInit>;
  /**
   * Finishes a repair that was in flight when the executor stopped (see planRepairResume): the
   * fix found on the push branch is reported from the remote; else it is validated again, until
   * `deadlineMs` (the claim's), and pushed on a pass; past it, reported failed without running.
   * Never rejects; never pushes a decision's fix twice.
   */
  resume(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec, deadlineMs: number, signal: AbortSignal): Promise<OutcomeInit>;
  /**
   * The diagnosis and the proposed fix recorded where people read them; nothing is validated or
   * pushed. In shadow (a dry run) that is all; a decision waiting for approval (propose) gets the
   * fix's patch too, with the one command that applies it. Returns what was recorded where.
   */
  propose(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec): Promise<string>;
}

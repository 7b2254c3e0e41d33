import type { DecisionMade } from '@homeostat/contracts';

/** A decision waiting for a person (mode approval-required). */
export interface PendingApproval {
  decision: DecisionMade;
  receivedAt: string;
  /** The decision's trace, so the run after approval stays in the loop iteration's trace. */
  traceparent?: string;
}

/** A person's verdict on a decision that waits for approval. */
export interface Verdict {
  decisionId: string;
  verdict: 'approve' | 'reject';
  actor: string;
  reason: string;
  at: string;
}

/** A verdict that arrived before its decision (loop.control and loop.decisions are not ordered). */
export type EarlyVerdict = Verdict;

export interface KillSwitchState {
  global: boolean;
  loops: string[];
}

/**
 * What the executor must not forget across a restart besides its claims: the approval inbox
 * (decisions waiting, verdicts that came first) and the kill switch.
 */
export interface ExecutorState {
  pending: PendingApproval[];
  killSwitch: KillSwitchState;
  verdicts: EarlyVerdict[];
}

export const emptyExecutorState = (): ExecutorState => ({ pending: [], killSwitch: { global: false, loops: [] }, verdicts: [] });

/** Early verdicts kept: a bound, so verdicts for decisions that never come cannot grow the file forever. */
export const MAX_EARLY_VERDICTS = 1_000;

/** One change to the state; `evolve` applies it to whatever the state is when it is committed. */
export type StateChange =
  | { type: 'approval-awaited'; pending: PendingApproval }
  | { type: 'approval-settled'; decisionId: string }
  | { type: 'verdict-kept'; verdict: EarlyVerdict }
  | { type: 'verdict-used'; decisionId: string }
  | { type: 'kill-switch-set'; state: 'on' | 'off'; loop?: string };

export function evolve(state: ExecutorState, change: StateChange): ExecutorState {
  switch (change.type) {
    case 'approval-awaited':
      return { ...state, pending: [...state.pending, change.pending] };
    case 'approval-settled':
      return { ...state, pending: state.pending.filter((p) => p.decision.decisionId !== change.decisionId) };
    case 'verdict-kept':
      return {
        ...state,
        verdicts: [...state.verdicts.filter((v) => v.decisionId !== change.verdict.decisionId), change.verdict].slice(-MAX_EARLY_VERDICTS),
      };
    case 'verdict-used':
      return { ...state, verdicts: state.verdicts.filter((v) => v.decisionId !== change.decisionId) };
    case 'kill-switch-set': {
      const ks = state.killSwitch;
      const on = change.state === 'on';
      const loop = change.loop;
      const killSwitch =
        loop === undefined
          ? { ...ks, global: on }
          : { ...ks, loops: on ? [...new Set([...ks.loops, loop])] : ks.loops.filter((l) => l !== loop) };
      return { ...state, killSwitch };
    }
  }
}

/**
 * A transition: what to do now, and the changes to commit once it is done. The changes are
 * committed after the effect so that a crash in between leaves the decision waiting (its run,
 * once claimed, is never repeated), and they are applied to the state as it is then, so a kill
 * switch flipped meanwhile is not lost.
 */
export interface Transition<E> {
  effect: E;
  changes: StateChange[];
}

export type ApprovalEffect =
  /** Run (approve) or report rejected (reject) the decision. */
  | { effect: 'settle'; decision: DecisionMade; verdict: Verdict; traceparent?: string }
  /** Keep the verdict for a decision not seen yet. */
  | { effect: 'keep' }
  /** The decision is no longer waiting (run, reported, or claimed): the verdict changes nothing. */
  | { effect: 'ignore' }
  /** The decision waits for a person. */
  | { effect: 'wait' };

export function isAwaitingApproval(state: ExecutorState, decisionId: string): boolean {
  return state.pending.some((p) => p.decision.decisionId === decisionId);
}

/**
 * A person's verdict. `handled` says whether the decision was already claimed, is running or has
 * an outcome; it only matters when the decision is not waiting.
 */
export function onVerdict(state: ExecutorState, verdict: Verdict, handled: boolean): Transition<ApprovalEffect> {
  const pending = state.pending.find((p) => p.decision.decisionId === verdict.decisionId);
  if (pending) {
    return {
      effect: {
        effect: 'settle',
        decision: pending.decision,
        verdict,
        ...(pending.traceparent !== undefined ? { traceparent: pending.traceparent } : {}),
      },
      changes: [{ type: 'approval-settled', decisionId: verdict.decisionId }],
    };
  }
  if (handled) return { effect: { effect: 'ignore' }, changes: [] };
  return { effect: { effect: 'keep' }, changes: [{ type: 'verdict-kept', verdict }] };
}

/** A decision that needs approval: settled at once by a verdict that came first, otherwise it waits. */
export function onApprovalRequired(
  state: ExecutorState,
  decision: DecisionMade,
  traceparent: string | undefined,
  receivedAt: string,
): Transition<ApprovalEffect> {
  const id = decision.decisionId;
  const early = state.verdicts.find((v) => v.decisionId === id);
  const trace = traceparent !== undefined ? { traceparent } : {};
  if (early)
    return { effect: { effect: 'settle', decision, verdict: early, ...trace }, changes: [{ type: 'verdict-used', decisionId: id }] };
  if (isAwaitingApproval(state, id)) return { effect: { effect: 'ignore' }, changes: [] };
  return { effect: { effect: 'wait' }, changes: [{ type: 'approval-awaited', pending: { decision, receivedAt, ...trace } }] };
}

/** Why no action of `loop` may start ('globally', 'for loop x'), or undefined when none stops it. */
export function killSwitchScope(state: ExecutorState, loop: string): string | undefined {
  if (state.killSwitch.global) return 'globally';
  return state.killSwitch.loops.includes(loop) ? `for loop ${loop}` : undefined;
}

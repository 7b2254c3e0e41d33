import type { ActionCall, LoopSpec, OutcomeErrorCode } from '@homeostat/contracts';

/** The inverse of an action, as the executor would call it. */
export interface InverseCall {
  call: ActionCall;
  timeoutSeconds?: number;
}

/**
 * The inverse of `actionName` in the loop's catalog: another action named by `inverse` (with
 * its own params and timeout), or the inline `{ adapter, params }`, named `<action>-inverse`.
 */
export function inverseOf(spec: LoopSpec, actionName: string): InverseCall | undefined {
  const action = spec.spec.actions.find((a) => a.name === actionName);
  const inverse = action?.inverse;
  if (inverse === undefined) return undefined;
  if (typeof inverse === 'string') {
    const named = spec.spec.actions.find((a) => a.name === inverse);
    if (named === undefined) return undefined; // the spec schema rejects this; defensive only
    return {
      call: { name: named.name, adapter: named.adapter, params: named.params },
      ...(named.timeoutSeconds !== undefined ? { timeoutSeconds: named.timeoutSeconds } : {}),
    };
  }
  return {
    call: { name: `${actionName}-inverse`, adapter: inverse.adapter, params: inverse.params },
    ...(action?.timeoutSeconds !== undefined ? { timeoutSeconds: action.timeoutSeconds } : {}),
  };
}

/** What follows an action, given what happened so far. */
export type NextStep =
  | { step: 'report'; status: 'succeeded' }
  | { step: 'report'; status: 'failed'; code: Extract<OutcomeErrorCode, 'ADAPTER_FAILED' | 'VERIFICATION_FAILED'> }
  | { step: 'rollback'; inverse: InverseCall };

/**
 * The rollback rule. An action the target did not accept (network error, timeout, unexpected
 * status) is reported failed and *not* rolled back: the actuator said it did not take it, and
 * an inverse of something not taken can itself do harm (a config rollback would undo the
 * change before it). An accepted action whose verification fails is rolled back when it has an
 * inverse, otherwise reported failed.
 */
export function nextStep(accepted: boolean, verified: boolean, inverse: InverseCall | undefined): NextStep {
  if (!accepted) return { step: 'report', status: 'failed', code: 'ADAPTER_FAILED' };
  if (verified) return { step: 'report', status: 'succeeded' };
  if (inverse !== undefined) return { step: 'rollback', inverse };
  return { step: 'report', status: 'failed', code: 'VERIFICATION_FAILED' };
}

/**
 * After a rollback: `rolled-back` only when the target accepted the inverse; an inverse that
 * failed leaves the target in an unknown state, which is a failure people must see.
 */
export function statusAfterRollback(
  inverseAccepted: boolean,
): { status: 'rolled-back' } | { status: 'failed'; code: Extract<OutcomeErrorCode, 'ROLLBACK_FAILED'> } {
  return inverseAccepted ? { status: 'rolled-back' } : { status: 'failed', code: 'ROLLBACK_FAILED' };
}

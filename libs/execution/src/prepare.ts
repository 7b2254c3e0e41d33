import type { ActionCall, DecisionMade, LoopSpec, OutcomeErrorCode } from '@homeostat/contracts';
import { prepareCall, type PreparedCall } from './adapters/action-runner';
import { TemplateError, type Environment, type TemplateContext } from './adapters/template';
import { inverseOf, type InverseCall } from './rollback';
import { planExperimentVerification, planVerification, type VerificationPlan } from './verification/verification-plan';

/** For an action whose loop gives it no timeout. */
export const DEFAULT_ACTION_TIMEOUT_SECONDS = 30;

/** A decision whose action is known: everything resolved before it is claimed. */
export interface PreparedRun {
  decision: DecisionMade & { action: ActionCall };
  traceparent: string | undefined;
  spec: LoopSpec;
  call: PreparedCall;
  verification: VerificationPlan;
  inverse: InverseCall | undefined;
  templateContext: TemplateContext;
}

export type Prepared = { ok: true; run: PreparedRun } | { ok: false; code: OutcomeErrorCode; message: string };

export interface PrepareInput {
  loops: ReadonlyMap<string, LoopSpec>;
  /** What `${VAR}` in params and health URLs reads. */
  env: Environment;
  traceparent?: string | undefined;
}

/**
 * Everything that can be checked before the claim, so a bad decision fails without running: the
 * loop is loaded, the action's params and templates resolve for its adapter, and so do the
 * verification and the inverse.
 */
export function prepareRun(decision: DecisionMade, input: PrepareInput): Prepared {
  const action = decision.action;
  if (action === null) return { ok: false, code: 'ADAPTER_PARAMS_INVALID', message: 'the decision names no action' };
  const spec = input.loops.get(decision.loop);
  if (!spec) {
    return {
      ok: false,
      code: 'LOOP_UNKNOWN',
      message: `loop ${decision.loop} (version ${decision.loopVersion}) is not loaded by this executor (loaded: ${[...input.loops.keys()].join(', ') || 'none'})`,
    };
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
  const built = prepareCall(action, {
    context: templateContext,
    env: input.env,
    idempotencyKey: decision.decisionId,
    timeoutMs: timeoutSeconds * 1000,
  });
  if (!built.ok) return built;
  let verification: VerificationPlan;
  try {
    // The kinds of loop verify differently: an optimize decision by its experiment's guard metrics.
    verification =
      decision.experiment !== undefined
        ? planExperimentVerification(spec.spec.verification, decision.experiment, decision.target)
        : planVerification(spec.spec.verification, templateContext, input.env);
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, code: 'TEMPLATE_INVALID', message: `verification: ${error.message}` };
    throw error;
  }
  return {
    ok: true,
    run: {
      decision: { ...decision, action },
      traceparent: input.traceparent,
      spec,
      call: built.prepared,
      verification,
      inverse: inverseOf(spec, action.name),
      templateContext,
    },
  };
}

/** The loaded spec's version when it is not the one the decision was made under (it verifies anyway). */
export function loadedVersionIfDifferent(decision: DecisionMade, loops: ReadonlyMap<string, LoopSpec>): string | undefined {
  const spec = decision.action === null ? undefined : loops.get(decision.loop);
  return spec !== undefined && String(spec.metadata.version) !== decision.loopVersion ? String(spec.metadata.version) : undefined;
}

import { parseDuration, type LoopSpec } from '@homeostat/contracts';
import { renderUrl, type Environment, type TemplateContext } from '../adapters/template';
import type { HealthCheckPlan } from './health-check';

/**
 * How an action's result is verified, from the loop's `verification`: a health check, or (for a
 * loop that only declares a metric, which this executor cannot evaluate yet) a verdict of
 * failure with the reason, so the outcome says why rather than pretending success.
 */
export type VerificationPlan =
  | { kind: 'health-check'; deadlineMs: number; healthCheck: HealthCheckPlan; note?: string }
  | { kind: 'unsupported'; deadlineMs: number; detail: string };

const METRIC_UNSUPPORTED = 'metric verification is not supported by this executor yet';

/** Throws TemplateError when the health URL's template cannot be filled. */
export function planVerification(
  verification: LoopSpec['spec']['verification'],
  context: TemplateContext,
  env: Environment,
): VerificationPlan {
  const deadlineMs = parseDuration(verification.deadline);
  const hc = verification.healthCheck;
  if (hc === undefined) {
    return {
      kind: 'unsupported',
      deadlineMs,
      detail: `${METRIC_UNSUPPORTED} and the loop declares no health check: the result cannot be verified`,
    };
  }
  return {
    kind: 'health-check',
    deadlineMs,
    healthCheck: {
      url: renderUrl(hc.url, context, env),
      expectStatus: hc.expectStatus,
      consecutive: hc.consecutive,
      intervalMs: parseDuration(hc.interval),
    },
    ...(verification.metric !== undefined
      ? { note: `${METRIC_UNSUPPORTED}: only the health check was evaluated (metric ${verification.metric.name} ignored)` }
      : {}),
  };
}

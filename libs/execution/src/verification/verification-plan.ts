import { parseDuration, type Experiment, type LoopSpec } from '@homeostat/contracts';
import { TELEMETRY_LAG_MS } from './experiment-check';
import { renderUrl, type Environment, type TemplateContext } from '../adapters/template';
import type { HealthCheckPlan } from './health-check';

/**
 * How an action's result is verified, from the loop's `verification`: a health check, or (for a
 * loop that only declares a metric, which this executor cannot evaluate yet) a verdict of
 * failure with the reason, so the outcome says why rather than pretending success.
 */
export type VerificationPlan =
  | { kind: 'health-check'; deadlineMs: number; healthCheck: HealthCheckPlan; note?: string }
  | { kind: 'unsupported'; deadlineMs: number; detail: string }
  | { kind: 'experiment'; deadlineMs: number; experiment: Experiment; target: string };

/**
 * An optimize decision is verified by its experiment's guard metrics over the trial window (the
 * loop's health check says nothing about whether a knob helped); the deadline covers the window,
 * the mixed bucket the change landed in and the telemetry's lag.
 */
export function planExperimentVerification(
  verification: LoopSpec['spec']['verification'],
  experiment: Experiment,
  target: string,
): VerificationPlan {
  const needed = (experiment.trialBuckets + 2) * experiment.bucketMs + TELEMETRY_LAG_MS + 10_000;
  return { kind: 'experiment', deadlineMs: Math.max(parseDuration(verification.deadline), needed), experiment, target };
}

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

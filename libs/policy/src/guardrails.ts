import {
  needsApproval,
  parseDuration,
  type ActionSpec,
  type AutonomyLevel,
  type GuardrailCheck,
  type LoopSpec,
} from '@homeostat/contracts';
import { CIRCUIT_BREAKER, targetKey, type ActionStats, type PolicyState } from './policy-state';

/**
 * What a check means for the decision: `block` escalates to people, `wait` escalates too but only
 * until `retryAt` (time will lift it), `approval` and `dry-run` change the mode, `ok` changes nothing.
 */
export type GuardrailEffect = 'ok' | 'block' | 'wait' | 'approval' | 'dry-run';

export interface GuardrailResult {
  check: GuardrailCheck;
  effect: GuardrailEffect;
  /** For `wait`: when the check would pass (epoch ms). */
  retryAt?: number;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

function result(
  name: string,
  effect: GuardrailEffect,
  detail: string,
  values: GuardrailCheck['values'],
  retryAt?: number,
): GuardrailResult {
  return { check: { name, passed: effect === 'ok', detail, values }, effect, ...(retryAt === undefined ? {} : { retryAt }) };
}

export interface LoopGuardInput {
  state: PolicyState;
  loop: LoopSpec;
  target: string;
  now: number;
  /** A decision of this incident still waiting for its action or a person. */
  pendingDecisionId?: string;
}

/** The checks that hold whatever action is chosen, in the order people read them. */
export function loopGuardrails(input: LoopGuardInput): GuardrailResult[] {
  return [killSwitch(input), loopPaused(input), circuitBreaker(input), inFlight(input), budget(input), cooldown(input), blastRadius(input)];
}

export function killSwitch({ state, loop }: LoopGuardInput): GuardrailResult {
  const ks = state.guard.killSwitch;
  const forLoop = (ks.loops ?? []).includes(loop.metadata.name);
  const values = { global: ks.on, loop: forLoop, by: ks.by ?? null, reason: ks.reason ?? null };
  if (ks.on)
    return result('kill-switch', 'block', `the global kill switch is on (${ks.by ?? 'unknown'}: ${ks.reason ?? 'no reason'})`, values);
  if (forLoop) return result('kill-switch', 'block', `the kill switch of loop ${loop.metadata.name} is on`, values);
  return result('kill-switch', 'ok', 'off', values);
}

export function loopPaused({ state, loop, now }: LoopGuardInput): GuardrailResult {
  const pause = state.guard.pausedLoops[loop.metadata.name];
  const active = pause !== undefined && pause.by !== CIRCUIT_BREAKER && (pause.until === null || pause.until > now);
  const values = { paused: active, by: active ? pause.by : null, until: active ? iso(pause.until) : null };
  if (!active) return result('loop-paused', 'ok', 'the loop runs', values);
  const until = pause.until === null ? 'until resumed' : `until ${iso(pause.until)}`;
  return result('loop-paused', 'block', `paused by ${pause.by} ${until}: ${pause.reason}`, values);
}

export function circuitBreaker({ state, loop, now }: LoopGuardInput): GuardrailResult {
  const name = loop.metadata.name;
  const failures = state.guard.consecutiveFailures[name] ?? 0;
  const { consecutiveFailures: threshold, pauseFor } = loop.spec.guardrails.circuitBreaker;
  const pause = state.guard.pausedLoops[name];
  const breakerPause = pause?.by === CIRCUIT_BREAKER ? pause : undefined;
  const values = {
    consecutiveFailures: failures,
    threshold,
    pauseFor: pauseFor ?? null,
    pausedUntil: iso(breakerPause?.until),
  };
  if (breakerPause !== undefined && (breakerPause.until === null || breakerPause.until > now)) {
    const until = breakerPause.until === null ? 'until a person resumes the loop' : `until ${iso(breakerPause.until)}`;
    return result(
      'circuit-breaker',
      'block',
      `open: ${failures} consecutive failed verifications (threshold ${threshold}); the loop is paused ${until}`,
      values,
    );
  }
  if (breakerPause !== undefined) {
    return result('circuit-breaker', 'ok', `half-open: the pause ended; one more failure opens it again`, values);
  }
  if (failures >= threshold) {
    // Counted but not paused (the threshold was lowered since): treat as open until a person resumes.
    return result('circuit-breaker', 'block', `open: ${failures} consecutive failed verifications (threshold ${threshold})`, values);
  }
  return result('circuit-breaker', 'ok', `closed: ${failures} of ${threshold} consecutive failures`, values);
}

export function inFlight({ pendingDecisionId }: LoopGuardInput): GuardrailResult {
  const values = { pendingDecisionId: pendingDecisionId ?? null };
  if (pendingDecisionId === undefined) return result('in-flight', 'ok', 'no earlier decision of this incident is pending', values);
  return result('in-flight', 'block', `decision ${pendingDecisionId} of this incident is still pending`, values);
}

export function budget({ state, loop, target, now }: LoopGuardInput): GuardrailResult {
  const { maxActions, window, perTarget } = loop.spec.guardrails.budget;
  const windowMs = parseDuration(window);
  const name = loop.metadata.name;
  const inWindow = state.guard.actions
    .filter((a) => a.loop === name && (!perTarget || a.target === target) && a.at > now - windowMs)
    .map((a) => a.at)
    .sort((a, b) => a - b);
  const used = inWindow.length;
  const scope = perTarget ? `target ${target}` : `loop ${name}`;
  // The slot frees when enough of the oldest actions leave the window.
  const freeing = inWindow[used - maxActions];
  const retryAt = used < maxActions || maxActions === 0 || freeing === undefined ? null : freeing + windowMs;
  const values = {
    scope: perTarget ? 'target' : 'loop',
    target: perTarget ? target : null,
    used,
    maxActions,
    window,
    retryAt: iso(retryAt),
  };
  if (used < maxActions) return result('budget', 'ok', `${used} of ${maxActions} actions used for ${scope} in ${window}`, values);
  if (retryAt === null) return result('budget', 'block', `no actions allowed for ${scope} (maxActions ${maxActions})`, values);
  return result(
    'budget',
    'wait',
    `${used} of ${maxActions} actions used for ${scope} in ${window}; next allowed at ${iso(retryAt)}`,
    values,
    retryAt,
  );
}

export function cooldown({ state, loop, target, now }: LoopGuardInput): GuardrailResult {
  const period = loop.spec.guardrails.cooldown;
  const cooldownMs = parseDuration(period);
  const last = state.guard.lastActionAt[targetKey(loop.metadata.name, target)];
  const elapsedMs = last === undefined ? null : now - last;
  const values = { cooldown: period, lastActionAt: iso(last), elapsedMs, retryAt: null as string | null };
  if (last === undefined || elapsedMs === null || elapsedMs >= cooldownMs) {
    return result(
      'cooldown',
      'ok',
      last === undefined ? `no earlier action on ${target}` : `last action on ${target} ${elapsedMs}ms ago (cooldown ${period})`,
      values,
    );
  }
  const retryAt = last + cooldownMs;
  values.retryAt = iso(retryAt);
  return result(
    'cooldown',
    'wait',
    `last action on ${target} ${elapsedMs}ms ago, within the ${period} cooldown; next allowed at ${iso(retryAt)}`,
    values,
    retryAt,
  );
}

export function blastRadius({ state, loop, now }: LoopGuardInput): GuardrailResult {
  const { maxConcurrent } = loop.spec.guardrails.blastRadius;
  const running = Object.values(state.guard.running).filter((r) => r.loop === loop.metadata.name && r.deadline > now);
  const values = { running: running.length, maxConcurrent };
  if (running.length < maxConcurrent)
    return result('blast-radius', 'ok', `${running.length} of ${maxConcurrent} concurrent actions running`, values);
  // The slot frees at the latest when the earliest running action reaches its deadline.
  const retryAt = Math.min(...running.map((r) => r.deadline));
  return result(
    'blast-radius',
    'wait',
    `${running.length} of ${maxConcurrent} concurrent actions already running; a slot frees by ${iso(retryAt)} at the latest`,
    { ...values, retryAt: iso(retryAt) },
    retryAt,
  );
}

/** The checks on the chosen action: they decide the mode, never whether to act. */
export function actionGuardrails(
  loop: LoopSpec,
  action: ActionSpec,
  level: AutonomyLevel,
  stats: ActionStats | undefined,
): GuardrailResult[] {
  const { aboveRisk } = loop.spec.guardrails.approval;
  const approval = needsApproval(action.risk, aboveRisk)
    ? result('approval', 'approval', `risk ${action.risk} is above ${aboveRisk}: waits for a person`, {
        risk: action.risk,
        aboveRisk,
        required: true,
      })
    : result('approval', 'ok', aboveRisk === 'never' ? 'no approval configured' : `risk ${action.risk} is not above ${aboveRisk}`, {
        risk: action.risk,
        aboveRisk,
        required: false,
      });

  const dryRun = loop.spec.guardrails.dryRun
    ? result('dry-run', 'dry-run', 'the loop is in dry-run: record what would run, run nothing', { dryRun: true })
    : result('dry-run', 'ok', 'off', { dryRun: false });

  const a = loop.spec.autonomy;
  const successes = stats?.successes ?? 0;
  const failures = stats?.failures ?? 0;
  const autonomyValues = {
    level,
    successes,
    failures,
    rate: successes + failures > 0 ? successes / (successes + failures) : null,
    promoteAt: a.promoteAt,
    demoteBelow: a.demoteBelow,
    minOutcomes: a.minOutcomes,
  };
  const autonomy =
    level === 'auto'
      ? result('autonomy', 'ok', 'auto: runs without a person', autonomyValues)
      : level === 'propose'
        ? result('autonomy', 'approval', 'propose: a person approves first', autonomyValues)
        : result('autonomy', 'dry-run', 'shadow: record only', autonomyValues);

  return [approval, dryRun, autonomy];
}

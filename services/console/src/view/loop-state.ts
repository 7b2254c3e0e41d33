import type { ControlCommandRow, DecisionMade, LedgerEvent } from './ledger.types';

export type LoopCondition = 'active' | 'paused' | 'circuit-open' | 'kill-switch';

export interface LoopState {
  loop: string;
  /** The strongest of what holds: kill switch, then an open circuit breaker, then a pause. */
  state: LoopCondition;
  killSwitch: { on: boolean; scope: 'global' | 'loop' | null; by: string | null; reason: string | null; at: string | null };
  paused: { by: string; reason: string; at: string } | null;
  circuit: {
    open: boolean;
    consecutiveFailures: number | null;
    threshold: number | null;
    pausedUntil: string | null;
    detail: string | null;
  };
  lastDecisionAt: string | null;
}

/**
 * A loop's state as the ledger tells it, the way the decider's guardrails see it (libs/policy
 * evolve): the global kill switch stops every loop, a loop's own switch stops it; the last
 * pause or resume of a loop stands; the circuit breaker is open when the loop's latest decision
 * found it open and no person resumed the loop since, until its pause runs out.
 */
export function deriveLoopStates(
  loops: readonly string[],
  standing: readonly ControlCommandRow[],
  lastDecisions: readonly LedgerEvent<DecisionMade>[],
  now: number,
): LoopState[] {
  const latest = (pred: (c: ControlCommandRow) => boolean): ControlCommandRow | undefined =>
    [...standing].filter(pred).sort((a, b) => Date.parse(b.issued_at) - Date.parse(a.issued_at))[0];
  const global = latest((c) => c.command === 'kill-switch' && c.loop === '');
  return [...new Set(loops)].sort().map((loop) => {
    const own = latest((c) => c.command === 'kill-switch' && c.loop === loop);
    const pauseOrResume = latest((c) => (c.command === 'pause-loop' || c.command === 'resume-loop') && c.loop === loop);
    const killer = global?.state === 'on' ? global : own?.state === 'on' ? own : undefined;
    const killSwitch = {
      on: killer !== undefined,
      scope: killer === undefined ? null : killer === global ? ('global' as const) : ('loop' as const),
      by: killer?.actor ?? null,
      reason: killer?.reason ?? null,
      at: killer?.issued_at ?? null,
    };
    const paused =
      pauseOrResume?.command === 'pause-loop'
        ? { by: pauseOrResume.actor, reason: pauseOrResume.reason, at: pauseOrResume.issued_at }
        : null;
    const last = lastDecisions.find((d) => d.data.loop === loop);
    const circuit = circuitOf(last, pauseOrResume, now);
    const state: LoopCondition = killSwitch.on ? 'kill-switch' : circuit.open ? 'circuit-open' : paused ? 'paused' : 'active';
    return { loop, state, killSwitch, paused, circuit, lastDecisionAt: last?.time ?? null };
  });
}

function circuitOf(
  last: LedgerEvent<DecisionMade> | undefined,
  pauseOrResume: ControlCommandRow | undefined,
  now: number,
): LoopState['circuit'] {
  const check = last?.data.explanation.guardrails.find((g) => g.name === 'circuit-breaker');
  if (!last || !check) return { open: false, consecutiveFailures: null, threshold: null, pausedUntil: null, detail: null };
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const pausedUntil = typeof check.values['pausedUntil'] === 'string' ? check.values['pausedUntil'] : null;
  const resumedSince = pauseOrResume?.command === 'resume-loop' && Date.parse(pauseOrResume.issued_at) >= Date.parse(last.time);
  const expired = pausedUntil !== null && Date.parse(pausedUntil) <= now;
  return {
    open: !check.passed && !resumedSince && !expired,
    consecutiveFailures: resumedSince ? 0 : num(check.values['consecutiveFailures']),
    threshold: num(check.values['threshold']),
    pausedUntil,
    detail: check.detail,
  };
}

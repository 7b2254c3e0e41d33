import { sampleDecisionMade } from '@homeostat/contracts/testing';
import type { ControlCommandRow, DecisionMade, LedgerEvent } from './ledger.types';
import { deriveLoopStates } from './loop-state';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString();

function command(c: Partial<ControlCommandRow> & Pick<ControlCommandRow, 'command'>): ControlCommandRow {
  return { event_id: `e-${Math.random()}`, actor: 'alice', loop: '', decision_id: '', reason: 'why', issued_at: at(60), state: '', ...c };
}

function decisionWithBreaker(loop: string, passed: boolean, secondsAgo: number, pausedUntil: string | null): LedgerEvent<DecisionMade> {
  const d = sampleDecisionMade();
  return {
    id: 'd',
    type: 'homeostat.decision.made.v1',
    time: at(secondsAgo),
    subject: 'shop',
    data: {
      ...d,
      loop,
      explanation: {
        ...d.explanation,
        guardrails: [
          {
            name: 'circuit-breaker',
            passed,
            detail: passed ? 'closed: 1 of 3' : 'open: 3 consecutive failed verifications',
            values: { consecutiveFailures: passed ? 1 : 3, threshold: 3, pausedUntil },
          },
        ],
      },
    },
  };
}

describe('a loop’s state from the ledger', () => {
  it('given nothing said about a loop, it is active', () => {
    const [shop] = deriveLoopStates(['shop'], [], [], NOW);
    expect(shop).toMatchObject({ loop: 'shop', state: 'active', killSwitch: { on: false }, paused: null, circuit: { open: false } });
  });

  it('given the global kill switch on, every loop is stopped by it; turned off, they run again', () => {
    const on = command({ command: 'kill-switch', state: 'on', reason: 'maintenance', issued_at: at(30) });
    const states = deriveLoopStates(['a', 'b'], [on], [], NOW);
    expect(states.map((s) => s.state)).toEqual(['kill-switch', 'kill-switch']);
    expect(states[0]?.killSwitch).toEqual({ on: true, scope: 'global', by: 'alice', reason: 'maintenance', at: at(30) });
    const off = command({ command: 'kill-switch', state: 'off', issued_at: at(10) });
    expect(deriveLoopStates(['a'], [on, off], [], NOW)[0]?.state).toBe('active');
  });

  it('given a loop’s own kill switch, only that loop is stopped', () => {
    const states = deriveLoopStates(['a', 'b'], [command({ command: 'kill-switch', state: 'on', loop: 'b' })], [], NOW);
    expect(states.map((s) => [s.loop, s.state, s.killSwitch.scope])).toEqual([
      ['a', 'active', null],
      ['b', 'kill-switch', 'loop'],
    ]);
  });

  it('given a pause, the loop is paused until the last command is a resume', () => {
    const pause = command({ command: 'pause-loop', loop: 'shop', actor: 'bob', reason: 'deploying', issued_at: at(40) });
    expect(deriveLoopStates(['shop'], [pause], [], NOW)[0]).toMatchObject({ state: 'paused', paused: { by: 'bob', reason: 'deploying' } });
    const resume = command({ command: 'resume-loop', loop: 'shop', issued_at: at(20) });
    expect(deriveLoopStates(['shop'], [resume], [], NOW)[0]?.state).toBe('active');
  });

  it('given the latest decision found the circuit breaker open, the circuit is open until a resume or the end of its pause', () => {
    const open = decisionWithBreaker('shop', false, 30, null);
    expect(deriveLoopStates(['shop'], [], [open], NOW)[0]).toMatchObject({
      state: 'circuit-open',
      circuit: { open: true, consecutiveFailures: 3, threshold: 3 },
    });
    const resumedAfter = command({ command: 'resume-loop', loop: 'shop', issued_at: at(10) });
    expect(deriveLoopStates(['shop'], [resumedAfter], [open], NOW)[0]).toMatchObject({
      state: 'active',
      circuit: { open: false, consecutiveFailures: 0 },
    });
    const expired = decisionWithBreaker('shop', false, 30, at(5));
    expect(deriveLoopStates(['shop'], [], [expired], NOW)[0]?.circuit.open).toBe(false);
    const closed = decisionWithBreaker('shop', true, 30, null);
    expect(deriveLoopStates(['shop'], [], [closed], NOW)[0]).toMatchObject({
      state: 'active',
      circuit: { open: false, consecutiveFailures: 1 },
      lastDecisionAt: at(30),
    });
  });

  it('shows the strongest condition: kill switch over an open circuit over a pause', () => {
    const standing = [command({ command: 'pause-loop', loop: 'shop' })];
    const open = decisionWithBreaker('shop', false, 30, null);
    expect(deriveLoopStates(['shop'], standing, [open], NOW)[0]?.state).toBe('circuit-open');
    expect(deriveLoopStates(['shop'], [...standing, command({ command: 'kill-switch', state: 'on' })], [open], NOW)[0]?.state).toBe(
      'kill-switch',
    );
  });
});

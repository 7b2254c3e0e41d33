import type { DecisionMade } from '@homeostat/contracts';
import { react, type Decider, type DeciderInput, type Reaction } from '../decider';
import type { PolicyEvent, PolicyState } from '../policy-state';

/** An input, or one built from the decisions made so far (an outcome of the first decision, say). */
export type SpecInput = DeciderInput | ((decisions: readonly DecisionMade[]) => DeciderInput);

export interface Step {
  /** Epoch ms. */
  now: number;
  input: SpecInput;
}

export const at = (now: number, input: SpecInput): Step => ({ now, input });

const decisionsIn = (events: readonly PolicyEvent[]): DecisionMade[] =>
  events.flatMap((e) => (e.type === 'homeostat.decision.made.v1' ? [e.data] : []));

/** What a decider records for inputs taken in order, from `state`: the events a spec starts from. */
export function history(decider: Decider, steps: Step[], state = decider.initialState()): Reaction {
  return steps.reduce<Reaction>(
    (past, { now, input }) => {
      const next = react(decider, past.state, typeof input === 'function' ? input(past.decisions) : input, now);
      return { state: next.state, events: [...past.events, ...next.events], decisions: [...past.decisions, ...next.decisions] };
    },
    { state, events: [], decisions: [] },
  );
}

/**
 * Specs in the decider's own terms: given the events recorded so far (folded with `evolve`), when
 * an input comes at a time, then these decisions are made (each matched like `toMatchObject`).
 *
 *     deciderSpec(decider).given(past.events).when(at(2_000, failedOutcome)).then([{ attempt: 2 }]);
 *
 * `then` returns what happened (state, events, decisions) for further expectations.
 */
export function deciderSpec(decider: Decider) {
  const from = (state: PolicyState, given: readonly DecisionMade[]) => ({
    when: ({ now, input }: Step) => {
      const result = react(decider, state, typeof input === 'function' ? input(given) : input, now);
      return {
        then: (expected: ReadonlyArray<Record<string, unknown>>): Reaction => {
          expect(result.decisions).toHaveLength(expected.length);
          expect(result.decisions).toMatchObject(expected);
          return result;
        },
      };
    },
  });
  return {
    given: (events: readonly PolicyEvent[]) =>
      from(
        events.reduce((s, e) => decider.evolve(s, e), decider.initialState()),
        decisionsIn(events),
      ),
    /** Starts from a state as it was saved, e.g. a snapshot read back. */
    givenState: (state: PolicyState, decisions: readonly DecisionMade[] = []) => from(state, decisions),
  };
}

import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { initialPolicyState, type Attempt, type IncidentCase, type IncidentInput, type PolicyState } from '@homeostat/policy';
import { JsonStateFile } from '@homeostat/runtime';

export const SNAPSHOT_VERSION = 2;

/** Version 2: the whole decider state, open cases included, as `evolve` folds it. */
interface DeciderSnapshot {
  version: typeof SNAPSHOT_VERSION;
  state: PolicyState;
}

/** Version 1: the policy state beside the open cases the decider kept apart from it. */
interface DeciderSnapshotV1 {
  version: 1;
  policy: Omit<PolicyState, 'cases' | 'evictedCases'>;
  cases: Record<
    string,
    { loop: string; incident: IncidentInput; attempts: Attempt[]; deadlines: Record<string, number>; retryAt?: number }
  >;
}

export interface RestoredState {
  state: PolicyState;
  /** What was restored, or why nothing was: for the log. */
  message: string;
  /** Whether the file was not usable as it was (migrated or set aside). */
  warn: boolean;
}

/**
 * The decider's state on disk, written atomically after changes, so a restart keeps what the loop
 * learned, its guardrail counters and its open cases. The knowledge itself is also on the
 * compacted loop.knowledge topic and in the learner's ledger.
 */
export class DeciderStateStore {
  private readonly file: JsonStateFile<unknown>;

  constructor(dataDir: string) {
    this.file = new JsonStateFile(join(dataDir, 'decider', 'state.json'));
  }

  get path(): string {
    return this.file.path;
  }

  /**
   * The saved state, migrated from version 1; undefined when there is none. A snapshot of a version
   * this decider does not read is moved aside (kept for a person to look at) and the decider starts
   * empty rather than not at all.
   */
  async restore(): Promise<RestoredState | undefined> {
    const saved = await this.file.load();
    if (saved === undefined) return undefined;
    const version = typeof saved === 'object' && saved !== null && 'version' in saved ? saved.version : undefined;
    if (version === SNAPSHOT_VERSION && isObject((saved as DeciderSnapshot).state)) {
      const { state } = saved as DeciderSnapshot;
      return { state, message: `state restored from ${this.path} (${Object.keys(state.cases).length} open case(s))`, warn: false };
    }
    if (version === 1 && isObject((saved as DeciderSnapshotV1).policy) && isObject((saved as DeciderSnapshotV1).cases)) {
      const state = migrateV1(saved as DeciderSnapshotV1);
      return {
        state,
        message: `state restored from ${this.path}, migrated from snapshot version 1 to ${SNAPSHOT_VERSION} (${Object.keys(state.cases).length} open case(s))`,
        warn: true,
      };
    }
    const aside = `${this.path}.unreadable-v${String(version)}`;
    await rename(this.path, aside);
    return {
      state: initialPolicyState(),
      message: `${this.path} holds a decider snapshot of version ${String(version)}, which this decider does not read (it reads ${SNAPSHOT_VERSION} and migrates 1): moved it to ${aside} and started from an empty state`,
      warn: true,
    };
  }

  /** Resolves once this state (or a later one) is durable. */
  save(state: PolicyState): Promise<void> {
    const snapshot: DeciderSnapshot = { version: SNAPSHOT_VERSION, state };
    return this.file.save(snapshot);
  }
}

const isObject = (x: unknown): x is object => typeof x === 'object' && x !== null;

/**
 * Version 1 kept the open cases beside the policy state. Its cases did not record when their
 * incident opened: they count as the oldest, so they are the first let go if there are too many.
 */
function migrateV1(saved: DeciderSnapshotV1): PolicyState {
  const cases = Object.fromEntries(
    Object.entries(saved.cases).map(([incidentId, c]): [string, IncidentCase] => [
      incidentId,
      {
        loop: c.loop,
        incident: c.incident,
        openedAt: 0,
        attempts: c.attempts,
        outcomeDeadlines: c.deadlines,
        ...(c.retryAt === undefined ? {} : { retryAt: c.retryAt }),
      },
    ]),
  );
  return { ...initialPolicyState(), ...saved.policy, cases, evictedCases: 0 };
}

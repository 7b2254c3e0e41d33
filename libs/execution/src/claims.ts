import type { ActionCall, DecisionMade } from '@homeostat/contracts';
import type { RunMemo } from './adapters/action-runner';

/** What the adapter answered for a claimed decision's action. */
export interface AdapterAnswer {
  accepted: boolean;
  status?: number;
  latencyMs: number;
  detail: string;
  memo: RunMemo;
}

/**
 * One step of a claimed decision, appended to the claims journal (durably, before what follows
 * it): claimed before anything is sent; calling once action.started is out and just before the
 * adapter is called (from here on the action may have reached the target); answered with what
 * the adapter said (its memo is what the inverse needs) before verification; finished once the
 * outcome is published. What a restart finds unfinished, it can finish.
 */
export type ClaimEntry =
  | { id: string; phase: 'claimed'; at: string; decision: DecisionMade & { action: ActionCall }; traceparent?: string }
  | { id: string; phase: 'calling'; startedAt: string; deadline: string }
  | { id: string; phase: 'answered'; answer: AdapterAnswer }
  | { id: string; phase: 'finished' };

/** A claimed decision as its journal entries say. */
export interface Claim {
  decision: DecisionMade & { action: ActionCall };
  traceparent?: string;
  claimedAt: string;
  call?: { startedAt: string; deadline: string };
  answer?: AdapterAnswer;
  finished: boolean;
}

/** The claims: each decision's id is claimed (durably) once, and its steps recorded as they happen. */
export interface ClaimStore {
  has(id: string): Promise<boolean>;
  /**
   * Resolves once the entry is durable. A 'claimed' entry for an id already claimed is refused, as
   * is a step of a decision not claimed; 'finished' for one not claimed records nothing.
   */
  record(entry: ClaimEntry): Promise<void>;
  /** Claims whose outcome was not published, oldest first. */
  unfinished(): readonly Claim[];
}

/**
 * The claims in memory, as the journal's entries build them up; bounded like the idempotency
 * stores (the oldest finished claims are forgotten first). The file store keeps its entries in
 * one of these; the tests use it as it is.
 */
export class ClaimBook {
  private readonly claims = new Map<string, Claim>();

  constructor(private readonly capacity = 200_000) {}

  get size(): number {
    return this.claims.size;
  }

  has(id: string): boolean {
    return this.claims.has(id);
  }

  get(id: string): Claim | undefined {
    return this.claims.get(id);
  }

  /** Throws for an entry that does not follow from what is recorded (a second claim, a step of no claim). */
  check(entry: ClaimEntry): void {
    const claim = this.claims.get(entry.id);
    if (entry.phase === 'claimed') {
      if (claim) throw new Error(`decision ${entry.id} is already claimed`);
    } else if (!claim) {
      throw new Error(`decision ${entry.id} is not claimed: cannot record ${entry.phase}`);
    }
  }

  /** Applies an entry; one that does not follow (a torn journal's leftovers) is ignored. */
  apply(entry: ClaimEntry): void {
    const claim = this.claims.get(entry.id);
    switch (entry.phase) {
      case 'claimed':
        if (claim) return;
        this.claims.set(entry.id, {
          decision: entry.decision,
          ...(entry.traceparent !== undefined ? { traceparent: entry.traceparent } : {}),
          claimedAt: entry.at,
          finished: false,
        });
        this.evict();
        return;
      case 'calling':
        if (claim) claim.call = { startedAt: entry.startedAt, deadline: entry.deadline };
        return;
      case 'answered':
        if (claim) claim.answer = entry.answer;
        return;
      case 'finished':
        if (claim) claim.finished = true;
        return;
    }
  }

  unfinished(): Claim[] {
    return [...this.claims.values()].filter((c) => !c.finished);
  }

  /** The entries that rebuild this book, for rewriting a journal with only what is retained. */
  entries(): ClaimEntry[] {
    return [...this.claims.entries()].flatMap(([id, c]): ClaimEntry[] => [
      {
        id,
        phase: 'claimed',
        at: c.claimedAt,
        decision: c.decision,
        ...(c.traceparent !== undefined ? { traceparent: c.traceparent } : {}),
      },
      ...(c.call ? [{ id, phase: 'calling' as const, ...c.call }] : []),
      ...(c.answer ? [{ id, phase: 'answered' as const, answer: c.answer }] : []),
      ...(c.finished ? [{ id, phase: 'finished' as const }] : []),
    ]);
  }

  private evict(): void {
    while (this.claims.size > this.capacity) {
      // A Map iterates in insertion order: the oldest finished claim goes first, so what a
      // restart must still finish is kept as long as possible.
      let victim: string | undefined;
      for (const [id, c] of this.claims) {
        if (c.finished) {
          victim = id;
          break;
        }
      }
      this.claims.delete(victim ?? (this.claims.keys().next().value as string));
    }
  }
}

/** In memory: for tests and for an executor that needs no restart. */
export class MemoryClaimStore implements ClaimStore {
  readonly book = new ClaimBook();

  has(id: string): Promise<boolean> {
    return Promise.resolve(this.book.has(id));
  }

  record(entry: ClaimEntry): Promise<void> {
    if (entry.phase === 'finished' && !this.book.has(entry.id)) return Promise.resolve();
    try {
      this.book.check(entry);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.book.apply(entry);
    return Promise.resolve();
  }

  unfinished(): readonly Claim[] {
    return this.book.unfinished();
  }
}

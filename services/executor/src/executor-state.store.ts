import { z } from 'zod';
import { JsonStateFile } from '@homeostat/runtime';
import { decisionMadeSchema, type DecisionMade } from '@homeostat/contracts';

/** A decision waiting for a person (mode approval-required). */
export interface PendingApproval {
  decision: DecisionMade;
  receivedAt: string;
  /** The decision's trace, so the run after approval stays in the loop iteration's trace. */
  traceparent?: string;
}

/** A verdict that arrived before its decision (loop.control and loop.decisions are not ordered). */
export interface EarlyVerdict {
  decisionId: string;
  verdict: 'approve' | 'reject';
  actor: string;
  reason: string;
  at: string;
}

export interface KillSwitchState {
  global: boolean;
  loops: string[];
}

export interface ExecutorState {
  pending: PendingApproval[];
  killSwitch: KillSwitchState;
  verdicts: EarlyVerdict[];
}

const stateFileSchema = z.object({
  version: z.literal(1),
  pending: z.array(z.object({ decision: decisionMadeSchema, receivedAt: z.string(), traceparent: z.string().optional() })),
  killSwitch: z.object({ global: z.boolean(), loops: z.array(z.string()) }),
  verdicts: z.array(z.object({ decisionId: z.string(), verdict: z.enum(['approve', 'reject']), actor: z.string(), reason: z.string(), at: z.string() })),
});

export const emptyExecutorState = (): ExecutorState => ({ pending: [], killSwitch: { global: false, loops: [] }, verdicts: [] });

/**
 * What the executor must not forget across a restart besides its claims: the decisions waiting
 * for approval, the kill switch, and early verdicts. One small JSON file, replaced atomically
 * (write, fsync, rename), saves serialized so the file never goes back in time.
 */
export class ExecutorStateStore {
  private readonly file: JsonStateFile<unknown>;

  constructor(readonly path: string) {
    this.file = new JsonStateFile(path);
  }

  async load(): Promise<ExecutorState> {
    const saved = await this.file.load();
    if (saved === undefined) return emptyExecutorState();
    const parsed = stateFileSchema.safeParse(saved);
    if (!parsed.success) {
      throw new Error(`executor state ${this.path} is not valid (${parsed.error.issues[0]?.message ?? 'unknown'}): move it away to start without pending approvals`);
    }
    const { version: _version, ...state } = parsed.data;
    return state;
  }

  /** Resolves once this state (or a later one) is durable. */
  save(state: ExecutorState): Promise<void> {
    return this.file.save({ version: 1, ...state });
  }
}

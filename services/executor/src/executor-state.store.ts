import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
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
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  async load(): Promise<ExecutorState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyExecutorState();
      throw e;
    }
    const parsed = stateFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(`executor state ${this.path} is not valid (${parsed.error.issues[0]?.message ?? 'unknown'}): move it away to start without pending approvals`);
    }
    const { version: _version, ...state } = parsed.data;
    return state;
  }

  /** Resolves once this state (or a later one) is durable. */
  save(state: ExecutorState): Promise<void> {
    const text = JSON.stringify({ version: 1, ...state }, null, 2);
    const next = this.writing.then(() => this.write(text));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(text: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(text);
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.path);
  }
}

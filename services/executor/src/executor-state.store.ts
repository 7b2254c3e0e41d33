import { z } from 'zod';
import { JsonStateFile } from '@homeostat/runtime';
import { decisionMadeSchema } from '@homeostat/contracts';
import { emptyExecutorState, type ExecutorState, type ExecutorStateSink } from '@homeostat/execution';

const stateFileSchema = z.object({
  version: z.literal(1),
  pending: z.array(z.object({ decision: decisionMadeSchema, receivedAt: z.string(), traceparent: z.string().optional() })),
  killSwitch: z.object({ global: z.boolean(), loops: z.array(z.string()) }),
  verdicts: z.array(
    z.object({ decisionId: z.string(), verdict: z.enum(['approve', 'reject']), actor: z.string(), reason: z.string(), at: z.string() }),
  ),
});

/**
 * The executor's state (the approval inbox and the kill switch) in one small JSON file, replaced
 * atomically (write, fsync, rename), saves serialized so the file never goes back in time.
 */
export class ExecutorStateStore implements ExecutorStateSink {
  private readonly file: JsonStateFile<unknown>;

  constructor(readonly path: string) {
    this.file = new JsonStateFile(path);
  }

  async load(): Promise<ExecutorState> {
    const saved = await this.file.load();
    if (saved === undefined) return emptyExecutorState();
    const parsed = stateFileSchema.safeParse(saved);
    if (!parsed.success) {
      throw new Error(
        `executor state ${this.path} is not valid (${parsed.error.issues[0]?.message ?? 'unknown'}): move it away to start without pending approvals`,
      );
    }
    const { version: _version, ...state } = parsed.data;
    return state;
  }

  /** Resolves once this state (or a later one) is durable. */
  save(state: ExecutorState): Promise<void> {
    return this.file.save({ version: 1, ...state });
  }
}

import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { actionCallSchema, decisionMadeSchema } from '@homeostat/contracts';
import { ClaimBook, type Claim, type ClaimEntry, type ClaimStore } from '@homeostat/execution';

const answerSchema = z.object({
  accepted: z.boolean(),
  status: z.number().optional(),
  latencyMs: z.number(),
  detail: z.string(),
  memo: z.object({ previousReplicas: z.number().optional() }),
});

const entrySchema = z.discriminatedUnion('phase', [
  z.object({
    id: z.string(),
    phase: z.literal('claimed'),
    at: z.string(),
    decision: decisionMadeSchema.and(z.object({ action: actionCallSchema })),
    traceparent: z.string().optional(),
  }),
  z.object({ id: z.string(), phase: z.literal('calling'), startedAt: z.string(), deadline: z.string() }),
  z.object({ id: z.string(), phase: z.literal('answered'), answer: answerSchema }),
  z.object({ id: z.string(), phase: z.literal('finished') }),
]);

/**
 * The executor's claims journal (`claims.jsonl` under its data dir): one JSON line per step of a
 * claimed decision, appended and fsynced before record() resolves (appends that arrive together
 * share one fsync). Read back at start into a ClaimBook; rewritten with only what it retains when
 * it grows past twice its capacity. A last line torn by a crash mid-append is dropped: its
 * record() never resolved, so nothing relied on it.
 *
 * An executor of the version before kept bare ids in `claims.ids`: those stay claimed (never run
 * again) but have no journal to finish them from.
 */
export class ClaimJournalStore implements ClaimStore {
  private handle: FileHandle | undefined;
  private linesInFile = 0;
  private pending: { line: string; entry: ClaimEntry; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    private readonly book: ClaimBook,
    private readonly legacyIds: ReadonlySet<string>,
  ) {}

  static async open(path: string, options: { capacity?: number; legacyIdsPath?: string } = {}): Promise<ClaimJournalStore> {
    await mkdir(dirname(path), { recursive: true });
    const book = new ClaimBook(options.capacity);
    const lines = (await readIfExists(path)).split('\n');
    const torn = lines.pop() !== '';
    let kept = 0;
    for (const [i, line] of lines.entries()) {
      if (line.length === 0) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        throw new Error(`${path} line ${i + 1} is not JSON (${String(error)}): the executor cannot tell what it claimed`);
      }
      const entry = entrySchema.safeParse(parsed);
      if (!entry.success) {
        throw new Error(`${path} line ${i + 1} is not a claim entry (${entry.error.issues[0]?.message ?? 'unknown'})`);
      }
      book.apply(entry.data as ClaimEntry);
      kept++;
    }
    const legacy = options.legacyIdsPath ? (await readIfExists(options.legacyIdsPath)).split('\n').filter((l) => l.length > 0) : [];
    const store = new ClaimJournalStore(path, book, new Set(legacy));
    store.linesInFile = kept;
    store.handle = await open(path, 'a');
    if (torn) await store.rewrite();
    return store;
  }

  has(id: string): Promise<boolean> {
    return Promise.resolve(this.book.has(id) || this.legacyIds.has(id));
  }

  unfinished(): readonly Claim[] {
    return this.book.unfinished();
  }

  record(entry: ClaimEntry): Promise<void> {
    if (!this.handle) return Promise.reject(new Error(`claims journal ${this.path} is closed`));
    if (entry.phase === 'finished' && !this.book.has(entry.id)) return Promise.resolve();
    try {
      // A claim still waiting for its fsync counts as made: a second claim of the id in the same
      // batch is refused, and a step of it may follow.
      const claimPending = this.pending.some((p) => p.entry.phase === 'claimed' && p.entry.id === entry.id);
      if (entry.phase === 'claimed' && (this.legacyIds.has(entry.id) || claimPending))
        throw new Error(`decision ${entry.id} is already claimed`);
      if (!claimPending) this.book.check(entry);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line: JSON.stringify(entry) + '\n', entry, resolve, reject });
      this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const handle = this.handle;
      if (!handle) throw new Error(`claims journal ${this.path} is closed`);
      await handle.appendFile(batch.map((p) => p.line).join(''));
      await handle.datasync();
      for (const p of batch) this.book.apply(p.entry);
      this.linesInFile += batch.length;
      // Up to four lines per claim: past twice that, most lines are of claims the book forgot.
      if (this.linesInFile > 8 * this.book.size) await this.rewrite();
      for (const p of batch) p.resolve();
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.flushing = undefined;
      if (this.pending.length > 0) this.flushing = this.flush();
    }
  }

  private async rewrite(): Promise<void> {
    const entries = this.book.entries();
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(entries.map((e) => JSON.stringify(e) + '\n').join(''));
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.path);
    await this.handle?.close();
    this.handle = await open(this.path, 'a');
    this.linesInFile = entries.length;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

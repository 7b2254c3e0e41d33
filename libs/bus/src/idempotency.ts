import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Remembers which event ids a consumer group has already handled, so at-least-once delivery
 * never applies an event twice. Bounded: the oldest ids are forgotten first, which is safe as
 * long as the capacity covers the redelivery window (uncommitted messages after a crash or a
 * rebalance), i.e. far more than one poll's worth of messages.
 */
export interface IdempotencyStore {
  has(id: string): Promise<boolean>;
  add(id: string): Promise<void>;
  close(): Promise<void>;
}

/** In memory, for tests and for consumers whose effects are idempotent anyway. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  protected readonly ids = new Set<string>();
  constructor(protected readonly capacity = 100_000) {}

  has(id: string): Promise<boolean> {
    return Promise.resolve(this.ids.has(id));
  }

  add(id: string): Promise<void> {
    this.remember(id);
    return Promise.resolve();
  }

  protected remember(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    // A Set iterates in insertion order: the first entry is the oldest.
    while (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
  }

  get size(): number {
    return this.ids.size;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Durable across restarts: ids are appended to a file before add() resolves, so a consumer
 * killed between handling a message and committing its offset sees the id again on restart and
 * skips the second handling. Appends that arrive together share one write. The write reaches
 * the kernel before add() resolves, which is what a process crash (the case above) needs; the
 * file is fsynced at most `syncMs` later (and at close), which bounds what a crash of the whole
 * machine can forget to the ids of that last interval: messages handled then may be handled
 * once more after it, as at-least-once delivery allows. (An fsync per add cost about a tenth of
 * the embedded pipeline's time.) The file is rewritten with only the retained ids when it grows
 * past twice the capacity, so it stays bounded too.
 */
export class FileIdempotencyStore extends MemoryIdempotencyStore {
  private handle: FileHandle | undefined;
  private linesInFile = 0;
  private pending: { id: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private syncError: unknown;

  private constructor(
    private readonly path: string,
    capacity: number,
    private readonly syncMs: number,
  ) {
    super(capacity);
  }

  static async open(path: string, capacity = 200_000, syncMs = 200): Promise<FileIdempotencyStore> {
    const store = new FileIdempotencyStore(path, capacity, syncMs);
    await mkdir(dirname(path), { recursive: true });
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const lines = text.split('\n');
    // The segment after the last newline is empty, or a torn write from a crash mid-append
    // whose add() never resolved: either way it is not a handled id.
    const torn = lines.pop() !== '';
    for (const line of lines) if (line.length > 0) store.remember(line);
    store.linesInFile = lines.length;
    store.handle = await open(path, 'a');
    if (torn) await store.rewrite();
    return store;
  }

  override add(id: string): Promise<void> {
    if (!this.handle) return Promise.reject(new Error(`idempotency store ${this.path} is closed`));
    if (this.ids.has(id)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ id, resolve, reject });
      this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const handle = this.handle;
      if (!handle) throw new Error(`idempotency store ${this.path} is closed`);
      if (this.syncError) {
        // The ids appended before are not known to be on disk: this batch fails (its messages
        // are delivered again) until an fsync succeeds.
        const error = this.syncError;
        this.syncError = undefined;
        await handle.datasync().catch((e: unknown) => {
          this.syncError = e;
          throw new Error(`idempotency store ${this.path}: fsync failed: ${String(error)}`, { cause: e });
        });
      }
      await handle.appendFile(batch.map((p) => p.id + '\n').join(''));
      this.syncTimer ??= setTimeout(() => {
        this.syncing = this.sync().finally(() => (this.syncing = undefined));
      }, this.syncMs).unref();
      for (const p of batch) this.remember(p.id);
      this.linesInFile += batch.length;
      if (this.linesInFile > 2 * this.capacity) await this.rewrite();
      for (const p of batch) p.resolve();
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.flushing = undefined;
      if (this.pending.length > 0) this.flushing = this.flush();
    }
  }

  /** fsyncs what was appended; a failure fails the next append until an fsync succeeds. */
  private async sync(): Promise<void> {
    this.syncTimer = undefined;
    await this.handle?.datasync().catch((e: unknown) => {
      this.syncError = e;
    });
  }

  private async rewrite(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile([...this.ids].map((id) => id + '\n').join(''));
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.path);
    await this.handle?.close();
    this.handle = await open(this.path, 'a');
    this.linesInFile = this.ids.size;
  }

  override async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    while (this.syncing) await this.syncing;
    await this.handle?.datasync();
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

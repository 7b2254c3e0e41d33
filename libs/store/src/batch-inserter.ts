import type { StoreHandle } from './store-client';
import { StoreError, errorMessage } from './store.errors';

/** Inserts `rows` as JSONEachRow and resolves only once ClickHouse has them; throws `INSERT_FAILED` otherwise. */
export async function insertRows<Row extends object>(handle: StoreHandle, table: string, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  try {
    await handle.client.insert({ table, values: rows as Row[], format: 'JSONEachRow' });
  } catch (err) {
    throw new StoreError('INSERT_FAILED', `insert of ${rows.length} row(s) into ${table} failed: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

export interface BatchInserterOptions {
  table: string;
  /** A batch is written as soon as it holds this many rows. Default 5000. */
  maxRows?: number;
  /** ...or when its first rows have waited this long. Default 1000 ms. */
  maxDelayMs?: number;
  /** Told of every insert once it settled: its rows, its duration and whether it succeeded (for metrics). */
  onInsert?: (rows: number, seconds: number, ok: boolean) => void;
}

interface Batch<Row> {
  rows: Row[];
  waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }>;
}

/**
 * Gathers rows from many callers into few inserts. `add()` resolves when the caller's rows are
 * written, so a consumer acknowledges its message only after that; when an insert fails, every
 * caller whose rows were in that batch gets the error and the messages are retried upstream.
 */
export class BatchInserter<Row extends object> {
  readonly table: string;
  private readonly maxRows: number;
  private readonly maxDelayMs: number;
  private readonly onInsert: ((rows: number, seconds: number, ok: boolean) => void) | undefined;
  private batch: Batch<Row> = { rows: [], waiters: [] };
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly handle: StoreHandle,
    options: BatchInserterOptions,
  ) {
    this.table = options.table;
    this.maxRows = options.maxRows ?? 5000;
    this.maxDelayMs = options.maxDelayMs ?? 1000;
    this.onInsert = options.onInsert;
    if (!Number.isInteger(this.maxRows) || this.maxRows < 1)
      throw new RangeError(`maxRows must be a positive integer, got ${this.maxRows}`);
    if (!(this.maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be >= 0, got ${this.maxDelayMs}`);
  }

  /** Rows waiting for the next insert (not counting inserts already running). */
  get pendingRows(): number {
    return this.batch.rows.length;
  }

  add(rows: readonly Row[]): Promise<void> {
    if (this.closed) {
      return Promise.reject(new StoreError('STORE_CLOSED', `batch inserter for ${this.table} is closed`));
    }
    if (rows.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      this.batch.waiters.push({ resolve, reject });
    });
    for (const row of rows) this.batch.rows.push(row);
    if (this.batch.rows.length >= this.maxRows) {
      void this.writeBatch();
    } else {
      this.timer ??= setTimeout(() => void this.writeBatch(), this.maxDelayMs);
    }
    return done;
  }

  /** Writes what is buffered and waits for every running insert; rejects if any of them failed. */
  async flush(): Promise<void> {
    const current = this.writeBatch();
    const results = await Promise.allSettled([current, ...this.inFlight]);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** Stops accepting rows and flushes the rest. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Settles the batch's waiters; the returned promise rejects with the insert error (for flush). */
  private writeBatch(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.batch;
    if (batch.rows.length === 0) return Promise.resolve();
    this.batch = { rows: [], waiters: [] };

    const started = performance.now();
    const write = insertRows(this.handle, this.table, batch.rows).then(
      () => {
        this.onInsert?.(batch.rows.length, (performance.now() - started) / 1000, true);
        for (const w of batch.waiters) w.resolve();
      },
      (err: unknown) => {
        this.onInsert?.(batch.rows.length, (performance.now() - started) / 1000, false);
        for (const w of batch.waiters) w.reject(err);
        throw err;
      },
    );
    const tracked = write.finally(() => this.inFlight.delete(tracked));
    // The error is delivered to the waiters; this copy only answers flush().
    tracked.catch(() => undefined);
    this.inFlight.add(tracked);
    return tracked;
  }
}

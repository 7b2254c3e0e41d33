import { createPool, type Pool } from 'generic-pool';
import { DbConnection } from './db-connection';

export interface PoolOptions {
  name: string;
  host: string;
  port: number;
  max: number;
  min: number;
  acquireTimeoutMs: number;
}

export const DEFAULT_POOL = { max: 10, min: 2, acquireTimeoutMs: 1_000 } as const;

export interface PoolStats {
  name: string;
  max: number;
  min: number;
  /** Connections open (used + idle). */
  size: number;
  used: number;
  idle: number;
  /** Requests waiting for a connection. */
  pending: number;
  /** Connections borrowed and never given back (the pool-leak fault). */
  leaked: number;
  leaking: boolean;
}

/** What the pool reports as it works, for the db.client.connection.* metrics. */
export interface PoolObserver {
  waited(seconds: number): void;
  timedOut(): void;
  created(seconds: number): void;
  used(seconds: number): void;
}

export class PoolTimeoutError extends Error {
  readonly code = 'POOL_ACQUIRE_TIMEOUT';
  constructor(
    readonly waitedMs: number,
    readonly stats: PoolStats,
  ) {
    super(
      `timeout acquiring connection after ${waitedMs} ms (pool ${stats.name}: ${stats.used}/${stats.max} in use, ${stats.idle} idle, ${stats.pending} waiting, ${stats.leaked} leaked)`,
    );
  }
}

export class PoolClosedError extends Error {
  readonly code = 'POOL_CLOSED';
}

export interface Lease {
  readonly connection: DbConnection;
  /** Gives the connection back, unless the pool is leaking: then it is forgotten. */
  release(): void;
}

/**
 * The shop's database connection pool (generic-pool over real TCP connections). The pool-leak
 * fault is a state of a pool instance: while `leaking`, released connections are forgotten
 * instead of returned, so the pool runs dry and acquisitions time out. A recycle replaces the
 * instance, which is why it fixes the leak and a config change does not.
 */
export class ConnectionPool {
  private readonly pool: Pool<DbConnection>;
  private readonly borrowed = new Map<DbConnection, { since: number; leaked: boolean }>();
  private closed = false;
  leaking = false;

  constructor(
    private readonly options: PoolOptions,
    private readonly observer: PoolObserver,
  ) {
    this.pool = createPool<DbConnection>(
      {
        create: async () => {
          const started = performance.now();
          const connection = await DbConnection.connect(options.host, options.port);
          observer.created((performance.now() - started) / 1_000);
          return connection;
        },
        destroy: async (connection) => connection.close(),
        validate: async (connection) => connection.alive,
      },
      { max: options.max, min: options.min, acquireTimeoutMillis: options.acquireTimeoutMs, testOnBorrow: true, autostart: true },
    );
  }

  async acquire(): Promise<Lease> {
    if (this.closed) throw new PoolClosedError('the pool is being recycled');
    const started = performance.now();
    let connection: DbConnection;
    try {
      connection = await this.pool.acquire();
    } catch (error) {
      const waited = performance.now() - started;
      this.observer.waited(waited / 1_000);
      if (error instanceof Error && error.name === 'TimeoutError') {
        this.observer.timedOut();
        throw new PoolTimeoutError(Math.round(waited), this.stats());
      }
      throw new PoolClosedError(`the pool is closed (${error instanceof Error ? error.message : String(error)})`);
    }
    this.observer.waited((performance.now() - started) / 1_000);
    if (this.closed) {
      // Handed out while the pool was being closed: not for use any more.
      void this.pool.destroy(connection).catch(() => undefined);
      throw new PoolClosedError('the pool is being recycled');
    }
    const loan = { since: performance.now(), leaked: false };
    this.borrowed.set(connection, loan);
    let released = false;
    return {
      connection,
      release: () => {
        if (released) return;
        released = true;
        if (this.leaking && !this.closed) {
          loan.leaked = true;
          return;
        }
        this.giveBack(connection);
      },
    };
  }

  /** Stops the leak and returns every forgotten connection (DELETE /faults). */
  stopLeak(): number {
    this.leaking = false;
    let returned = 0;
    for (const [connection, loan] of this.borrowed) {
      if (!loan.leaked) continue;
      this.giveBack(connection);
      returned++;
    }
    return returned;
  }

  stats(): PoolStats {
    let leaked = 0;
    for (const loan of this.borrowed.values()) if (loan.leaked) leaked++;
    return {
      name: this.options.name,
      max: this.pool.max,
      min: this.pool.min,
      size: this.pool.size,
      used: this.pool.borrowed,
      idle: this.pool.available,
      pending: this.pool.pending,
      leaked,
      leaking: this.leaking,
    };
  }

  /**
   * Destroys every connection, borrowed and leaked ones included, and closes the pool. Resolves
   * once the requests still waiting on this pool have given up (at most the acquire timeout).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leaking = false;
    const borrowed = [...this.borrowed.keys()];
    this.borrowed.clear();
    await Promise.allSettled(borrowed.map((c) => this.pool.destroy(c)));
    await this.pool.drain();
    await this.pool.clear();
  }

  private giveBack(connection: DbConnection): void {
    const loan = this.borrowed.get(connection);
    this.borrowed.delete(connection);
    if (loan) this.observer.used((performance.now() - loan.since) / 1_000);
    if (!this.pool.isBorrowedResource(connection)) return;
    if (this.closed) void this.pool.destroy(connection).catch(() => undefined);
    else void this.pool.release(connection).catch(() => undefined);
  }
}

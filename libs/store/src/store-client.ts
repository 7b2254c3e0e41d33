import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { storeConfigSchema, type StoreConfigInput } from './store-config.schema';
import { StoreError, errorMessage } from './store.errors';

export type StoreEngine = 'chdb' | 'http';

// The client's own view of a connection. chdb types its connection against its copy of
// @clickhouse/client-common, which TypeScript treats as a different (if identical) type.
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
type Param<M extends keyof ClientConnection> = Parameters<ClientConnection[M]>[0];
type Result<M extends keyof ClientConnection> = ReturnType<ClientConnection[M]>;

/**
 * Pinned so both engines, and servers of different versions, read and write JSON alike:
 * 64-bit integers come back as strings (no silent precision loss in JS numbers), and time columns
 * accept ISO 8601 as well as `YYYY-MM-DD hh:mm:ss.fffffffff`.
 */
export const STORE_CLICKHOUSE_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  date_time_input_format: 'best_effort',
} as const;

/** An open store: a ClickHouse client whose unqualified table names resolve in `database`. */
export interface StoreHandle {
  readonly client: ClickHouseClient;
  readonly engine: StoreEngine;
  readonly database: string;
  /** Idempotent. In chDB mode the engine itself closes when the last handle of the process closes. */
  close(): Promise<void>;
}

/**
 * Connects to ClickHouse over HTTP when `url` is set, otherwise opens chDB under `chdbDir` (default `<dataDir>/chdb`),
 * and creates the database if it is missing.
 */
export async function createStoreClient(input: StoreConfigInput): Promise<StoreHandle> {
  const parsed = storeConfigSchema.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '<root>'}: ${i.message}`).join('; ');
    throw new StoreError('STORE_CONFIG_INVALID', `invalid store config: ${detail}`);
  }
  const config = parsed.data;
  return config.url
    ? openHttp({ ...config, url: config.url })
    : openChdb(config.chdbDir ? resolve(config.chdbDir) : chdbPathFor(config.dataDir), config.database);
}

export function chdbPathFor(dataDir: string): string {
  return resolve(dataDir, 'chdb');
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

async function openHttp(config: {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  database: string;
  requestTimeoutMs?: number | undefined;
}): Promise<StoreHandle> {
  const base = {
    url: config.url,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.requestTimeoutMs !== undefined ? { request_timeout: config.requestTimeoutMs } : {}),
  };
  // The HTTP interface rejects every request naming a database that does not exist yet, so the
  // database is created through a client bound to `default`.
  const bootstrap = createClient({ ...base, database: 'default' });
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(config.database)}` });
  } finally {
    await bootstrap.close();
  }
  const client = createClient({ ...base, database: config.database, clickhouse_settings: STORE_CLICKHOUSE_SETTINGS });
  return makeHandle(client, 'http', config.database);
}

// chDB binds one data directory per process, so every handle shares one engine connection and
// separates its data by database instead.
interface SharedChdb {
  path: string;
  connection: ClientConnection;
  users: number;
}
let shared: SharedChdb | undefined;

async function openChdb(path: string, database: string): Promise<StoreHandle> {
  const connection = acquireChdb(path);
  try {
    await connection.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
  } catch (err) {
    await releaseChdb();
    throw err;
  }
  const client = createClient({
    connection: new DatabaseScopedConnection(connection, database, releaseChdb),
    clickhouse_settings: STORE_CLICKHOUSE_SETTINGS,
  });
  return makeHandle(client, 'chdb', database);
}

function acquireChdb(path: string): ClientConnection {
  if (shared) {
    if (shared.path !== path) {
      throw new StoreError(
        'STORE_CHDB_PATH_CONFLICT',
        `chDB is already open at ${shared.path} in this process and cannot open ${path} as well ` +
          '(chDB allows one data directory per process; use another database name instead of another path)',
      );
    }
    shared.users += 1;
    return shared.connection;
  }
  mkdirSync(path, { recursive: true });
  let connection: ClientConnection;
  try {
    connection = createChdbConnection({ path }) as unknown as ClientConnection;
  } catch (err) {
    throw new StoreError('STORE_CHDB_PATH_CONFLICT', `cannot open chDB at ${path}: ${errorMessage(err)}`, { cause: err });
  }
  shared = { path, connection, users: 1 };
  return connection;
}

async function releaseChdb(): Promise<void> {
  if (!shared) return;
  shared.users -= 1;
  if (shared.users > 0) return;
  const { connection } = shared;
  shared = undefined;
  await connection.close();
}

function makeHandle(client: ClickHouseClient, engine: StoreEngine, database: string): StoreHandle {
  let closing: Promise<void> | undefined;
  return {
    client,
    engine,
    database,
    close: () => (closing ??= client.close()),
  };
}

/**
 * chDB ignores the client's `database` option (that is an HTTP URL parameter), and `USE` would
 * change the database for every handle sharing the engine. So each statement carries its own
 * `USE <db>;` prefix, which chDB runs together with the statement.
 */
class DatabaseScopedConnection implements ClientConnection {
  private readonly prefix: string;
  private closed = false;

  constructor(
    private readonly inner: ClientConnection,
    database: string,
    private readonly release: () => Promise<void>,
  ) {
    this.prefix = `USE ${quoteIdentifier(database)}; `;
  }

  ping(): Result<'ping'> {
    return this.closed ? Promise.resolve({ success: false, error: closedError() }) : this.inner.ping({ select: true });
  }

  query(params: Param<'query'>): Result<'query'> {
    return this.guard(() => this.inner.query(this.scoped(params)));
  }

  command(params: Param<'command'>): Result<'command'> {
    return this.guard(() => this.inner.command(this.scoped(params)));
  }

  exec(params: Param<'exec'>): Result<'exec'> {
    return this.guard(() => this.inner.exec(this.scoped(params)));
  }

  insert(params: Param<'insert'>): Result<'insert'> {
    return this.guard(() => this.inner.insert(this.scoped(params)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }

  private scoped<P extends { query: string }>(params: P): P {
    return { ...params, query: this.prefix + params.query };
  }

  private guard<T>(run: () => Promise<T>): Promise<T> {
    return this.closed ? Promise.reject(closedError()) : run();
  }
}

function closedError(): StoreError {
  return new StoreError('STORE_CLOSED', 'the store handle is closed');
}

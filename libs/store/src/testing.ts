import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteIdentifier, createStoreClient, type StoreHandle } from './store-client';

/**
 * The data directory tests use for chDB: one per process, because chDB binds one data directory
 * per process. `HOMEOSTAT_TEST_CHDB_DIR` lets a test run choose it; suites separate their data by
 * database name.
 */
export function testStoreDataDir(): string {
  return process.env['HOMEOSTAT_TEST_CHDB_DIR'] || join(tmpdir(), `homeostat-chdb-${process.pid}`);
}

/** A chDB store on {@link testStoreDataDir} whose `database` starts empty. */
export async function openTestStore(database: string): Promise<StoreHandle> {
  await dropTestDatabase(database);
  return createStoreClient({ dataDir: testStoreDataDir(), database });
}

/** Drops `database` through a handle on `default` (a handle cannot drop the database it is bound to). */
export async function dropTestDatabase(database: string): Promise<void> {
  const admin = await createStoreClient({ dataDir: testStoreDataDir(), database: 'default' });
  try {
    await admin.client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(database)} SYNC` });
  } finally {
    await admin.close();
  }
}

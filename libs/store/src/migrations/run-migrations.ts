import { resolve } from 'node:path';
import type { StoreHandle } from '../store-client';
import { StoreError, errorMessage } from '../store.errors';
import { toDateTime64 } from '../clickhouse-time';
import { loadMigrations, pendingMigrations, type AppliedMigration } from './migration-files';

/** `deploy/clickhouse/migrations` of this workspace. */
export const MIGRATIONS_DIR = resolve(__dirname, '../../../../deploy/clickhouse/migrations');

/** `HOMEOSTAT_MIGRATIONS_DIR` when set, else {@link MIGRATIONS_DIR}. */
export function defaultMigrationsDir(): string {
  return process.env['HOMEOSTAT_MIGRATIONS_DIR'] || MIGRATIONS_DIR;
}

export const SCHEMA_MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrationResult {
  /** What this run applied, in order; empty when the schema was already up to date. */
  applied: AppliedMigration[];
  /** Versions found already applied. */
  alreadyApplied: number[];
}

/**
 * Applies the migrations in `dir` that are not yet recorded in `schema_migrations`, in order, and
 * records each. Safe at every start: applied files are checked, not re-run, and the DDL itself is
 * `IF NOT EXISTS`, so two processes starting together both succeed.
 */
export async function runMigrations(handle: StoreHandle, options: { dir?: string } = {}): Promise<MigrationResult> {
  const files = loadMigrations(options.dir ?? defaultMigrationsDir());
  await handle.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${SCHEMA_MIGRATIONS_TABLE} (
      version UInt32,
      name String,
      checksum String,
      applied_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree(applied_at)
    ORDER BY version`,
  });
  const applied = await readAppliedMigrations(handle);
  const pending = pendingMigrations(files, applied);

  const appliedNow: AppliedMigration[] = [];
  for (const migration of pending) {
    for (const [index, statement] of migration.statements.entries()) {
      try {
        await handle.client.command({ query: statement });
      } catch (err) {
        throw new StoreError(
          'MIGRATION_FAILED',
          `migration ${migration.fileName} failed at statement ${index + 1} of ${migration.statements.length}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
    const record = { version: migration.version, name: migration.name, checksum: migration.checksum };
    await handle.client.insert({
      table: SCHEMA_MIGRATIONS_TABLE,
      values: [{ ...record, applied_at: toDateTime64(new Date(), 3) }],
      format: 'JSONEachRow',
    });
    appliedNow.push(record);
  }
  return { applied: appliedNow, alreadyApplied: applied.map((a) => a.version) };
}

export async function readAppliedMigrations(handle: StoreHandle): Promise<AppliedMigration[]> {
  const result = await handle.client.query({
    query: `SELECT version, name, checksum FROM ${SCHEMA_MIGRATIONS_TABLE} FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number | string; name: string; checksum: string }>();
  return rows.map((r) => ({ version: Number(r.version), name: r.name, checksum: r.checksum }));
}

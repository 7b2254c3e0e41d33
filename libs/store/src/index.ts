export { storeConfigSchema, type StoreConfig, type StoreConfigInput } from './store-config.schema';
export { StoreError, type StoreErrorCode } from './store.errors';
export {
  createStoreClient,
  chdbPathFor,
  quoteIdentifier,
  STORE_CLICKHOUSE_SETTINGS,
  type StoreHandle,
  type StoreEngine,
} from './store-client';
export {
  parseMigrationFileName,
  parseMigrationFile,
  splitStatements,
  migrationChecksum,
  orderMigrations,
  loadMigrations,
  pendingMigrations,
  type MigrationFile,
  type AppliedMigration,
} from './migrations/migration-files';
export {
  runMigrations,
  readAppliedMigrations,
  defaultMigrationsDir,
  MIGRATIONS_DIR,
  SCHEMA_MIGRATIONS_TABLE,
  type MigrationResult,
} from './migrations/run-migrations';
export { BatchInserter, insertRows, type BatchInserterOptions } from './batch-inserter';
export { toDateTime64, type DateTime64Precision } from './clickhouse-time';
export { TELEMETRY_TABLES, LEDGER_TABLES, STORE_TABLES } from './tables';
export { testStoreDataDir, openTestStore, dropTestDatabase } from './testing';

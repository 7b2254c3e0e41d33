export type StoreErrorCode =
  | 'STORE_CONFIG_INVALID'
  | 'STORE_CHDB_PATH_CONFLICT'
  | 'STORE_CLOSED'
  | 'MIGRATION_FILE_INVALID'
  | 'MIGRATION_CHECKSUM_MISMATCH'
  | 'MIGRATION_FAILED'
  | 'INSERT_FAILED';

/**
 * Every failure of the store carries a code. None of them is swallowed: an `INSERT_FAILED` reaching a
 * consumer means "do not acknowledge, retry the message".
 */
export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

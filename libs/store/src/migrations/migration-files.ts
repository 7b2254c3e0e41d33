import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../store.errors';

/** `0001_otel_traces.sql`: a version of at least four digits, an underscore, a name. */
const MIGRATION_FILE_NAME = /^(\d{4,})_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

export interface MigrationFile {
  version: number;
  name: string;
  fileName: string;
  /** sha256 (hex) of the file with line endings normalised to `\n`. */
  checksum: string;
  statements: string[];
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export function parseMigrationFileName(fileName: string): { version: number; name: string } | undefined {
  const match = MIGRATION_FILE_NAME.exec(fileName);
  if (!match?.[1] || !match[2]) return undefined;
  return { version: Number(match[1]), name: match[2] };
}

export function migrationChecksum(content: string): string {
  return createHash('sha256').update(normaliseLineEndings(content)).digest('hex');
}

/**
 * Splits a migration into statements. A statement ends with `;` at the end of a line; `--`
 * comments (whole lines or trailing, outside string literals) are dropped.
 */
export function splitStatements(content: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const rawLine of normaliseLineEndings(content).split('\n')) {
    const line = stripLineComment(rawLine).trimEnd();
    if (line.trim() === '') continue;
    if (line.endsWith(';')) {
      current.push(line.slice(0, -1));
      pushStatement(statements, current);
      current = [];
    } else {
      current.push(line);
    }
  }
  pushStatement(statements, current);
  return statements;
}

export function parseMigrationFile(fileName: string, content: string): MigrationFile {
  const parsedName = parseMigrationFileName(fileName);
  if (!parsedName) {
    throw new StoreError('MIGRATION_FILE_INVALID', `migration ${fileName}: the name must look like NNNN_name.sql`);
  }
  const statements = splitStatements(content);
  if (statements.length === 0) {
    throw new StoreError('MIGRATION_FILE_INVALID', `migration ${fileName}: contains no statements`);
  }
  return { ...parsedName, fileName, checksum: migrationChecksum(content), statements };
}

/** Parses and orders the files by version; rejects stray `.sql` names and duplicate versions. */
export function orderMigrations(files: ReadonlyArray<{ fileName: string; content: string }>): MigrationFile[] {
  const migrations = files
    .filter((f) => f.fileName.endsWith('.sql'))
    .map((f) => parseMigrationFile(f.fileName, f.content))
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    const previous = migrations[i - 1];
    const current = migrations[i];
    if (previous && current && previous.version === current.version) {
      throw new StoreError(
        'MIGRATION_FILE_INVALID',
        `migrations ${previous.fileName} and ${current.fileName} share version ${current.version}`,
      );
    }
  }
  return migrations;
}

export function loadMigrations(dir: string): MigrationFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new StoreError('MIGRATION_FILE_INVALID', `cannot read migrations directory ${dir}`, { cause: err });
  }
  return orderMigrations(names.map((fileName) => ({ fileName, content: readFileSync(join(dir, fileName), 'utf8') })));
}

/**
 * The migrations still to apply, in order. An applied migration whose file changed is refused:
 * the schema in the database no longer matches what the file says, and re-running it would not
 * fix that. Applied versions with no file (a newer release ran here) are left alone.
 */
export function pendingMigrations(files: readonly MigrationFile[], applied: readonly AppliedMigration[]): MigrationFile[] {
  const appliedByVersion = new Map(applied.map((a) => [a.version, a]));
  const pending: MigrationFile[] = [];
  for (const file of files) {
    const record = appliedByVersion.get(file.version);
    if (!record) {
      pending.push(file);
    } else if (record.checksum !== file.checksum) {
      throw new StoreError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `migration ${file.fileName} was changed after it was applied (applied checksum ${record.checksum}, ` +
          `file checksum ${file.checksum}); add a new migration instead of editing an applied one`,
      );
    }
  }
  return pending;
}

function normaliseLineEndings(content: string): string {
  return content.replace(/\r\n?/g, '\n');
}

function pushStatement(statements: string[], lines: string[]): void {
  const statement = lines.join('\n').trim();
  if (statement !== '') statements.push(statement);
}

function stripLineComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
    } else if (ch === '-' && line[i + 1] === '-') {
      return line.slice(0, i);
    }
  }
  return line;
}

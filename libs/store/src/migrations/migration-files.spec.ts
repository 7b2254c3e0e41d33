import { createHash } from 'node:crypto';
import { StoreError } from '../store.errors';
import {
  migrationChecksum,
  orderMigrations,
  parseMigrationFileName,
  pendingMigrations,
  splitStatements,
  type MigrationFile,
} from './migration-files';

describe('parseMigrationFileName', () => {
  it('reads the version and the name', () => {
    expect(parseMigrationFileName('0001_otel_traces.sql')).toEqual({ version: 1, name: 'otel_traces' });
    expect(parseMigrationFileName('0120_add-index.sql')).toEqual({ version: 120, name: 'add-index' });
  });

  it.each(['1_short.sql', '0001-dash.sql', '0001_.sql', 'README.md', '0001_x.sql.bak', 'abcd_x.sql'])('rejects %s', (name) => {
    expect(parseMigrationFileName(name)).toBeUndefined();
  });
});

describe('splitStatements', () => {
  it('splits at ; at line end and drops comments', () => {
    const sql = [
      '-- a comment; with a semicolon;',
      'CREATE TABLE a (',
      "  x String DEFAULT 'a;b', -- trailing comment;",
      "  y String DEFAULT 'not -- a comment'",
      ') ENGINE = MergeTree ORDER BY x;',
      '',
      '   -- indented comment',
      'CREATE TABLE b (x UInt8) ENGINE = Memory ;  ',
      'SELECT 1',
    ].join('\r\n');

    expect(splitStatements(sql)).toEqual([
      "CREATE TABLE a (\n  x String DEFAULT 'a;b',\n  y String DEFAULT 'not -- a comment'\n) ENGINE = MergeTree ORDER BY x",
      'CREATE TABLE b (x UInt8) ENGINE = Memory',
      'SELECT 1',
    ]);
  });

  it('does not split at a ; inside a line', () => {
    expect(splitStatements("SELECT ';' AS a, 1 AS b; SELECT 2;")).toEqual(["SELECT ';' AS a, 1 AS b; SELECT 2"]);
  });

  it('returns nothing for a file of comments', () => {
    expect(splitStatements('-- nothing here\n\n-- at all\n')).toEqual([]);
  });
});

describe('migrationChecksum', () => {
  it('is the sha256 of the content, blind to line endings only', () => {
    expect(migrationChecksum('SELECT 1;\n')).toBe(createHash('sha256').update('SELECT 1;\n').digest('hex'));
    expect(migrationChecksum('SELECT 1;\n')).toMatch(/^[0-9a-f]{64}$/);
    expect(migrationChecksum('SELECT 1;\r\n')).toBe(migrationChecksum('SELECT 1;\n'));
    expect(migrationChecksum('SELECT 2;\n')).not.toBe(migrationChecksum('SELECT 1;\n'));
    expect(migrationChecksum('-- why\nSELECT 1;\n')).not.toBe(migrationChecksum('SELECT 1;\n'));
  });
});

describe('orderMigrations', () => {
  it('orders by numeric version and ignores files that are not .sql', () => {
    const ordered = orderMigrations([
      { fileName: '0010_later.sql', content: 'SELECT 10;' },
      { fileName: 'README.md', content: '# notes' },
      { fileName: '0002_second.sql', content: 'SELECT 2;' },
      { fileName: '0001_first.sql', content: 'SELECT 1;\nSELECT 11;' },
    ]);
    expect(ordered.map((m) => [m.version, m.name, m.statements.length])).toEqual([
      [1, 'first', 2],
      [2, 'second', 1],
      [10, 'later', 1],
    ]);
  });

  it('refuses two files with one version', () => {
    expect(() =>
      orderMigrations([
        { fileName: '0001_a.sql', content: 'SELECT 1;' },
        { fileName: '0001_b.sql', content: 'SELECT 1;' },
      ]),
    ).toThrow(/0001_a\.sql and 0001_b\.sql share version 1/);
  });

  it('refuses a badly named .sql file, naming it', () => {
    expect(() => orderMigrations([{ fileName: 'create.sql', content: 'SELECT 1;' }])).toThrow(/create\.sql/);
  });

  it('refuses an empty migration', () => {
    expect(() => orderMigrations([{ fileName: '0001_empty.sql', content: '-- todo\n' }])).toThrow(
      /0001_empty\.sql: contains no statements/,
    );
  });
});

describe('pendingMigrations', () => {
  const files: MigrationFile[] = orderMigrations([
    { fileName: '0001_a.sql', content: 'SELECT 1;' },
    { fileName: '0002_b.sql', content: 'SELECT 2;' },
    { fileName: '0003_c.sql', content: 'SELECT 3;' },
  ]);
  const record = (m: MigrationFile) => ({ version: m.version, name: m.name, checksum: m.checksum });

  it('given nothing applied, returns every file in order', () => {
    expect(pendingMigrations(files, []).map((m) => m.version)).toEqual([1, 2, 3]);
  });

  it('given some applied, returns the rest', () => {
    const applied = files.slice(0, 2).map(record);
    expect(pendingMigrations(files, applied).map((m) => m.version)).toEqual([3]);
  });

  it('given all applied, returns nothing', () => {
    expect(pendingMigrations(files, files.map(record))).toEqual([]);
  });

  it('given an applied file that changed, refuses and names the file', () => {
    const applied = files.map(record).map((r) => (r.version === 2 ? { ...r, checksum: 'f'.repeat(64) } : r));
    let error: unknown;
    try {
      pendingMigrations(files, applied);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('MIGRATION_CHECKSUM_MISMATCH');
    expect((error as StoreError).message).toContain('0002_b.sql');
  });

  it('leaves alone applied versions that have no file', () => {
    const applied = [...files.map(record), { version: 9, name: 'newer', checksum: 'x' }];
    expect(pendingMigrations(files, applied)).toEqual([]);
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';

/** The eight Loghub systems held in ../shared/loghub (2,000 labelled lines each). */
export const LOGHUB_SYSTEMS = ['Apache', 'BGL', 'HDFS', 'Hadoop', 'Linux', 'OpenSSH', 'Spark', 'Zookeeper'] as const;
export type LoghubSystem = (typeof LOGHUB_SYSTEMS)[number];

export interface LabelledLog {
  readonly system: string;
  /** The `Content` column: the message body the parser sees. */
  readonly contents: string[];
  /** The `EventId` column: the hand-labelled template of each line. */
  readonly eventIds: string[];
  /** The `EventTemplate` column (`<*>` for each variable), when the file has it. */
  readonly eventTemplates?: string[];
}

/** HOMEOSTAT_LOGHUB_DIR, else ../shared/loghub relative to the repository root. */
export function loghubDir(): string {
  const fromEnv = process.env['HOMEOSTAT_LOGHUB_DIR'];
  if (fromEnv) return path.resolve(fromEnv);
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  return path.resolve(repoRoot, '..', 'shared', 'loghub');
}

/** RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export function readLabelledLog(dir: string, system: string): LabelledLog {
  const file = path.join(dir, system, `${system}_2k.log_structured.csv`);
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
  if (!header) throw new Error(`${file}: empty`);
  const contentAt = header.indexOf('Content');
  const eventAt = header.indexOf('EventId');
  const templateAt = header.indexOf('EventTemplate');
  if (contentAt < 0 || eventAt < 0) throw new Error(`${file}: no Content or EventId column in ${header.join(',')}`);
  const contents: string[] = [];
  const eventIds: string[] = [];
  const eventTemplates: string[] = [];
  for (const r of rows) {
    if (r.length === 1 && r[0] === '') continue;
    const content = r[contentAt];
    const eventId = r[eventAt];
    if (content === undefined || eventId === undefined) throw new Error(`${file}: short row ${r.join(',')}`);
    contents.push(content);
    eventIds.push(eventId);
    if (templateAt >= 0) eventTemplates.push(r[templateAt] ?? '');
  }
  return templateAt >= 0 ? { system, contents, eventIds, eventTemplates } : { system, contents, eventIds };
}

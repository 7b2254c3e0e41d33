import { writeFileSync } from 'node:fs';

export interface Row {
  name: string;
  value: number | string;
  /** A row that must be 0 for the run to pass; undefined: for reading only. */
  target?: 0;
  detail?: string;
}

/** True when every row with a target is at it. */
export const passes = (rows: Row[]): boolean => rows.every((r) => r.target === undefined || r.value === r.target);

/** The table the suite prints: name, value, target (and pass/FAIL), what it is made of. */
export function printTable(title: string, rows: Row[], write: (text: string) => void = (t) => process.stdout.write(t)): void {
  const width = Math.max(...rows.map((r) => r.name.length));
  const valueWidth = Math.max(...rows.map((r) => String(r.value).length));
  write(`${title}\n`);
  for (const r of rows) {
    const verdict = r.target === undefined ? '    ' : r.value === r.target ? 'pass' : 'FAIL';
    write(`${r.name.padEnd(width)}  ${String(r.value).padStart(valueWidth)}  ${verdict}  ${r.detail ?? ''}\n`);
  }
}

export function writeJson(file: string, title: string, rows: Row[]): void {
  writeFileSync(file, `${JSON.stringify({ title, pass: passes(rows), rows }, null, 2)}\n`);
}

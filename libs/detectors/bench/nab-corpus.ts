/** Loads the NAB subset (read-only) from HOMEOSTAT_NAB_DIR, default `../shared/nab` next to the repo. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NabFile {
  /** Path relative to the data dir, e.g. `realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv`. */
  readonly name: string;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly windows: Array<[number, number]>;
}

export function nabDir(): string {
  const repoRoot = path.resolve(__dirname, '../../..');
  return path.resolve(repoRoot, process.env['HOMEOSTAT_NAB_DIR'] ?? '../shared/nab');
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` read as UTC, in epoch milliseconds. */
export function parseNabTimestamp(text: string): number {
  const ms = Date.parse(
    text
      .trim()
      .replace(' ', 'T')
      .replace(/(\.\d{3})\d*$/, '$1') + 'Z',
  );
  if (Number.isNaN(ms)) throw new Error(`bad NAB timestamp: ${text}`);
  return ms;
}

function listCsv(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listCsv(path.join(dir, entry.name), rel));
    else if (entry.name.endsWith('.csv')) out.push(rel);
  }
  return out;
}

export function loadNabCorpus(dir = nabDir()): NabFile[] {
  const labels = JSON.parse(fs.readFileSync(path.join(dir, 'windows.json'), 'utf8')) as Record<string, Array<[string, string]>>;
  return listCsv(path.join(dir, 'data')).map((name) => {
    const lines = fs.readFileSync(path.join(dir, 'data', name), 'utf8').split(/\r?\n/);
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.length === 0) continue;
      const comma = line.indexOf(',');
      timestamps.push(parseNabTimestamp(line.slice(0, comma)));
      values.push(Number(line.slice(comma + 1)));
    }
    const windows = (labels[name] ?? []).map(([a, b]): [number, number] => [parseNabTimestamp(a), parseNabTimestamp(b)]);
    return { name, timestamps: Float64Array.from(timestamps), values: Float64Array.from(values), windows };
  });
}

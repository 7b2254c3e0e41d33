import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDetector } from '@homeostat/detectors';
import { parseTimestamp, replayCommand, replayFiles } from './replay.command';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-spec-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

function write(name: string, text: string): string {
  const file = path.join(dir, 'in', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}
const outDir = (): string => path.join(dir, 'out');
const readOut = (name: string): string[] => fs.readFileSync(path.join(outDir(), name), 'utf8').split('\n');

function series(n: number): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const ts = new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace('T', ' ');
    rows.push([ts, (i === n - 50 ? 500 : 50 + 10 * Math.sin(i / 20) + (i % 7)).toFixed(3)]);
  }
  return rows;
}
function expectedScores(rows: Array<[string, string]>): number[] {
  const d = createDetector();
  return rows.map(([ts, v]) => d.update(parseTimestamp(ts), Number(v)));
}

describe('replay', () => {
  it('writes timestamp,value,anomaly_score under the same base name, row for row, values verbatim', async () => {
    const rows = series(3000);
    const input = write('cpu.csv', 'timestamp,value\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
    const { results, failures } = await replayFiles([input], { outDir: outDir() });
    expect(failures).toEqual([]);
    expect(results[0]).toMatchObject({ rows: 3000, nonNumeric: 0, output: path.join(outDir(), 'cpu.csv') });
    const lines = readOut('cpu.csv');
    expect(lines[0]).toBe('timestamp,value,anomaly_score');
    expect(lines).toHaveLength(3002); // header, rows, final newline
    const scores = expectedScores(rows);
    rows.forEach(([ts, v], i) => {
      const [ots, ov, os_] = (lines[i + 1] as string).split(',');
      expect([ots, ov]).toEqual([ts, v]);
      expect(Number(os_)).toBeCloseTo(scores[i] as number, 6);
    });
    expect(Number((lines[3000 - 50 + 1] as string).split(',')[2])).toBeGreaterThan(0.9);
  });

  it('accepts CRLF, a missing final newline and text across read chunks', async () => {
    const rows = series(60_000); // ~1.7 MB: more than one 1 MiB read chunk
    const input = write('big.csv', 'timestamp,value\r\n' + rows.map((r) => r.join(',')).join('\r\n'));
    const { failures } = await replayFiles([input], { outDir: outDir() });
    expect(failures).toEqual([]);
    const lines = readOut('big.csv');
    expect(lines).toHaveLength(60_002);
    const scores = expectedScores(rows);
    expect(lines.slice(1, -1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(rows.map((r) => r.join(',')));
    expect(lines.slice(1, -1).map((l) => Number(l.split(',')[2]))).toEqual(scores.map((s) => Number(s === 0 ? '0' : s.toFixed(6))));
  });

  it('copies rows without a numeric value with score 0, keeps going and warns', async () => {
    const rows = series(400);
    const text = [
      'timestamp,value',
      ...rows.slice(0, 200).map((r) => r.join(',')),
      '2024-02-01 00:00:00,',
      '2024-02-01 00:05:00,n/a',
      'garbage',
      '2024-02-01 00:10:00,NaN',
      ...rows.slice(200).map((r) => r.join(',')),
    ];
    const input = write('gaps.csv', text.join('\n') + '\n\n');
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await replayCommand([input], { outDir: outDir() });
    } finally {
      stdout.mockRestore();
    }
    const warnings = stderr.mock.calls.map((c) => String(c[0])).join('');
    stderr.mockRestore();
    expect(warnings).toContain(`${input}: 4 row(s) without a numeric value (first at line 202)`);
    expect(process.exitCode).toBeUndefined();
    const lines = readOut('gaps.csv');
    expect(lines.slice(201, 205)).toEqual([
      '2024-02-01 00:00:00,,0',
      '2024-02-01 00:05:00,n/a,0',
      'garbage,,0',
      '2024-02-01 00:10:00,NaN,0',
    ]);
    const scores = expectedScores(rows).map((s) => (s === 0 ? '0' : s.toFixed(6)));
    expect([...lines.slice(1, 201), ...lines.slice(205, -1)].map((l) => l.split(',')[2])).toEqual(scores);
  });

  it('reports bad files by name, leaves no partial output and replays the others', async () => {
    const good = write('good.csv', 'timestamp,value\n2024-01-01 00:00:00,1\n');
    const badHeader = write('bad.csv', 'time;val\n1;2\n');
    const dup = write('sub/good.csv', 'timestamp,value\n');
    const missing = path.join(dir, 'in', 'missing.csv');
    const { results, failures } = await replayFiles([good, badHeader, dup, missing], { outDir: outDir() });
    expect(results.map((r) => r.input)).toEqual([good]);
    const messages = failures.map((f) => f.error.message);
    expect(messages).toEqual([
      expect.stringContaining(`${dup}: same base name as ${good}`),
      `${badHeader}:1: expected the header "timestamp,value", got "time;val"`,
      expect.stringContaining(missing),
    ]);
    expect(fs.readdirSync(outDir())).toEqual(['good.csv']);
  });

  it('refuses to overwrite its input', async () => {
    const input = write('x.csv', 'timestamp,value\n1,2\n');
    const { failures } = await replayFiles([input], { outDir: path.dirname(input) });
    expect(failures[0]?.error.message).toContain('would overwrite the input');
    expect(fs.readFileSync(input, 'utf8')).toBe('timestamp,value\n1,2\n');
  });
});

describe('parseTimestamp', () => {
  it('reads NAB-style text as UTC, ISO with zones, and epoch numbers', () => {
    expect(parseTimestamp('2014-04-01 00:05:00')).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(parseTimestamp('2014-04-01T00:05:00+01:00')).toBe(Date.UTC(2014, 3, 0, 23, 5));
    expect(parseTimestamp('1700000000000')).toBe(1_700_000_000_000);
    expect(parseTimestamp('not a time')).toBeNaN();
  });
});

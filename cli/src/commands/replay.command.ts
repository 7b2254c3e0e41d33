import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { SingleBar } from 'cli-progress';
import { createDetector } from '@homeostat/detectors';

/**
 * `homeostat replay <file.csv...> --out-dir DIR [--progress]`
 *
 * Runs the analyzer's streaming detector (default options) over recorded `timestamp,value` series
 * and writes `DIR/<same base name>` with `timestamp,value,anomaly_score`: one row per input row, in
 * order, timestamp and value copied verbatim. A row whose value is not a finite number (empty,
 * text, NaN, Infinity) is kept as is with score 0, does not touch the detector state, and is counted
 * in a warning. Blank lines are not rows. CRLF input is accepted; output uses LF.
 *
 * Each output is written to a temporary file beside it and renamed when complete, so a failed run
 * never leaves a truncated CSV behind. A file that cannot be replayed (missing, wrong header, would
 * overwrite its own input) is reported with its name and sets exit code 1; the others still run.
 */
export interface ReplayOptions {
  outDir: string;
  /** Show the progress bar even when stderr is not a terminal. */
  progress?: boolean;
}

export class ReplayError extends Error {
  constructor(
    readonly code: 'REPLAY_BAD_HEADER' | 'REPLAY_SAME_FILE' | 'REPLAY_DUPLICATE_NAME',
    message: string,
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}

export interface ReplayFileResult {
  readonly input: string;
  readonly output: string;
  readonly rows: number;
  /** Rows whose value was not a finite number (scored 0). */
  readonly nonNumeric: number;
  /** 1-based line number of the first such row, for the warning. */
  readonly firstNonNumericLine: number | null;
}

const READ_CHUNK = 1 << 20;
const WRITE_CHUNK = 1 << 20;

/** Epoch numbers as given; ISO-8601-like text (`YYYY-MM-DD HH:MM:SS`, no zone = UTC) parsed; otherwise NaN. */
export function parseTimestamp(text: string): number {
  const t = text.trim();
  if (t.length === 0) return NaN;
  const c = t.charCodeAt(0);
  if (c >= 48 && c <= 57 && !t.includes('-') && !t.includes(':')) return Number(t);
  const iso = t.length > 10 && t[10] === ' ' ? `${t.slice(0, 10)}T${t.slice(11)}` : t;
  const hasZone = /(?:Z|[+-]\d\d:?\d\d)$/i.test(iso);
  return Date.parse(hasZone || iso.length <= 10 ? iso : `${iso}Z`);
}

/** A finite number, or NaN for anything else (including the empty string, which Number() reads as 0). */
function parseValue(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return Number(text);
  }
  return NaN;
}

function formatScore(score: number): string {
  return score === 0 ? '0' : score === 1 ? '1' : score.toFixed(6);
}

function checkHeader(file: string, line: string): void {
  const cols = line
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((c) =>
      c
        .trim()
        .toLowerCase()
        .replace(/^"(.*)"$/, '$1'),
    );
  if (cols.length !== 2 || cols[0] !== 'timestamp' || cols[1] !== 'value') {
    throw new ReplayError('REPLAY_BAD_HEADER', `${file}:1: expected the header "timestamp,value", got "${line.slice(0, 120)}"`);
  }
}

/** Buffered writer that respects back-pressure. */
class ChunkedWriter {
  private parts: string[] = [];
  private pending = 0;
  constructor(private readonly stream: fs.WriteStream) {}

  async add(text: string): Promise<void> {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= WRITE_CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.pending = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

async function replayFile(input: string, output: string, onBytes: (n: number) => void): Promise<ReplayFileResult> {
  const detector = createDetector();
  const tmp = `${output}.tmp-${process.pid}`;
  const out = fs.createWriteStream(tmp);
  const writerError = new Promise<never>((_, reject) => out.once('error', reject));
  writerError.catch(() => undefined);
  const writer = new ChunkedWriter(out);
  const decoder = new StringDecoder('utf8');

  let lineNo = 0;
  let rows = 0;
  let nonNumeric = 0;
  let firstNonNumericLine: number | null = null;
  let carry = '';
  let lines: string[] = [];

  const handle = (raw: string): void => {
    lineNo++;
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (lineNo === 1) {
      checkHeader(input, line);
      lines.push('timestamp,value,anomaly_score\n');
      return;
    }
    if (line.length === 0 || line.trim().length === 0) return;
    const comma = line.indexOf(',');
    const ts = comma < 0 ? line : line.slice(0, comma);
    const valueText = comma < 0 ? '' : line.slice(comma + 1);
    const value = parseValue(valueText);
    let score = 0;
    if (Number.isFinite(value)) score = detector.update(parseTimestamp(ts), value);
    else {
      nonNumeric++;
      firstNonNumericLine ??= lineNo;
    }
    rows++;
    lines.push(`${ts},${valueText},${formatScore(score)}\n`);
  };

  try {
    const stream = fs.createReadStream(input, { highWaterMark: READ_CHUNK });
    for await (const buf of stream as AsyncIterable<Buffer>) {
      onBytes(buf.length);
      const text = carry + decoder.write(buf);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        handle(text.slice(start, nl));
        start = nl + 1;
      }
      carry = text.slice(start);
      if (lines.length > 0) {
        await Promise.race([writer.add(lines.join('')), writerError]);
        lines = [];
      }
    }
    carry += decoder.end();
    if (carry.length > 0) handle(carry);
    if (lineNo === 0) throw new ReplayError('REPLAY_BAD_HEADER', `${input}: empty file, expected the header "timestamp,value"`);
    if (lines.length > 0) await Promise.race([writer.add(lines.join('')), writerError]);
    await Promise.race([writer.close(), writerError]);
    await fs.promises.rename(tmp, output);
  } catch (err) {
    out.destroy();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  return { input, output, rows, nonNumeric, firstNonNumericLine };
}

/** Replays every file; returns per-file results and the failures (reported by the command). */
export async function replayFiles(
  files: string[],
  options: ReplayOptions,
  onProgress?: { start(totalBytes: number): void; bytes(n: number, file: string): void; stop(): void },
): Promise<{ results: ReplayFileResult[]; failures: Array<{ input: string; error: Error }> }> {
  await fs.promises.mkdir(options.outDir, { recursive: true });
  const results: ReplayFileResult[] = [];
  const failures: Array<{ input: string; error: Error }> = [];
  const seen = new Map<string, string>();
  const planned: Array<{ input: string; output: string }> = [];
  for (const input of files) {
    const output = path.join(options.outDir, path.basename(input));
    const clash = seen.get(output);
    if (clash !== undefined) {
      failures.push({
        input,
        error: new ReplayError('REPLAY_DUPLICATE_NAME', `${input}: same base name as ${clash}; both would write ${output}`),
      });
    } else if (path.resolve(output) === path.resolve(input)) {
      failures.push({
        input,
        error: new ReplayError('REPLAY_SAME_FILE', `${input}: the output would overwrite the input; choose another --out-dir`),
      });
    } else {
      seen.set(output, input);
      planned.push({ input, output });
    }
  }
  let totalBytes = 0;
  for (const p of planned)
    totalBytes += await fs.promises.stat(p.input).then(
      (s) => s.size,
      () => 0,
    );
  onProgress?.start(totalBytes);
  try {
    for (const { input, output } of planned) {
      try {
        results.push(await replayFile(input, output, (n) => onProgress?.bytes(n, path.basename(input))));
      } catch (err) {
        failures.push({ input, error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
  } finally {
    onProgress?.stop();
  }
  return { results, failures };
}

export async function replayCommand(files: string[], options: ReplayOptions): Promise<void> {
  const showBar = options.progress === true || process.stderr.isTTY === true;
  const started = process.hrtime.bigint();
  let bar: SingleBar | undefined;
  const progress = showBar
    ? {
        start: (total: number): void => {
          bar = new SingleBar({
            stream: process.stderr,
            format: 'replay [{bar}] {percentage}% | {value}/{total} bytes | {file} | ETA {eta_formatted}',
            hideCursor: true,
            noTTYOutput: !process.stderr.isTTY,
            notTTYSchedule: 2000,
          });
          bar.start(Math.max(total, 1), 0, { file: '' });
        },
        bytes: (n: number, file: string): void => bar?.increment(n, { file }),
        stop: (): void => bar?.stop(),
      }
    : undefined;

  const { results, failures } = await replayFiles(files, options, progress);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let points = 0;
  for (const r of results) {
    points += r.rows;
    process.stdout.write(`wrote ${r.output} (${r.rows} rows)\n`);
    if (r.nonNumeric > 0) {
      process.stderr.write(
        `warning: ${r.input}: ${r.nonNumeric} row(s) without a numeric value (first at line ${r.firstNonNumericLine ?? '?'}) copied with anomaly_score 0\n`,
      );
    }
  }
  for (const f of failures) process.stderr.write(`error: ${f.error.message}\n`);
  process.stdout.write(
    `${results.length} replayed, ${failures.length} failed, ${points} points in ${seconds.toFixed(2)} s (${Math.round(points / Math.max(seconds, 1e-9))} points/s)\n`,
  );
  if (failures.length > 0) process.exitCode = 1;
}

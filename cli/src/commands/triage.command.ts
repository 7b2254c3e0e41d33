import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { SingleBar, Presets } from 'cli-progress';
import { BuildLogTriage, LineSplitter, similarFailures, type BuildDiagnosis, type SimilarFailure } from '@homeostat/repair';

/**
 * `homeostat triage <log-file...> --out-dir DIR [--similar K] [--progress]`
 *
 * Diagnoses failed build logs with the repair loop's own analysis (`BuildLogTriage` in
 * @homeostat/repair); this command only reads the files (streaming, gunzipping `.gz`) and writes
 * `DIR/<base>.json` = `{"reasonLines", "category", "signature", "culprits", "similar"}`, where
 * `<base>` is the file name without `.gz` and its last extension, and `similar` holds up to K of
 * the other inputs of the same call, most similar first. A file that cannot be read as a text log
 * (empty, binary, not UTF-8, too large, named `.gz` but not gzip) is one line on stderr and exit
 * code 1; the others are still diagnosed.
 */
export interface TriageOptions {
  outDir: string;
  similar?: number;
  progress?: boolean;
  /** Decompressed bytes read at most from one log (default 1 GiB). */
  maxBytes?: number;
}

export interface TriageFileResult {
  readonly file: string;
  readonly id: string;
  readonly output: string;
  readonly diagnosis: BuildDiagnosis;
  similar: SimilarFailure[];
}

/** What the command writes for one log. */
export interface TriageAnswer {
  reasonLines: Array<[number, number]>;
  category: string;
  signature: string;
  culprits: Array<{ name: string; score: number }>;
  similar: SimilarFailure[];
}

const DEFAULT_MAX_BYTES = 1 << 30;
/** A line longer than this is not a log line: the file is binary or has no line ends. */
const MAX_LINE = 1 << 20;
const GZIP_MAGIC = [0x1f, 0x8b];

export class BadLogError extends Error {}

/** `<base>` of `<base>.<ext>` or `<base>.<ext>.gz`. */
export function logId(file: string): string {
  let name = path.basename(file);
  if (name.endsWith('.gz')) name = name.slice(0, -3);
  const ext = path.extname(name);
  return (ext && ext !== name ? name.slice(0, -ext.length) : name) || name;
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === GZIP_MAGIC[0] && buf[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/**
 * Reads one log as a stream into a fresh BuildLogTriage: memory holds one read chunk, the
 * current line and what the triage keeps (bounded), whatever the log's size.
 */
export async function diagnoseFile(
  file: string,
  options: { maxBytes?: number; onBytes?: (bytes: number) => void } = {},
): Promise<BuildDiagnosis> {
  const stat = await fs.promises.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new BadLogError('not a readable file');
  if (stat.size === 0) throw new BadLogError('empty file');
  const gzipped = file.endsWith('.gz');
  if (gzipped && !(await startsWithGzipMagic(file))) throw new BadLogError('named .gz but is not gzip data');
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;

  const raw = fs.createReadStream(file);
  const input: NodeJS.ReadableStream = gzipped ? raw.pipe(zlib.createGunzip()) : raw;
  if (gzipped) raw.on('error', (err) => (input as zlib.Gunzip).destroy(err));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const splitter = new LineSplitter();
  const triage = new BuildLogTriage();
  let bytes = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new BadLogError(`larger than ${maxBytes} bytes${gzipped ? ' once decompressed' : ''}`);
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new BadLogError(`not valid UTF-8 (near byte ${bytes - chunk.length})`);
      }
      if (text.includes('\u0000')) throw new BadLogError('binary data (NUL bytes), not a text log');
      for (const line of splitter.push(text)) triage.addLine(line);
      options.onBytes?.(raw.bytesRead);
      if (splitter.pendingLength > MAX_LINE)
        throw new BadLogError(`a line longer than ${MAX_LINE} bytes: binary or not a line-oriented log`);
    }
    try {
      const rest = decoder.decode();
      for (const line of splitter.push(rest)) triage.addLine(line);
    } catch {
      throw new BadLogError('not valid UTF-8 (truncated character at the end)');
    }
  } catch (err) {
    raw.destroy();
    if (err instanceof BadLogError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new BadLogError(`corrupt gzip data (${(err as Error).message})`);
    throw err;
  }
  for (const line of splitter.end()) triage.addLine(line);
  if (bytes === 0) throw new BadLogError('empty log');
  return triage.finish();
}

export async function triageFiles(
  files: readonly string[],
  options: TriageOptions,
  onFile?: (file: string) => ((bytes: number) => void) | undefined,
): Promise<{ results: TriageFileResult[]; failures: Array<{ file: string; error: Error }> }> {
  await fs.promises.mkdir(options.outDir, { recursive: true });
  const results: TriageFileResult[] = [];
  const failures: Array<{ file: string; error: Error }> = [];
  const taken = new Map<string, string>();
  for (const file of files) {
    try {
      const id = logId(file);
      const clash = taken.get(id);
      if (clash !== undefined) throw new BadLogError(`same base name as ${clash}; both would write ${id}.json`);
      taken.set(id, file);
      const onBytes = onFile?.(file);
      const diagnosis = await diagnoseFile(file, {
        ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
        ...(onBytes ? { onBytes } : {}),
      });
      results.push({ file, id, output: path.join(options.outDir, `${id}.json`), diagnosis, similar: [] });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      failures.push({ file, error: new Error(`${file}: ${error.message}`) });
    }
  }
  const similar = similarFailures(
    results.map((r) => ({ id: r.id, features: r.diagnosis.features })),
    options.similar ?? 5,
  );
  for (const r of results) {
    r.similar = similar.get(r.id) ?? [];
    const { reasonLines, category, signature, culprits } = r.diagnosis;
    const answer: TriageAnswer = { reasonLines, category, signature, culprits, similar: r.similar };
    const tmp = `${r.output}.tmp-${process.pid}`;
    await fs.promises.writeFile(tmp, `${JSON.stringify(answer)}\n`);
    await fs.promises.rename(tmp, r.output);
  }
  return { results, failures };
}

export async function triageCommand(files: string[], options: TriageOptions): Promise<void> {
  const showProgress = options.progress === true || process.stderr.isTTY === true;
  let bar: SingleBar | undefined;
  const onFile = showProgress
    ? (file: string): ((bytes: number) => void) => {
        bar?.stop();
        const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
        bar = new SingleBar(
          {
            stream: process.stderr,
            format: `${path.basename(file)} [{bar}] {percentage}% | {value}/{total} bytes`,
            hideCursor: true,
            noTTYOutput: !process.stderr.isTTY,
            notTTYSchedule: 2000,
          },
          Presets.shades_classic,
        );
        bar.start(Math.max(size, 1), 0);
        return (bytes) => bar?.update(Math.min(bytes, size));
      }
    : undefined;
  let outcome: Awaited<ReturnType<typeof triageFiles>>;
  try {
    outcome = await triageFiles(files, options, onFile);
  } catch (err) {
    bar?.stop();
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  bar?.stop();
  for (const r of outcome.results) {
    const top = r.diagnosis.culprits[0];
    process.stdout.write(`wrote ${r.output} (${r.diagnosis.category}${top ? `, culprit ${top.name}` : ''})\n`);
  }
  for (const f of outcome.failures) process.stderr.write(`error: ${f.error.message}\n`);
  process.stdout.write(`${outcome.results.length} diagnosed, ${outcome.failures.length} failed\n`);
  if (outcome.failures.length > 0) process.exitCode = 1;
}

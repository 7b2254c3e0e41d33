import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { once } from 'node:events';
import { SingleBar, Presets } from 'cli-progress';
import { TemplateMiner } from '@homeostat/logmine';

export interface TemplatesOptions {
  outDir: string;
  progress?: boolean;
}

export interface TemplatesFileResult {
  readonly file: string;
  readonly out: string;
  readonly lines: number;
  readonly templates: number;
  readonly seconds: number;
}

/** Output lines are gathered and written in chunks of about this many characters. */
const WRITE_CHUNK = 1 << 16;
/** The progress bar is moved every this many lines. */
const PROGRESS_EVERY = 8192;

/** `<out-dir>/<file name without its last extension>.jsonl`. */
export function outputPath(file: string, outDir: string): string {
  const base = path.basename(file, path.extname(file)) || path.basename(file);
  return path.join(outDir, `${base}.jsonl`);
}

/**
 * Mines one file, one log message body per line, with a fresh default TemplateMiner (the analyzer's
 * configuration), in one pass and in order. Each output line holds the id and the template of the
 * line's cluster as they were when the line was processed (no look-ahead; a later line may
 * generalise the template, the id stays).
 */
export async function mineFile(file: string, out: string, onProgress?: (bytes: number) => void): Promise<TemplatesFileResult> {
  const started = process.hrtime.bigint();
  const miner = new TemplateMiner();
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  const output = fs.createWriteStream(out, { encoding: 'utf8' });
  const outputFailed = new Promise<never>((_, reject) => output.once('error', reject));
  outputFailed.catch(() => undefined); // observed below through Promise.race
  const lines = readline.createInterface({ input, crlfDelay: Infinity });

  let buffer = '';
  let count = 0;
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (buffer === '') return;
    const ok = output.write(buffer);
    buffer = '';
    if (!ok) await Promise.race([once(output, 'drain'), outputFailed]);
  };

  for await (const raw of lines) {
    // readline strips "\r\n"; a lone trailing "\r" (mixed endings) is not part of the message.
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const mined = miner.add(line);
    buffer += `{"template_id":"${mined.templateId}","template":${JSON.stringify(mined.template)}}\n`;
    count++;
    bytes += Buffer.byteLength(raw, 'utf8') + 1;
    if (buffer.length >= WRITE_CHUNK) await flush();
    if (onProgress && count % PROGRESS_EVERY === 0) onProgress(bytes);
  }
  await flush();
  output.end();
  await Promise.race([once(output, 'finish'), outputFailed]);
  onProgress?.(bytes);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { file, out, lines: count, templates: miner.stats.templates, seconds };
}

/**
 * `homeostat templates <file…> --out-dir DIR [--progress]`: writes `<out-dir>/<base name>.jsonl`
 * with `{"template_id", "template"}` for every input line, in order. A progress bar goes to
 * stderr when it is a terminal or with `--progress`; a summary line per file goes to stderr too.
 */
export async function templatesCommand(files: string[], options: TemplatesOptions): Promise<void> {
  const outs = files.map((f) => outputPath(f, options.outDir));
  const clash = outs.find((o, i) => outs.indexOf(o) !== i);
  if (clash) throw new Error(`templates: two input files would both write ${clash}; rename one`);
  for (const f of files) {
    const stat = await fs.promises.stat(f).catch(() => undefined);
    if (!stat?.isFile()) throw new Error(`templates: ${f} is not a readable file`);
  }
  await fs.promises.mkdir(options.outDir, { recursive: true });

  const showProgress = options.progress === true || process.stderr.isTTY === true;
  for (const [i, file] of files.entries()) {
    const out = outs[i] as string;
    const size = (await fs.promises.stat(file)).size;
    const bar = showProgress
      ? new SingleBar(
          {
            stream: process.stderr,
            format: `${path.basename(file)} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta}s`,
            hideCursor: true,
            noTTYOutput: !process.stderr.isTTY,
            notTTYSchedule: 2000,
          },
          Presets.shades_classic,
        )
      : undefined;
    bar?.start(Math.max(size, 1), 0);
    try {
      const r = await mineFile(file, out, bar ? (bytes) => bar.update(Math.min(bytes, size)) : undefined);
      bar?.stop();
      const rate = r.seconds > 0 ? Math.round(r.lines / r.seconds) : r.lines;
      process.stderr.write(`${r.file}: ${r.lines} lines, ${r.templates} templates -> ${r.out} (${rate} lines/s)\n`);
    } catch (error) {
      bar?.stop();
      throw error;
    }
  }
}

/**
 * `npm run bench:replay`: points per second of the detector on one core, in memory and through
 * `homeostat replay` (CSV in, CSV out), on a large synthetic series (BENCH_POINTS, default 5M) and
 * on the NAB files. The replay runs in a child process (one core) that loads the CLI command
 * module directly, so this works before the command is wired into the program.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDetector } from '../src';
import { loadNabCorpus, nabDir } from './nab-corpus';

const repoRoot = path.resolve(__dirname, '../../..');
const points = Number(process.env['BENCH_POINTS'] ?? 5_000_000);

/** Daily seasonality + slow drift + noise + rare spikes and level shifts, 1-minute spacing. */
function synthesize(n: number, file: string): void {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const fd = fs.openSync(file, 'w');
  const start = Date.UTC(2024, 0, 1);
  let level = 50;
  let buf = 'timestamp,value\n';
  for (let i = 0; i < n; i++) {
    if (rand() < 1e-4) level += (rand() - 0.5) * 40;
    const daily = 20 * Math.sin((2 * Math.PI * i) / 1440);
    const spike = rand() < 2e-4 ? 60 * rand() : 0;
    const v = level + daily + 5 * (rand() - 0.5) + spike;
    buf += `${new Date(start + i * 60_000).toISOString().slice(0, 19).replace('T', ' ')},${v.toFixed(4)}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

function inMemory(values: Float64Array, timestamps: Float64Array): number {
  const d = createDetector();
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < values.length; i++) sink += d.update(timestamps[i] as number, values[i] as number);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return values.length / s;
}

function replay(files: string[], outDir: string): { pointsPerSecond: number; wallSeconds: number } {
  const script =
    `require(${JSON.stringify(path.join(repoRoot, 'cli/src/commands/replay.command.ts'))})` +
    `.replayCommand(JSON.parse(process.env.REPLAY_FILES), { outDir: process.env.REPLAY_OUT, progress: false })`;
  const t0 = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, REPLAY_FILES: JSON.stringify(files), REPLAY_OUT: outDir },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /\((\d+) points\/s\)/.exec(out);
  return { pointsPerSecond: m ? Number(m[1]) : NaN, wallSeconds };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-replay-bench-'));
try {
  const synthetic = path.join(work, 'synthetic.csv');
  process.stdout.write(`generating ${fmt(points)} points in ${synthetic}\n`);
  synthesize(points, synthetic);
  const size = fs.statSync(synthetic).size;

  const values = new Float64Array(points);
  const timestamps = new Float64Array(points);
  {
    let seed = 7;
    for (let i = 0; i < points; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      values[i] = 50 + 20 * Math.sin((2 * Math.PI * i) / 1440) + 5 * (seed / 2 ** 32);
      timestamps[i] = i * 60_000;
    }
  }
  process.stdout.write(`detector in memory, ${fmt(points)} points: ${fmt(inMemory(values, timestamps))} points/s\n`);

  const big = replay([synthetic], path.join(work, 'out'));
  process.stdout.write(
    `replay CSV ${fmt(points)} points (${(size / 1e6).toFixed(0)} MB): ${fmt(big.pointsPerSecond)} points/s (process wall time ${big.wallSeconds.toFixed(1)} s)\n`,
  );

  const corpus = loadNabCorpus();
  const nabFiles = corpus.map((f) => path.join(nabDir(), 'data', f.name));
  const nabPoints = corpus.reduce((n, f) => n + f.values.length, 0);
  let memRate = 0;
  {
    const t0 = process.hrtime.bigint();
    for (const f of corpus) {
      const d = createDetector();
      for (let i = 0; i < f.values.length; i++) d.update(f.timestamps[i] as number, f.values[i] as number);
    }
    memRate = nabPoints / (Number(process.hrtime.bigint() - t0) / 1e9);
  }
  process.stdout.write(`detector in memory, NAB (${corpus.length} files, ${fmt(nabPoints)} points): ${fmt(memRate)} points/s\n`);
  const nab = replay(nabFiles, path.join(work, 'nab-out'));
  process.stdout.write(`replay CSV, NAB files: ${fmt(nab.pointsPerSecond)} points/s (process wall time ${nab.wallSeconds.toFixed(1)} s)\n`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

/**
 * Grouping accuracy of the default TemplateMiner on the Loghub 2k samples, and its throughput.
 * Run: `npm run bench:loghub` (data: HOMEOSTAT_LOGHUB_DIR, default ../shared/loghub).
 */
import { TemplateMiner } from '../src';
import { evaluateLoghub } from './loghub-benchmark';
import { LOGHUB_SYSTEMS, loghubDir, readLabelledLog } from './loghub-data';

/** Published Drain grouping accuracy (tuned per system), from the README beside the data. */
const DRAIN: Record<string, number> = {
  HDFS: 0.9975,
  Hadoop: 0.9475,
  Spark: 0.92,
  Zookeeper: 0.9665,
  BGL: 0.9625,
  Linux: 0.69,
  Apache: 1.0,
  OpenSSH: 0.7875,
};

function throughput(lines: readonly string[], minSeconds: number): number {
  let processed = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minSeconds) {
    // A fresh miner per pass: the cost of learning, not only of matching known templates.
    const miner = new TemplateMiner();
    for (const line of lines) miner.add(line);
    processed += lines.length;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return processed / elapsed;
}

function main(): void {
  const dir = loghubDir();
  const result = evaluateLoghub(dir);
  const pad = (s: string, n: number): string => s.padEnd(n);
  process.stdout.write(`Loghub grouping accuracy (${dir})\n`);
  process.stdout.write(`${pad('system', 11)} ${pad('GA', 7)} ${pad('Drain', 7)} templates\n`);
  for (const r of result.systems) {
    const drain = DRAIN[r.system];
    process.stdout.write(
      `${pad(r.system, 11)} ${r.groupingAccuracy.toFixed(4)}  ${drain === undefined ? '   -  ' : drain.toFixed(4)}  ${r.templates}\n`,
    );
  }
  const drainMean = Object.values(DRAIN).reduce((a, b) => a + b, 0) / Object.values(DRAIN).length;
  process.stdout.write(`${pad('mean', 11)} ${result.meanGroupingAccuracy.toFixed(4)}  ${drainMean.toFixed(4)}\n`);

  const all = LOGHUB_SYSTEMS.flatMap((s) => readLabelledLog(dir, s).contents);
  throughput(all, 0.5); // warm-up
  const rate = throughput(all, 3);
  process.stdout.write(
    `throughput: ${Math.round(rate).toLocaleString('en-US')} lines/s (one core, ${all.length} lines per pass, fresh miner per pass)\n`,
  );
}

main();

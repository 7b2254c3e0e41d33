/**
 * `npm run bench:nab`: the Homeostat detector (default options) and the windowed-Gaussian baseline
 * on the NAB files under HOMEOSTAT_NAB_DIR (default ../shared/nab), scored with the NAB method:
 * one threshold per profile tuned across the corpus, normalised so null = 0 and perfect = 100.
 */
import { createDetector, DEFAULT_DETECTOR_OPTIONS } from '../src';
import { loadNabCorpus, nabDir } from './nab-corpus';
import { publishedOnCorpus, runNab, type NabRun } from './nab-benchmark';
import { createWindowedGaussian } from './windowed-gaussian';

function print(name: string, run: NabRun): void {
  process.stdout.write(
    `\n${name}: ${run.files} files, ${run.points} points, ${Math.round(run.pointsPerSecond).toLocaleString('en-US')} points/s\n`,
  );
  process.stdout.write(
    `  ${'profile'.padEnd(20)} ${'score'.padStart(7)} ${'threshold'.padStart(10)}   raw (null, perfect)          alerted points in/out of windows\n`,
  );
  for (const p of run.profiles) {
    process.stdout.write(
      `  ${p.profile.padEnd(20)} ${p.normalizedScore.toFixed(2).padStart(7)} ${p.threshold.toFixed(6).padStart(10)}   ` +
        `${p.rawScore.toFixed(2)} (${p.nullScore.toFixed(2)}, ${p.perfectScore.toFixed(2)})`.padEnd(29) +
        `${p.counts.tp}/${p.counts.fp}\n`,
    );
  }
}

const dir = nabDir();
const corpus = loadNabCorpus(dir);
process.stdout.write(`NAB data: ${dir}\ndetector options: ${JSON.stringify(DEFAULT_DETECTOR_OPTIONS)}\n`);
const ours = runNab(() => createDetector(), corpus);
print('homeostat novelty detector', ours);
print(
  'windowed Gaussian baseline (NAB: window 6400, step 100)',
  runNab(() => createWindowedGaussian(), corpus),
);

const published = publishedOnCorpus(corpus, ours.profiles);
if (published.length > 0) {
  process.stdout.write(
    `\npublished detectors on the same ${corpus.length} files (numenta/NAB results, per-file raw scores; their thresholds were tuned on all 58 NAB files, ours on these):\n`,
  );
  process.stdout.write(`  ${'detector'.padEnd(20)} ${ours.profiles.map((p) => p.profile.padStart(20)).join('')}\n`);
  const rows = new Map<string, string[]>([['homeostat (above)', ours.profiles.map((p) => p.normalizedScore.toFixed(2))]]);
  for (const r of published) rows.set(r.detector, [...(rows.get(r.detector) ?? []), r.normalizedScore.toFixed(2)]);
  for (const [name, cells] of rows) process.stdout.write(`  ${name.padEnd(20)} ${cells.map((c) => c.padStart(20)).join('')}\n`);
}

/**
 * `npm run bench:nab`: the Homeostat detector (default options) and the windowed-Gaussian baseline
 * on the NAB files under HOMEOSTAT_NAB_DIR (default ../shared/nab), scored with the NAB method:
 * one threshold per profile tuned across the corpus, normalised so null = 0 and perfect = 100.
 * Then the protocol that chose the default settings (`nab-protocol.ts`): every candidate tried, on
 * each half of the category split, which one each orientation of the split picks, and the default's
 * halves. `-- --verbose` adds where each file of each half gains and loses.
 */
import { createDetector, DEFAULT_DETECTOR_OPTIONS } from '../src';
import { loadNabCorpus, nabDir } from './nab-corpus';
import { publishedOnCorpus, runNab, type NabRun } from './nab-benchmark';
import { halfOf, lossByFile, NAB_CANDIDATES, NAB_HALVES, scoreHalves, stressFiles, type HalfScore, type NabHalf } from './nab-protocol';
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

// The protocol that chose the settings.
const verbose = process.argv.includes('--verbose');
const synthetic = stressFiles();
const fmt = (n: number): string => n.toFixed(2).padStart(9);
const halfName = (h: Pick<HalfScore, 'half' | 'withSynthetic'>): string => `${h.half}${h.withSynthetic ? '+synthetic' : ''}`;
const standardOwn = (halves: HalfScore[], half: NabHalf, withSynthetic: boolean): number =>
  halves.find((h) => h.half === half && h.withSynthetic === withSynthetic)?.profiles.find((p) => p.profile === 'standard')?.own ?? NaN;
process.stdout.write(
  `\nsettings chosen by a category split of these files, fixed before any setting was tried (libs/detectors/bench/nab-protocol.ts):\n` +
    (Object.keys(NAB_HALVES) as NabHalf[])
      .map(
        (h) =>
          `  ${h}: ${corpus.filter((f) => halfOf(f.name) === h).length} files (${[...new Set(corpus.filter((f) => halfOf(f.name) === h).map((f) => f.name.split('/')[0]))].join(', ')})\n`,
      )
      .join('') +
    `  +synthetic: each half with ${synthetic.length} synthetic anomaly-free series (${synthetic.reduce((n, f) => n + f.values.length, 0)} points; every alarm a false positive)\n` +
    `  a candidate is picked by its standard score on the development half (+synthetic) and checked on the other half; then the halves swap\n\n`,
);
const columns: Array<[NabHalf, boolean]> = [
  ['real', false],
  ['artificial', false],
  ['real', true],
  ['artificial', true],
];
process.stdout.write(
  `  ${'candidate (standard, each half at its own threshold)'.padEnd(56)}${columns.map(([h, w]) => halfName({ half: h, withSynthetic: w }).padStart(22)).join('')}\n`,
);
const tried = NAB_CANDIDATES.map((c) => {
  const halves = scoreHalves(
    runNab(() => createDetector(c.options), corpus).scored,
    runNab(() => createDetector(c.options), synthetic).scored,
  );
  process.stdout.write(
    `  ${(c.label + (c.chosen ? ' (default)' : '')).padEnd(56)}${columns.map(([h, w]) => fmt(standardOwn(halves, h, w)).padStart(22)).join('')}\n`,
  );
  return { ...c, halves };
});
for (const [dev, check] of [
  ['real', 'artificial'],
  ['artificial', 'real'],
] as Array<[NabHalf, NabHalf]>) {
  const pick = tried.reduce((best, c) => (standardOwn(c.halves, dev, true) > standardOwn(best.halves, dev, true) ? c : best));
  process.stdout.write(
    `  develop on ${dev}+synthetic -> picks "${pick.label}": development ${standardOwn(pick.halves, dev, true).toFixed(2)}; ` +
      `check ${check} ${standardOwn(pick.halves, check, false).toFixed(2)}, ${check}+synthetic ${standardOwn(pick.halves, check, true).toFixed(2)}\n`,
  );
}
const chosen = tried.find((c) => c.chosen);
if (chosen) {
  process.stdout.write(`\nthe default's halves, each profile: score at the half's own threshold / at the other half's threshold\n`);
  for (const h of chosen.halves)
    process.stdout.write(
      `  ${halfName(h).padEnd(22)} ${h.profiles.map((p) => `${p.profile} ${p.own.toFixed(2)} / ${p.atOtherThreshold.toFixed(2)}`).join('   ')}\n`,
    );
}
if (verbose) {
  const scored = [...ours.scored, ...runNab(() => createDetector(), synthetic).scored];
  for (const h of (chosen?.halves ?? []).filter((x) => x.withSynthetic)) {
    const threshold = h.profiles.find((p) => p.profile === 'standard')?.threshold ?? 1;
    process.stdout.write(`\n${halfName(h)} at its standard threshold ${threshold.toFixed(4)}: windows found, false positives, raw score\n`);
    for (const l of lossByFile(
      scored.filter((s) => halfOf(s.name) === h.half || s.name.startsWith('synthetic/')),
      'standard',
      threshold,
    ))
      process.stdout.write(
        `  ${l.name.padEnd(58)} ${l.detected}/${l.windows} windows (${l.windowReward.toFixed(2)})  ${String(l.falsePositives).padStart(3)} FP (${l.falsePositiveCost.toFixed(2)})  raw ${l.raw.toFixed(2)}\n`,
      );
  }
}

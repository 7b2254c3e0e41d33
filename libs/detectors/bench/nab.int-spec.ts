/**
 * Regression guard for detection quality: the default detector on the NAB subset under
 * HOMEOSTAT_NAB_DIR (default ../shared/nab), scored with the NAB method. Measured when the floor
 * was set: standard 74.64, reward_low_FP_rate 68.17, reward_low_FN_rate 78.47; with the settings
 * of issue 17 (history 4096, slow view): 74.51, 70.34, 77.45. The floors sit a few points below
 * (one labelled window is worth about 2.6 points here) so that only a real regression fails. Throughput is measured by `npm run bench:nab` and `bench:replay`, not here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createDetector } from '../src';
import { loadNabCorpus, nabDir } from './nab-corpus';
import { publishedOnCorpus, runNab } from './nab-benchmark';
import { createWindowedGaussian } from './windowed-gaussian';

const FLOORS = { standard: 71, reward_low_FP_rate: 64, reward_low_FN_rate: 75 } as const;

const available = fs.existsSync(path.join(nabDir(), 'windows.json'));

(available ? describe : describe.skip)('NAB benchmark (integration)', () => {
  it('scores the default detector above the recorded floors, and above the windowed-Gaussian baseline', () => {
    const corpus = loadNabCorpus();
    const ours = runNab(() => createDetector(), corpus);
    const baseline = runNab(() => createWindowedGaussian(), corpus);
    for (const p of ours.profiles)
      expect({ profile: p.profile, score: p.normalizedScore >= FLOORS[p.profile] ? 'ok' : p.normalizedScore }).toEqual({
        profile: p.profile,
        score: 'ok',
      });
    const std = (r: typeof ours): number => r.profiles.find((p) => p.profile === 'standard')?.normalizedScore ?? NaN;
    expect(std(ours)).toBeGreaterThan(std(baseline) + 20);
    // The anchors, on the same files: each published detector's per-file scores summed.
    for (const r of publishedOnCorpus(corpus, ours.profiles)) {
      const mine = ours.profiles.find((p) => p.profile === r.profile)?.normalizedScore ?? NaN;
      expect({ detector: r.detector, profile: r.profile, beaten: mine > r.normalizedScore }).toEqual({
        detector: r.detector,
        profile: r.profile,
        beaten: true,
      });
    }
  });
});

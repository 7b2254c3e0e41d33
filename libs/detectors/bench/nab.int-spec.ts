/**
 * Regression guard for detection quality: the default detector on the NAB subset under
 * HOMEOSTAT_NAB_DIR (default ../shared/nab), scored with the NAB method. Measured when the floor
 * was set: standard 69.21, reward_low_FP_rate 61.21, reward_low_FN_rate 74.34; the floors sit a
 * few points below so that only a real regression fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createDetector } from '../src';
import { nabDir } from './nab-corpus';
import { runNab } from './nab-benchmark';
import { createWindowedGaussian } from './windowed-gaussian';

const FLOORS = { standard: 66, reward_low_FP_rate: 58, reward_low_FN_rate: 71 } as const;

const available = fs.existsSync(path.join(nabDir(), 'windows.json'));

(available ? describe : describe.skip)('NAB benchmark (integration)', () => {
  it('scores the default detector above the recorded floors, and above the windowed-Gaussian baseline', () => {
    const ours = runNab(() => createDetector());
    const baseline = runNab(() => createWindowedGaussian());
    for (const p of ours.profiles) expect({ profile: p.profile, score: p.normalizedScore >= FLOORS[p.profile] ? 'ok' : p.normalizedScore }).toEqual({ profile: p.profile, score: 'ok' });
    const std = (r: typeof ours): number => r.profiles.find((p) => p.profile === 'standard')?.normalizedScore ?? NaN;
    expect(std(ours)).toBeGreaterThan(std(baseline) + 20);
    expect(ours.pointsPerSecond).toBeGreaterThan(100_000);
  });
});

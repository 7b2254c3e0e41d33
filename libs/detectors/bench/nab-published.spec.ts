import { publishedOnCorpus } from './nab-benchmark';
import type { ProfileResult } from './nab-scorer';
import PUBLISHED from './nab-published.json';

/** Our scorer's null and perfect scores on the whole NAB 1.1 corpus (116 windows, 58 files). */
function wholeCorpus(profile: ProfileResult['profile'], nullScore: number): ProfileResult {
  return { profile, threshold: 0, rawScore: 0, nullScore, perfectScore: 116, normalizedScore: 0, counts: { tp: 0, tn: 0, fp: 0, fn: 0 } };
}

describe('published NAB results table', () => {
  const files = Object.keys(PUBLISHED.detectors.numenta.profiles.standard).map((name) => ({ name }));

  it('holds all 58 files for each detector and profile', () => {
    for (const d of Object.values(PUBLISHED.detectors))
      for (const p of Object.values(d.profiles)) expect(Object.keys(p).sort()).toEqual(files.map((f) => f.name).sort());
  });

  it('reproduces the published scoreboard on the whole corpus (ARTime 74.9, Numenta HTM 70.1, CAD OSE 69.9, standard profile)', () => {
    const standard = publishedOnCorpus(files, [wholeCorpus('standard', -116)]);
    const byName = Object.fromEntries(standard.map((r) => [r.detector, Number(r.normalizedScore.toFixed(1))]));
    expect(byName).toEqual({ ARTime: 74.9, 'Numenta HTM': 70.1, 'CAD OSE': 69.9 });
  });

  it('leaves out a detector whose table lacks a file of the corpus', () => {
    expect(publishedOnCorpus([...files, { name: 'realOther/none.csv' }], [wholeCorpus('standard', -116)])).toEqual([]);
  });
});

/** Runs a detector over the NAB subset and scores it with the NAB method (shared by the bench and its test). */
import type { SeriesDetector } from '../src';
import { loadNabCorpus, type NabFile } from './nab-corpus';
import { scoreCorpus, type ProfileResult, type ScoredSeries } from './nab-scorer';

export interface NabRun {
  readonly files: number;
  readonly points: number;
  /** Detector throughput over the whole corpus (scoring excluded). */
  readonly pointsPerSecond: number;
  readonly profiles: ProfileResult[];
}

export function runNab(makeDetector: () => Pick<SeriesDetector, 'update'>, corpus: readonly NabFile[] = loadNabCorpus()): NabRun {
  let points = 0;
  const started = process.hrtime.bigint();
  const scored: ScoredSeries[] = corpus.map((f) => {
    const detector = makeDetector();
    const scores = new Float64Array(f.values.length);
    for (let i = 0; i < f.values.length; i++) scores[i] = detector.update(f.timestamps[i] as number, f.values[i] as number);
    points += f.values.length;
    return { name: f.name, timestamps: f.timestamps, scores, windows: f.windows };
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { files: corpus.length, points, pointsPerSecond: points / seconds, profiles: scoreCorpus(scored) };
}

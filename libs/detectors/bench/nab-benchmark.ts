/** Runs a detector over the NAB subset and scores it with the NAB method (shared by the bench and its test). */
import type { SeriesDetector } from '../src';
import { loadNabCorpus, type NabFile } from './nab-corpus';
import PUBLISHED from './nab-published.json';
import { scoreCorpus, type ProfileResult, type ScoredSeries } from './nab-scorer';

export interface NabRun {
  readonly files: number;
  readonly points: number;
  /** Detector throughput over the whole corpus (scoring excluded). */
  readonly pointsPerSecond: number;
  readonly profiles: ProfileResult[];
  /** Each file's scores, for the protocol's halves and the per-file breakdown. */
  readonly scored: ScoredSeries[];
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
  return { files: corpus.length, points, pointsPerSecond: points / seconds, profiles: scoreCorpus(scored), scored };
}

/** A published detector's NAB result on the same files, normalised like ours. */
export interface PublishedResult {
  readonly detector: string;
  readonly profile: ProfileResult['profile'];
  readonly rawScore: number;
  readonly normalizedScore: number;
}

interface PublishedTable {
  readonly detectors: Record<string, { readonly name: string; readonly profiles: Record<string, Record<string, number>> }>;
}

/**
 * Published detectors' scores on the files of this corpus: the sum of their per-file raw scores
 * (numenta/NAB results, thresholds tuned by their authors on the whole 58-file corpus),
 * normalised with this corpus' null and perfect scores, as ours are. A detector is left out when
 * the table lacks one of the corpus' files.
 */
export function publishedOnCorpus(
  corpus: readonly Pick<NabFile, 'name'>[],
  ours: readonly ProfileResult[],
  table: PublishedTable = PUBLISHED,
): PublishedResult[] {
  const out: PublishedResult[] = [];
  for (const { name, profiles } of Object.values(table.detectors)) {
    for (const p of ours) {
      const perFile = profiles[p.profile];
      if (!perFile || !corpus.every((f) => typeof perFile[f.name] === 'number')) continue;
      const rawScore = corpus.reduce((sum, f) => sum + (perFile[f.name] as number), 0);
      out.push({
        detector: name,
        profile: p.profile,
        rawScore,
        normalizedScore: (100 * (rawScore - p.nullScore)) / (p.perfectScore - p.nullScore),
      });
    }
  }
  return out;
}

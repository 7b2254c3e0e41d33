import type { Experiment } from '@homeostat/contracts';
import { usable, type RouteBucket } from './route-stats';

/** The buckets an experiment's verdict compares its trial with, and which config served them. */
export interface BaselineWindow {
  buckets: RouteBucket[];
  /** Start of the oldest bucket kept and end of the newest (epoch ms); null when none is kept. */
  fromMs: number | null;
  toMs: number | null;
  /** The config version live right before the change; null when the target's telemetry does not say. */
  configVersion: number | null;
  /** Buckets of the window left out because another config (or more than one) served them. */
  leftOut: number;
  /** Which window was used, in words: what the verdict's explanation cites. */
  detail: string;
}

/**
 * The fewest usable baseline (and trial) buckets a verdict needs: fewer and the rank test cannot
 * tell an improvement from noise.
 */
export const bucketsNeeded = (experiment: Pick<Experiment, 'trialBuckets'>): number => Math.max(4, Math.floor(experiment.trialBuckets / 2));

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/**
 * The baseline of a change from the buckets before it (oldest first): only the newest run of
 * buckets served entirely by the config live right before the change. A bucket that another
 * config served (a person's rollback, an earlier experiment) or that saw a config change says
 * nothing about the config the trial replaces, and a baseline that held such buckets once judged
 * a re-applied cache against buckets the same cache had served. A target whose spans carry no
 * config version keeps the whole window, as said in `detail`.
 */
export function cleanBaseline(buckets: readonly RouteBucket[], bucketMs: number): BaselineWindow {
  const sorted = [...buckets].sort((a, b) => a.startMs - b.startMs);
  const span = (kept: readonly RouteBucket[]): { fromMs: number | null; toMs: number | null } => {
    const first = kept[0];
    const last = kept[kept.length - 1];
    return first === undefined || last === undefined
      ? { fromMs: null, toMs: null }
      : { fromMs: first.startMs, toMs: last.startMs + bucketMs };
  };
  const window = (kept: readonly RouteBucket[]): string => {
    const { fromMs, toMs } = span(kept);
    return fromMs === null || toMs === null ? 'no bucket' : `${kept.length} bucket(s) ${clock(fromMs)}–${clock(toMs)} UTC`;
  };
  if (sorted.length === 0)
    return { buckets: [], fromMs: null, toMs: null, configVersion: null, leftOut: 0, detail: 'no bucket before the change is stored' };
  if (sorted.every((b) => b.configVersion === undefined))
    return {
      buckets: sorted,
      ...span(sorted),
      configVersion: null,
      leftOut: 0,
      detail: `${window(sorted)} before the change (the target's telemetry names no config version: the whole window)`,
    };
  const newest = sorted[sorted.length - 1];
  const live = newest?.configVersion ?? null;
  let start = sorted.length;
  while (start > 0) {
    const b = sorted[start - 1];
    if (b === undefined || b.configVersion !== live || (b.configVersions ?? 1) > 1) break;
    start--;
  }
  const kept = sorted.slice(start);
  const leftOut = sorted.length - kept.length;
  const others = leftOut === 0 ? '' : `; ${leftOut} earlier bucket(s) served by another config left out`;
  return {
    buckets: kept,
    ...span(kept),
    configVersion: live,
    leftOut,
    detail:
      live === null
        ? `no bucket before the change names its config version${others}`
        : `${window(kept)} served by config version ${live}, the one live before the change${others}`,
  };
}

/** Whether a baseline has enough buckets with the experiment's minimum of requests for a verdict. */
export function baselineReady(window: BaselineWindow, experiment: Pick<Experiment, 'trialBuckets' | 'minRequestsPerBucket'>): boolean {
  return usable(window.buckets, experiment.minRequestsPerBucket).length >= bucketsNeeded(experiment);
}

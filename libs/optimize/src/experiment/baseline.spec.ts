import { baselineReady, bucketsNeeded, cleanBaseline } from './baseline';
import type { RouteBucket } from './route-stats';

const T = Date.parse('2026-12-03T21:00:00Z');
const bucket = (i: number, version?: number, versions?: number): RouteBucket => ({
  startMs: T + i * 1_000,
  requests: 40,
  errors: 0,
  p50Ms: 30,
  p99Ms: 80,
  cacheHits: 0,
  retries: 0,
  repeats: 0,
  ...(version === undefined ? {} : { configVersion: version, configVersions: versions ?? 1 }),
});
const experiment = { trialBuckets: 8, minRequestsPerBucket: 5 };

describe('the baseline of a change: only buckets the config it replaces served', () => {
  it('keeps the whole window when one config served all of it', () => {
    const w = cleanBaseline(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => bucket(i, 3)),
      1_000,
    );
    expect(w).toMatchObject({ configVersion: 3, leftOut: 0, fromMs: T, toMs: T + 8_000 });
    expect(w.buckets).toHaveLength(8);
    expect(w.detail).toBe('8 bucket(s) 21:00:00–21:00:08 UTC served by config version 3, the one live before the change');
    expect(baselineReady(w, experiment)).toBe(true);
  });

  it('leaves out the buckets an earlier config served, and the bucket a rollback landed in', () => {
    // Version 2 (the cache) served 0–4, a person rolled back to 1 within bucket 5, 6–7 served by 1 alone.
    const buckets = [bucket(0, 2), bucket(1, 2), bucket(2, 2), bucket(3, 2), bucket(4, 2), bucket(5, 1, 2), bucket(6, 1), bucket(7, 1)];
    const w = cleanBaseline(buckets, 1_000);
    expect(w.buckets.map((b) => b.startMs)).toEqual([T + 6_000, T + 7_000]);
    expect(w).toMatchObject({ configVersion: 1, leftOut: 6, fromMs: T + 6_000, toMs: T + 8_000 });
    expect(w.detail).toMatch(
      /^2 bucket\(s\) 21:00:06–21:00:08 UTC served by config version 1, .*; 6 earlier bucket\(s\) served by another config left out$/,
    );
    expect(baselineReady(w, experiment)).toBe(false);
  });

  it('does not take a config that served the window before for the live one when the newest bucket saw the change', () => {
    const w = cleanBaseline([bucket(0, 2), bucket(1, 2), bucket(2, 1, 2)], 1_000);
    expect(w.buckets).toEqual([]);
    expect(w).toMatchObject({ configVersion: 1, leftOut: 3, fromMs: null, toMs: null });
  });

  it('stops at a bucket whose spans name no version, and at a gap served by another version', () => {
    expect(cleanBaseline([bucket(0, 1), bucket(1), bucket(2, 1), bucket(3, 1)], 1_000).buckets).toHaveLength(2);
    // The same version number before and after another one: a rollback to it, only the newest run counts.
    expect(cleanBaseline([bucket(0, 1), bucket(1, 1), bucket(2, 2), bucket(3, 1)], 1_000).buckets).toHaveLength(1);
  });

  it('keeps the whole window of a target whose telemetry names no config version, and says so', () => {
    const w = cleanBaseline(
      [2, 0, 1].map((i) => bucket(i)),
      1_000,
    );
    expect(w.buckets.map((b) => b.startMs)).toEqual([T, T + 1_000, T + 2_000]);
    expect(w).toMatchObject({ configVersion: null, leftOut: 0 });
    expect(w.detail).toMatch(/names no config version: the whole window/);
  });

  it('counts only buckets with the minimum of requests towards a usable baseline', () => {
    const quiet = [0, 1, 2, 3, 4, 5].map((i) => ({ ...bucket(i, 1), requests: i < 3 ? 2 : 40 }));
    expect(bucketsNeeded(experiment)).toBe(4);
    expect(baselineReady(cleanBaseline(quiet, 1_000), experiment)).toBe(false);
    expect(cleanBaseline([], 1_000)).toEqual({
      buckets: [],
      fromMs: null,
      toMs: null,
      configVersion: null,
      leftOut: 0,
      detail: 'no bucket before the change is stored',
    });
  });
});

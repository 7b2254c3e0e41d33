/**
 * NAB's "windowed Gaussian" baseline (nab/detectors/gaussian/windowedGaussian_detector.py,
 * windowSize 6400, stepSize 100), kept as a sanity anchor for the scorer: the score of a point is
 * 1 - Q(|x - mean| / std) over the window of earlier points, with nupic's normalProbability table
 * semantics (z rounded to 0.1, 0 beyond 7 sigma).
 */
import type { SeriesDetector } from '../src';

function erfc(x: number): number {
  // Numerical Recipes erfcc: fractional error < 1.2e-7.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export function createWindowedGaussian(windowSize = 6400, stepSize = 100): Pick<SeriesDetector, 'update'> {
  const window: number[] = [];
  let step: number[] = [];
  let mean = 0;
  let std = 1;
  const refresh = (): void => {
    let s = 0;
    for (const v of window) s += v;
    mean = s / window.length;
    let q = 0;
    for (const v of window) q += (v - mean) * (v - mean);
    std = Math.sqrt(q / window.length) || 0.000001;
  };
  let sum = 0;
  let sumSq = 0;
  return {
    update(_t: number, x: number): number {
      let score = 0;
      if (window.length > 0) {
        const zs = Math.round((10 * Math.abs(x - mean)) / std);
        score = zs > 70 ? 1 : 1 - 0.5 * erfc(zs / 10 / Math.SQRT2);
      }
      if (window.length < windowSize) {
        // Incremental mean/std while the window fills (the reference recomputes them each point).
        window.push(x);
        sum += x;
        sumSq += x * x;
        mean = sum / window.length;
        std = Math.sqrt(Math.max(0, sumSq / window.length - mean * mean)) || 0.000001;
      } else {
        step.push(x);
        if (step.length === stepSize) {
          window.splice(0, stepSize, ...[]);
          window.push(...step);
          step = [];
          refresh();
        }
      }
      return score;
    },
  };
}

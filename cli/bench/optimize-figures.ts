/**
 * The measurements of `npm run bench:optimize`, pure: from the answers a load generator saw, the
 * figures per second, per phase and per run that compare the contenders.
 */

/** One request as the load generator saw it. */
export interface Sample {
  /** When it was sent, ms from the load's start. */
  t: number;
  route: string;
  /** The HTTP status; 0 when no answer came (connection error, client timeout). */
  status: number;
  latencyMs: number;
  /** Upstream attempts the gateway made for it (`x-gateway-attempts`; 0 for a cache hit or a shed request). */
  attempts: number;
}

/** A route's SLO, as its intent declares it. */
export interface RouteSlo {
  p99Ms: number;
  errorRatio: number;
}

export interface SecondFigures {
  s: number;
  requests: number;
  /** 2xx answered within the route's SLO p99. */
  goodput: number;
  p50Ms: number;
  p99Ms: number;
  /** A route with at least `minRequests` this second broke its p99 or its error ratio. */
  violation: boolean;
}

export interface Figures {
  requests: number;
  goodputPerS: number;
  p50Ms: number;
  p99Ms: number;
  sloViolationS: number;
  /** Upstream attempts per request that went upstream: 1 without retries. */
  retryAmplification: number;
}

export interface Phase {
  name: string;
  /** Seconds from the start, [fromS, toS). */
  fromS: number;
  toS: number;
}

export interface PhaseFigures extends Figures {
  name: string;
  fromS: number;
  toS: number;
  /** Seconds from the phase's start until the first `stableS` seconds in a row without SLO violation (the phase's length when never). */
  adaptS: number;
}

/** The q-quantile (nearest rank) of ascending values; 0 of none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

const isError = (status: number): boolean => status === 0 || status >= 500;
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

function sloOf(slos: Readonly<Record<string, RouteSlo>>, route: string): RouteSlo {
  const slo = slos[route];
  if (!slo) throw new Error(`no SLO for route "${route}"`);
  return slo;
}

/** The samples sent in second `s`, grouped by second, for `durationS` seconds. */
function bySecond(samples: readonly Sample[], durationS: number): Sample[][] {
  const seconds: Sample[][] = Array.from({ length: durationS }, () => []);
  for (const x of samples) {
    const s = Math.floor(x.t / 1_000);
    if (s >= 0 && s < durationS) seconds[s]?.push(x);
  }
  return seconds;
}

/** Whether these samples (one second's) break a route's SLO; routes with fewer than `minRequests` are not judged. */
export function violates(samples: readonly Sample[], slos: Readonly<Record<string, RouteSlo>>, minRequests = 5): boolean {
  const routes = new Map<string, Sample[]>();
  for (const x of samples) routes.set(x.route, [...(routes.get(x.route) ?? []), x]);
  for (const [route, xs] of routes) {
    if (xs.length < minRequests) continue;
    const slo = sloOf(slos, route);
    const p99 = quantile(
      xs.map((x) => x.latencyMs).sort((a, b) => a - b),
      0.99,
    );
    const errors = xs.filter((x) => isError(x.status)).length / xs.length;
    if (p99 > slo.p99Ms || errors > slo.errorRatio) return true;
  }
  return false;
}

const good = (x: Sample, slos: Readonly<Record<string, RouteSlo>>): boolean =>
  x.status >= 200 && x.status < 300 && x.latencyMs <= sloOf(slos, x.route).p99Ms;

/** Per second of the run (by the second a request was sent). */
export function perSecond(
  samples: readonly Sample[],
  durationS: number,
  slos: Readonly<Record<string, RouteSlo>>,
  minRequests = 5,
): SecondFigures[] {
  return bySecond(samples, durationS).map((xs, s) => {
    const latencies = xs.map((x) => x.latencyMs).sort((a, b) => a - b);
    return {
      s,
      requests: xs.length,
      goodput: xs.filter((x) => good(x, slos)).length,
      p50Ms: round(quantile(latencies, 0.5)),
      p99Ms: round(quantile(latencies, 0.99)),
      violation: violates(xs, slos, minRequests),
    };
  });
}

/** The figures of the samples sent in [fromS, toS), given that window's per-second figures. */
export function summarize(
  samples: readonly Sample[],
  seconds: readonly SecondFigures[],
  fromS: number,
  toS: number,
  slos: Readonly<Record<string, RouteSlo>>,
): Figures {
  if (toS <= fromS) throw new Error(`an empty window [${fromS}, ${toS})`);
  const xs = samples.filter((x) => x.t >= fromS * 1_000 && x.t < toS * 1_000);
  const latencies = xs.map((x) => x.latencyMs).sort((a, b) => a - b);
  const upstream = xs.filter((x) => x.attempts > 0);
  const attempts = upstream.reduce((a, x) => a + x.attempts, 0);
  return {
    requests: xs.length,
    goodputPerS: round(xs.filter((x) => good(x, slos)).length / (toS - fromS)),
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
    sloViolationS: seconds.filter((s) => s.s >= fromS && s.s < toS && s.violation).length,
    retryAmplification: upstream.length === 0 ? 1 : round(attempts / upstream.length, 3),
  };
}

/**
 * Seconds from `fromS` until the first `stableS` seconds in a row without SLO violation, within
 * [fromS, toS); toS − fromS when that never happens. 0 when the shift broke nothing.
 */
export function adaptSeconds(seconds: readonly SecondFigures[], fromS: number, toS: number, stableS = 3): number {
  const need = Math.min(stableS, toS - fromS);
  let run = 0;
  for (let s = fromS; s < toS; s++) {
    const v = seconds[s]?.violation ?? false;
    run = v ? 0 : run + 1;
    if (run >= need) return s - need + 1 - fromS;
  }
  return toS - fromS;
}

/** Figures per phase, each with its time to adapt after the shift into it. */
export function phaseFigures(
  samples: readonly Sample[],
  seconds: readonly SecondFigures[],
  phases: readonly Phase[],
  slos: Readonly<Record<string, RouteSlo>>,
  stableS = 3,
): PhaseFigures[] {
  return phases.map((p) => ({
    name: p.name,
    fromS: p.fromS,
    toS: p.toS,
    ...summarize(samples, seconds, p.fromS, p.toS, slos),
    adaptS: adaptSeconds(seconds, p.fromS, p.toS, stableS),
  }));
}

/** A run's time to adapt: the mean over the shifts (every phase but the first). */
export function runAdaptSeconds(phases: readonly PhaseFigures[]): number {
  const shifts = phases.slice(1);
  return shifts.length === 0 ? 0 : round(shifts.reduce((a, p) => a + p.adaptS, 0) / shifts.length);
}

/** For each phase name that occurs twice or more: the time to adapt the first and the second time. */
export function recurrences(phases: readonly PhaseFigures[]): { name: string; firstS: number; secondS: number }[] {
  const out: { name: string; firstS: number; secondS: number }[] = [];
  phases.forEach((p, i) => {
    if (i === 0 || out.some((o) => o.name === p.name)) return;
    const again = phases.slice(i + 1).find((q) => q.name === p.name);
    if (again) out.push({ name: p.name, firstS: p.adaptS, secondS: again.adaptS });
  });
  return out;
}

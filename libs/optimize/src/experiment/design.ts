import {
  optimizeDurationMs,
  parseDuration,
  type ActionParams,
  type Knob,
  type OptimizeRoute,
  type OptimizeSpec,
  type RouteObservation,
} from '@homeostat/contracts';
import { liveConfigView, patchChanges } from '../config-patch';
import { median } from './route-stats';

/** The catalog action each knob's experiments run as: the loop's spec declares them (with the rollback as inverse). */
export const KNOB_ACTIONS: Record<Knob, string> = {
  cache: 'tune-cache',
  concurrency: 'tune-concurrency',
  retry: 'tune-retry',
  balancer: 'set-balancer',
  replicas: 'drain-replica',
};

/** The catalog action that puts a drained replica back into balancing (the `replicas` knob's other way). */
export const RESTORE_REPLICA_ACTION = 'restore-replica';

/** Below this expected gain a change is not worth an experiment's risk and budget. */
export const MIN_EXPECTED_GAIN = 0.1;
/** Retries above this share of requests amplify load (Finagle's and Envoy's 20 % budget). */
export const RETRY_AMPLIFICATION_AT = 0.2;
/** A replica this many times slower than the fastest is worth balancing away from. */
export const REPLICA_SPREAD_AT = 1.5;
/**
 * A replica is an outlier to drain when its newest attempts take this many times the median of its
 * peers' and, on their own, longer than the route's SLO p99: every request it serves misses the
 * SLO while its peers meet it. It is healthy again below both.
 */
export const OUTLIER_AT = 3;
/** Share of an upstream's concurrency limit a route must be able to hold in flight for the limit to be what sheds it. */
export const SHEDDING_AT = 0.5;

/** One change an experiment could try on a route, with what it should gain and why. */
export interface ExperimentCandidate {
  knob: Knob;
  action: string;
  /** The partial gateway config the actuator merges (`PUT /actuator/config`). */
  patch: Record<string, unknown>;
  change: string;
  expectedGain: number;
  eligible: boolean;
  why: string;
  knownGood: boolean;
  /** How the experiment's verdict is reached (contracts `Experiment.judgedBy`); absent: by the objective. */
  judgedBy?: 'guards';
}

/** What the learner knows about an action against the regime: its successes, and the params of the latest one. */
export interface KnownOutcome {
  action: string;
  successes: number;
  failures: number;
  params?: ActionParams;
}

export interface DesignInput {
  spec: OptimizeSpec;
  observation: RouteObservation;
  /** Actions already tried against this opportunity (rolled back, failed, rejected). */
  ruledOut: ReadonlySet<string>;
  /** Actions the loop's catalog has. */
  catalog: ReadonlySet<string>;
  known: readonly KnownOutcome[];
}

const pct = (x: number): string => `${Math.round(x * 100)} %`;
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * The changes worth an experiment on one route, best first: the regime's known-good config when
 * the learner has one, else each knob the observation says could help, with its expected gain.
 * Every change stays within the route's declared knob ranges and its intent: a non-idempotent
 * route is never cached nor retried (the spec schema refuses such ranges, and this checks again).
 * A change the observation's live knobs (`observation.live`) already have is not proposed.
 */
export function designExperiments(input: DesignInput): ExperimentCandidate[] {
  const { spec, observation: o, ruledOut, catalog } = input;
  const route = spec.routes[o.route];
  if (route === undefined) return [];
  const designed = [
    cacheChange(o, route),
    retryChange(o, route),
    balancerChange(o, route),
    concurrencyChange(o, route),
    replicaChange(o, route, input.known),
  ];
  const known = knownGood(input, route);
  const all = known === undefined ? designed : [known, ...designed.filter((c) => c.knob !== known.knob)];
  // The config the telemetry says is live: a change it already has would be an experiment that
  // measures noise, spends budget and, kept, teaches the regime a config that did nothing.
  const live = o.live === undefined ? undefined : liveConfigView(o.route, route.upstream, o.live);
  const version = o.live?.configVersion === undefined ? '' : ` (config version ${o.live.configVersion})`;
  return all
    .map((c) => {
      if (!c.eligible) return c;
      if (live !== undefined && !patchChanges(live, c.patch))
        return { ...c, eligible: false, why: `${c.why}; but that is already live${version}` };
      if (!catalog.has(c.action)) return { ...c, eligible: false, why: `${c.why}; but the loop has no ${c.action} action` };
      if (ruledOut.has(c.action)) return { ...c, eligible: false, why: `${c.why}; already tried on this opportunity` };
      // A replica put back is judged on its newest answers, fresh evidence each time: one that broke
      // the guards before does not stay drained for good once it has healed.
      const bad =
        c.knownGood || c.action === RESTORE_REPLICA_ACTION
          ? undefined
          : input.known.find((k) => k.action === c.action && k.failures > k.successes);
      if (bad !== undefined)
        return {
          ...c,
          eligible: false,
          why: `${c.why}; but in this regime it was rolled back ${bad.failures}× and kept ${bad.successes}×`,
        };
      return c;
    })
    .sort(
      (a, b) => Number(b.eligible) - Number(a.eligible) || Number(b.knownGood) - Number(a.knownGood) || b.expectedGain - a.expectedGain,
    );
}

/** The gateway actuator call that applies a patch: the executor's http adapter sends it as is. */
export function actuatorCall(spec: OptimizeSpec, patch: Record<string, unknown>): ActionParams {
  return { method: 'PUT', url: `${spec.actuator.replace(/\/$/, '')}/actuator/config`, body: patch as ActionParams[string] };
}

function knownGood(input: DesignInput, route: OptimizeRoute): ExperimentCandidate | undefined {
  const best = [...input.known]
    .filter((k) => k.successes > k.failures && k.params !== undefined)
    .sort((a, b) => b.successes - b.failures - (a.successes - a.failures))[0];
  if (best === undefined || best.params === undefined) return undefined;
  const knob = (Object.entries(KNOB_ACTIONS).find(([, action]) => action === best.action)?.[0] ?? undefined) as Knob | undefined;
  const body = best.params['body'];
  // Which replica to drain is today's evidence, not a remembered URL: replicaChange designs it.
  if (knob === 'replicas') return undefined;
  if (knob === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  // A remembered config is held to today's intent too: the spec may have changed since.
  if (knob === 'cache' && !cacheable(route)) return undefined;
  return {
    knob,
    action: best.action,
    patch: body as Record<string, unknown>,
    change: `the known-good ${knob} config of this regime`,
    expectedGain: 1,
    eligible: true,
    why: `regime ${input.observation.regime} seen before: ${best.action} kept ${best.successes}✓ ${best.failures}✗, applied straight away`,
    knownGood: true,
  };
}

function cacheable(route: OptimizeRoute): boolean {
  return (
    route.idempotent &&
    optimizeDurationMs(route.maxStaleness) > 0 &&
    route.knobs.cacheTtl !== undefined &&
    optimizeDurationMs(route.knobs.cacheTtl.max) > 0
  );
}

function cacheChange(o: RouteObservation, route: OptimizeRoute): ExperimentCandidate {
  const base = {
    knob: 'cache' as const,
    action: KNOB_ACTIONS.cache,
    patch: {},
    change: `cache ${o.route}`,
    expectedGain: 0,
    knownGood: false,
  };
  if (!route.idempotent) return { ...base, eligible: false, why: 'not idempotent: never cached' };
  if (!cacheable(route)) return { ...base, eligible: false, why: 'no cache TTL range, or it must always be fresh' };
  const gain = Math.max(0, o.repeatRatio - o.cacheHitRatio);
  if (gain < MIN_EXPECTED_GAIN)
    return {
      ...base,
      eligible: false,
      why: `hit ratio ${pct(o.cacheHitRatio)} is already near the ${pct(o.repeatRatio)} of repeated keys`,
    };
  const staleness = optimizeDurationMs(route.maxStaleness);
  const range = route.knobs.cacheTtl;
  if (range === undefined) return { ...base, eligible: false, why: 'no cache TTL range' };
  // ¾ of the staleness allowed served fresh, the rest stale while one request refreshes (as the intent's generator).
  const ttlMs = Math.round(clamp(staleness * 0.75, optimizeDurationMs(range.min), optimizeDurationMs(range.max)));
  const swrMs = Math.max(0, staleness - ttlMs);
  return {
    ...base,
    patch: { routes: { [o.route]: { cache: { enabled: true, ttlMs, staleWhileRevalidateMs: swrMs } } } },
    change: `cache ${o.route}: TTL ${ttlMs} ms + ${swrMs} ms stale-while-revalidate`,
    expectedGain: gain,
    eligible: true,
    why: `${pct(o.repeatRatio)} of requests repeat a key but ${pct(o.cacheHitRatio)} are cache hits`,
  };
}

function retryChange(o: RouteObservation, route: OptimizeRoute): ExperimentCandidate {
  const base = {
    knob: 'retry' as const,
    action: KNOB_ACTIONS.retry,
    patch: {},
    change: `retries on ${o.route}`,
    expectedGain: 0,
    knownGood: false,
  };
  const range = route.knobs.retryAttempts;
  if (!route.idempotent) return { ...base, eligible: false, why: 'not idempotent: never retried' };
  if (range === undefined) return { ...base, eligible: false, why: 'no retry attempts range' };
  if (o.retryRatio > RETRY_AMPLIFICATION_AT) {
    return {
      ...base,
      patch: { routes: { [o.route]: { retry: { maxAttempts: range.min, budgetRatio: 0.1 } } } },
      change: `retries on ${o.route}: ${range.min} attempt(s), budget 10 %`,
      expectedGain: o.retryRatio / (1 + o.retryRatio),
      eligible: true,
      why: `retries are ${pct(o.retryRatio)} of requests: amplification above ${pct(RETRY_AMPLIFICATION_AT)}`,
    };
  }
  if (o.errorRatio > route.slo.errorRatio && o.retryRatio < o.errorRatio && range.max > 1) {
    const attempts = Math.min(range.max, 2);
    return {
      ...base,
      patch: { routes: { [o.route]: { retry: { maxAttempts: attempts, budgetRatio: 0.2 } } } },
      change: `retries on ${o.route}: ${attempts} attempts within a 20 % budget`,
      expectedGain: o.errorRatio,
      eligible: o.errorRatio >= MIN_EXPECTED_GAIN / 10,
      why: `${pct(o.errorRatio)} errors, above the SLO's ${pct(route.slo.errorRatio)}, and few retried`,
    };
  }
  return { ...base, eligible: false, why: `retries ${pct(o.retryRatio)} and errors ${pct(o.errorRatio)}: nothing to gain` };
}

function balancerChange(o: RouteObservation, route: OptimizeRoute): ExperimentCandidate {
  const base = {
    knob: 'balancer' as const,
    action: KNOB_ACTIONS.balancer,
    patch: {},
    change: `balance ${route.upstream}`,
    expectedGain: 0,
    knownGood: false,
  };
  if (!(route.knobs.balancers ?? []).includes('p2c-ewma'))
    return { ...base, eligible: false, why: 'p2c-ewma is not among the allowed balancers' };
  const latencies = Object.values(o.replicaP50Ms ?? {});
  if (latencies.length < 2) return { ...base, eligible: false, why: 'fewer than two replicas seen' };
  const fastest = Math.min(...latencies);
  const slowest = Math.max(...latencies);
  const spread = fastest > 0 ? slowest / fastest : 1;
  if (spread < REPLICA_SPREAD_AT)
    return { ...base, eligible: false, why: `replicas within ${spread.toFixed(2)}× of each other: nothing to balance away from` };
  return {
    ...base,
    patch: { upstreams: { [route.upstream]: { balancer: 'p2c-ewma' } } },
    change: `balance ${route.upstream} with P2C over peak-EWMA`,
    // Round-robin sends 1/n to the slowest; a latency-aware balancer sends it little.
    expectedGain: (1 - fastest / slowest) / latencies.length,
    eligible: true,
    why: `the slowest replica answers in ${Math.round(slowest)} ms, ${spread.toFixed(1)}× the fastest`,
  };
}

function concurrencyChange(o: RouteObservation, route: OptimizeRoute): ExperimentCandidate {
  const base = {
    knob: 'concurrency' as const,
    action: KNOB_ACTIONS.concurrency,
    patch: {},
    change: `concurrency of ${route.upstream}`,
    expectedGain: 0,
    knownGood: false,
  };
  const range = route.knobs.concurrencyLimit;
  if (range === undefined) return { ...base, eligible: false, why: 'no concurrency range' };
  // Errors while latency is within the SLO: the limiter sheds what the upstream could still serve.
  const sheds = o.errorRatio > route.slo.errorRatio && o.p99Ms < parseDuration(route.slo.p99);
  if (!sheds) return { ...base, eligible: false, why: 'no shedding within the latency SLO' };
  // Little's law: the route cannot hold more in flight than its rate × its p99. Far below the live
  // limit, the limit never bound, and the errors are something else — attempts timing out at a
  // timeout set at the SLO's p99 look just the same from here (a slow dependency, a starved CPU).
  // The route's rate alone: an upstream shared with other routes holds more, so this only errs on
  // the side of not trying.
  const limit = o.live?.concurrencyLimit;
  const inFlightAtMost = (o.rps * o.p99Ms) / 1_000;
  if (limit !== undefined && inFlightAtMost < limit * SHEDDING_AT)
    return {
      ...base,
      eligible: false,
      why: `${pct(o.errorRatio)} errors, but at most ${inFlightAtMost.toFixed(1)} in flight (${o.rps.toFixed(1)} req/s × p99 ${Math.round(o.p99Ms)} ms) against a limit of ${limit}: the limit is not what fails them`,
    };
  return {
    ...base,
    patch: { upstreams: { [route.upstream]: { concurrencyLimit: range.max, queueLimit: range.max } } },
    change: `concurrency of ${route.upstream}: limit ${range.max}`,
    expectedGain: o.errorRatio,
    eligible: o.errorRatio >= MIN_EXPECTED_GAIN / 10,
    why: `${pct(o.errorRatio)} errors while p99 ${Math.round(o.p99Ms)} ms is within the SLO: requests are shed`,
  };
}

/**
 * Outlier ejection by the loop (Envoy's outlier detection, on latency): a replica whose newest
 * attempts take (their median) longer than the route's SLO p99 and `OUTLIER_AT`× its peers' makes
 * every request it serves a miss, and a latency-aware balancer still probes it as its estimate
 * decays. Its newest attempts, not the window's: under P2C a slow replica gets so few requests that
 * the window's median remembers it fast until the window has slid past the change.
 * Drained, it gets only mirrored requests (the gateway's), which keep it measured: once it answers
 * like its peers again it is put back. Both ways are judged by the trial's guards — the evidence
 * is the replica's own latency, and the risk is the capacity the others must carry.
 */
function replicaChange(o: RouteObservation, route: OptimizeRoute, known: readonly KnownOutcome[]): ExperimentCandidate {
  const base = {
    knob: 'replicas' as const,
    action: KNOB_ACTIONS.replicas,
    patch: {},
    change: `drain a replica of ${route.upstream}`,
    expectedGain: 0,
    knownGood: false,
    judgedBy: 'guards' as const,
  };
  const max = route.knobs.drainReplicas?.max;
  if (max === undefined) return { ...base, eligible: false, why: 'no drainReplicas maximum declared' };
  const recent = o.replicaRecentMs ?? {};
  const drained = [...(o.live?.drainedReplicas ?? [])].sort();
  const sloMs = parseDuration(route.slo.p99);
  const peersOf = (replica: string): number[] =>
    Object.entries(recent)
      .filter(([r]) => r !== replica && !drained.includes(r))
      .map(([, ms]) => ms);
  const outlier = (replica: string): boolean => {
    const ms = recent[replica];
    const peers = peersOf(replica);
    return ms !== undefined && peers.length > 0 && ms > sloMs && ms > OUTLIER_AT * median(peers);
  };
  // Back first: a drained replica that answers like its peers again is capacity left unused. Within
  // the SLO and near its peers both: one merely less of an outlier than another stays out.
  const healed = drained.find((r) => {
    const ms = recent[r];
    const peers = peersOf(r);
    return ms !== undefined && peers.length > 0 && ms <= sloMs && ms <= OUTLIER_AT * median(peers);
  });
  if (healed !== undefined) {
    const rest = drained.filter((r) => r !== healed);
    return {
      ...base,
      action: RESTORE_REPLICA_ACTION,
      patch: { upstreams: { [route.upstream]: { drained: rest } } },
      change: `put ${healed} of ${route.upstream} back into balancing`,
      // The share of the upstream's capacity it brings back.
      expectedGain: 1 / Math.max(2, Object.keys(recent).length),
      eligible: true,
      why: `drained ${healed} answers in ${Math.round(recent[healed] ?? 0)} ms (its newest mirrored requests), like its peers again`,
    };
  }
  const serving = Object.keys(recent).filter((r) => !drained.includes(r));
  const worst = serving.sort((a, b) => (recent[b] ?? 0) - (recent[a] ?? 0))[0];
  if (worst === undefined || serving.length < 2) return { ...base, eligible: false, why: 'fewer than two replicas serving' };
  const worstMs = recent[worst] ?? 0;
  const peersMs = median(peersOf(worst));
  if (!outlier(worst))
    return {
      ...base,
      eligible: false,
      why: `the slowest replica answers in ${Math.round(worstMs)} ms against its peers' ${Math.round(peersMs)} ms and the SLO's ${sloMs} ms: no outlier`,
    };
  if (drained.length + 1 > max)
    return {
      ...base,
      eligible: false,
      why: `${worst} is an outlier, but ${drained.length} of at most ${max} replica(s) are drained already`,
    };
  const previous = known.find((k) => k.action === KNOB_ACTIONS.replicas);
  return {
    ...base,
    patch: { upstreams: { [route.upstream]: { drained: [...drained, worst].sort() } } },
    change: `drain ${worst} of ${route.upstream}`,
    // What it spares: the requests it still gets, each a miss; at most its round-robin share.
    expectedGain: (1 - peersMs / worstMs) / serving.length,
    eligible: true,
    knownGood: previous !== undefined && previous.successes > previous.failures,
    why:
      `${worst} answers in ${Math.round(worstMs)} ms (its newest attempts), past the SLO's ${sloMs} ms and ${(worstMs / Math.max(1, peersMs)).toFixed(1)}× its peers' ${Math.round(peersMs)} ms: every request it serves misses the SLO` +
      (previous !== undefined && previous.successes > previous.failures ? `; draining kept ${previous.successes}× in this regime` : ''),
  };
}

import { z } from 'zod';
import { nonEmpty, probability, timestamp } from './common.schema';

/**
 * The fields an `optimize` loop adds to the shared events (DESIGN.md, "Three kinds of loop"):
 * all optional on the shared schemas, so the other kinds' events are unchanged.
 */

export const KNOBS = ['cache', 'concurrency', 'retry', 'balancer', 'replicas'] as const;
export type Knob = (typeof KNOBS)[number];

const nonNegative = z.number().nonnegative();

/**
 * The route's knobs as the target's telemetry last reported them (the gateway's server spans carry
 * them beside `gateway.config.version`): what a change would be measured against. A knob the
 * telemetry does not name is absent, and a change to it counts as a change.
 */
export const liveKnobsSchema = z
  .object({
    configVersion: z.number().int().nonnegative().optional(),
    cacheEnabled: z.boolean().optional(),
    cacheTtlMs: nonNegative.optional(),
    cacheStaleWhileRevalidateMs: nonNegative.optional(),
    retryMaxAttempts: z.number().int().positive().optional(),
    /** Absent when the route's retries have no budget. */
    retryBudgetRatio: nonNegative.optional(),
    balancer: nonEmpty.optional(),
    concurrencyLimit: z.number().int().positive().optional(),
    queueLimit: z.number().int().nonnegative().optional(),
    /** Replicas of the upstream taken out of balancing (their URL origins, sorted); empty when none. */
    drainedReplicas: z.array(nonEmpty).optional(),
  })
  .strict();
export type LiveKnobs = z.infer<typeof liveKnobsSchema>;

/** What the analyzer saw on a route over its last window: on an incident of an optimize loop. */
export const routeObservationSchema = z
  .object({
    /** opportunity: a knob could lower the objective; regression: the route breaks its SLO. */
    kind: z.enum(['opportunity', 'regression']),
    route: nonEmpty,
    /** The traffic regime's signature (rate band, key skew, upstream health): the part of the fingerprint after the route. */
    regime: nonEmpty,
    windowStart: timestamp,
    windowEnd: timestamp,
    buckets: z.number().int().nonnegative(),
    rps: nonNegative,
    p50Ms: nonNegative,
    p99Ms: nonNegative,
    errorRatio: probability,
    cacheHitRatio: probability,
    retryRatio: nonNegative,
    repeatRatio: probability,
    /** Per replica of the route's upstream: the median attempt latency (ms). */
    replicaP50Ms: z.record(z.string(), nonNegative).optional(),
    /**
     * Per replica: the median of its newest few attempts (ms), mirrored ones included. What a
     * replica is doing now, where the window's median still remembers what it did before.
     */
    replicaRecentMs: z.record(z.string(), nonNegative).optional(),
    /** The knobs live on the route and its upstream, when the target's telemetry says. */
    live: liveKnobsSchema.optional(),
  })
  .strict();
export type RouteObservation = z.infer<typeof routeObservationSchema>;

/** An optimize decision's experiment: what the executor needs to judge it without the spec. */
export const experimentSchema = z
  .object({
    route: nonEmpty,
    regime: nonEmpty,
    knob: z.enum(KNOBS),
    /** The change in words, e.g. "cache catalog for 22.5 s + 7.5 s stale". */
    change: nonEmpty,
    /** The regime's known-good config, applied straight away instead of searched for. */
    knownGood: z.boolean(),
    objective: z.enum(['p50', 'p99']),
    bucketMs: z.number().int().positive(),
    baselineBuckets: z.number().int().positive(),
    trialBuckets: z.number().int().positive(),
    minRequestsPerBucket: z.number().int().positive(),
    alpha: z.number().gt(0).lt(0.5),
    minImprovement: z.number().min(0).lt(1),
    guards: z
      .object({
        /** A trial bucket above this p99 breaks the guard. */
        p99MaxMs: z.number().positive(),
        errorRatioMax: probability,
        /** The route is not idempotent: a single cache hit breaks the guard. */
        neverCached: z.boolean(),
      })
      .strict(),
    /** The designer's expected relative gain of the objective, before measuring. */
    expectedGain: nonNegative,
    /**
     * objective (the default): kept only when the trial lowers the objective beyond noise.
     * guards: kept when the trial holds its guards to the end — a change made on evidence about one
     * part of the target (a replica past the SLO taken out, one healthy again put back) rather than a
     * bet on the route's objective, whose risk is what the guards measure.
     */
    judgedBy: z.enum(['objective', 'guards']).optional(),
  })
  .strict();
export type Experiment = z.infer<typeof experimentSchema>;

/** How an experiment ended, as the executor measured it: on its outcome. */
export const experimentResultSchema = z
  .object({
    kept: z.boolean(),
    /** Why: improved beyond noise, not beyond noise, or the guard that broke. */
    reason: nonEmpty,
    baselineMedianMs: nonNegative.nullable(),
    trialMedianMs: nonNegative.nullable(),
    /** Hodges-Lehmann shift baseline − trial (ms) with its interval; null when not measured to the end. */
    effectMs: z.number().nullable(),
    effectLowMs: z.number().nullable(),
    effectHighMs: z.number().nullable(),
    pValue: probability.nullable(),
    baselineBuckets: z.number().int().nonnegative(),
    trialBuckets: z.number().int().nonnegative(),
    guardBreach: nonEmpty.optional(),
    /**
     * The baseline the trial was compared with: the newest buckets before the change that the
     * config it replaced served alone (libs/optimize cleanBaseline).
     */
    baselineWindow: z
      .object({
        start: timestamp.nullable(),
        end: timestamp.nullable(),
        /** Null when the target's telemetry names no config version. */
        configVersion: z.number().int().nonnegative().nullable(),
        /** Buckets before the change left out: another config served them. */
        leftOut: z.number().int().nonnegative(),
        detail: nonEmpty,
      })
      .strict()
      .optional(),
  })
  .strict();
export type ExperimentResult = z.infer<typeof experimentResultSchema>;

import { z } from 'zod';
import { DURATION_HINT, isDuration, parseDuration } from './duration';
import { urlTemplate } from './url-template';

/**
 * The `optimize` section of a loop of kind `optimize` (DESIGN.md, "Three kinds of loop"): what
 * an experiment tries to lower, how long its baseline and trial windows are, and per route the
 * facts of its intent (SLO, idempotency, staleness allowed) with the knob ranges experiments stay in.
 */
const NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const name = z.string().regex(NAME, 'must be a name of lowercase letters, digits and "-", at most 63');
const zeroOk = (s: string): boolean => s === '0s' || isDuration(s);
const duration = z.string({ error: `must be ${DURATION_HINT}` }).refine(zeroOk, { message: `must be ${DURATION_HINT}` });
const positiveDuration = z.string({ error: `must be ${DURATION_HINT}` }).refine(isDuration, { message: `must be ${DURATION_HINT}` });

/** `'0s'` → 0, else parseDuration. */
export const optimizeDurationMs = (s: string): number => (s === '0s' ? 0 : parseDuration(s));

export const BALANCERS = ['round-robin', 'weighted', 'least-loaded', 'p2c-ewma'] as const;
export type BalancerName = (typeof BALANCERS)[number];

const countRange = (value: z.ZodNumber) =>
  z
    .object({ min: value, max: value })
    .strict()
    .refine((r) => r.min <= r.max, { message: 'min must not be above max', path: ['min'] });

const durationRange = z
  .object({ min: duration, max: duration })
  .strict()
  .refine((r) => !zeroOk(r.min) || !zeroOk(r.max) || optimizeDurationMs(r.min) <= optimizeDurationMs(r.max), {
    message: 'min must not be above max',
    path: ['min'],
  });

export const optimizeRouteSchema = z
  .object({
    upstream: name,
    /** false: never cached, never retried, whatever an experiment would gain. */
    idempotent: z.boolean(),
    /** How old an answer may be when served; 0s: never cached. */
    maxStaleness: duration,
    slo: z.object({ p99: positiveDuration, errorRatio: z.number().min(0).max(1) }).strict(),
    knobs: z
      .object({
        /** Cache TTL; stale-while-revalidate takes the rest of maxStaleness. */
        cacheTtl: durationRange.optional(),
        concurrencyLimit: countRange(z.number().int().positive()).optional(),
        retryAttempts: countRange(z.number().int().min(1).max(10)).optional(),
        /** Balancers an experiment may switch the route's upstream to. */
        balancers: z.array(z.enum(BALANCERS)).min(1).optional(),
        /**
         * Replicas of the route's upstream an experiment may take out of balancing at once while
         * they answer far slower than their peers (Envoy's outlier ejection, max_ejection_percent).
         */
        drainReplicas: z
          .object({ max: z.number().int().min(1).max(100) })
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict()
  .superRefine((route, ctx) => {
    if (
      !route.idempotent &&
      route.knobs.cacheTtl !== undefined &&
      zeroOk(route.knobs.cacheTtl.max) &&
      optimizeDurationMs(route.knobs.cacheTtl.max) > 0
    )
      ctx.addIssue({ code: 'custom', path: ['knobs', 'cacheTtl'], message: 'a non-idempotent route is never cached: leave cacheTtl out' });
    if (!route.idempotent && (route.knobs.retryAttempts?.max ?? 1) > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['knobs', 'retryAttempts', 'max'],
        message: 'a non-idempotent route is never retried: must be 1',
      });
    if (route.idempotent && route.knobs.cacheTtl !== undefined && zeroOk(route.maxStaleness) && zeroOk(route.knobs.cacheTtl.max)) {
      if (optimizeDurationMs(route.knobs.cacheTtl.max) > optimizeDurationMs(route.maxStaleness))
        ctx.addIssue({
          code: 'custom',
          path: ['knobs', 'cacheTtl', 'max'],
          message: `must not exceed maxStaleness (${route.maxStaleness})`,
        });
    }
  });
export type OptimizeRoute = z.infer<typeof optimizeRouteSchema>;

export const OBJECTIVES = ['p50', 'p99'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export const optimizeSpecSchema = z
  .object({
    /**
     * The platform's intent file (`kind: Intent`), relative to this loop file: each route's facts
     * (upstream, idempotent, maxStaleness, slo) come from it and need not be repeated here. Read
     * where loops are read from files (`--loops`, HOMEOSTAT_LOOPS_DIR, `homeostat validate`); the
     * intent may sit in the loops directory itself. A Loop resource has no file beside it: there
     * the facts are stated inline.
     */
    intent: z.string().min(1).optional(),
    /** The gateway's config actuator (`GET|PUT /actuator/config`, `POST /actuator/config/rollback`). */
    actuator: urlTemplate,
    /** The per-bucket latency percentile an experiment must lower to be kept. */
    objective: z.enum(OBJECTIVES).default('p99'),
    /** Width of a bucket: one value per bucket goes into the test. */
    bucket: positiveDuration.default('2s'),
    baselineBuckets: z.number().int().min(4).max(100).default(10),
    trialBuckets: z.number().int().min(4).max(100).default(10),
    /** A bucket with fewer requests says nothing about latency and is left out. */
    minRequestsPerBucket: z.number().int().positive().default(5),
    /** One-sided level of the Mann-Whitney test. */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** Relative improvement of the objective's median below which a change is not worth keeping. */
    minImprovement: z.number().min(0).lt(1).default(0.05),
    /** How much worse than the baseline a guard lets p99 and the error ratio get when the baseline already breaks the SLO. */
    guardTolerance: z.number().min(0).max(1).default(0.1),
    routes: z.record(name, optimizeRouteSchema).refine((r) => Object.keys(r).length > 0, { message: 'must list at least one route' }),
  })
  .strict();
export type OptimizeSpec = z.infer<typeof optimizeSpecSchema>;

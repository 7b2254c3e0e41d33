import { z } from 'zod';
import { DURATION_HINT, isDuration, parseDuration } from '../loop/duration';
import { LOOP_API_VERSION } from '../loop/loop-spec.schema';

/**
 * The intent of an API platform, per route: what the route promises (an SLO), what it may do
 * (be served stale, be repeated) and where it goes (its upstreams). The optimize loop starts from
 * the configuration generated from it (`homeostat intent <file>`) and keeps every change within it:
 * a route the intent calls non-idempotent is never cached nor retried, whatever an experiment wants.
 */
export const INTENT_KIND = 'Intent';

const NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const name = z.string().regex(NAME, 'must be a name of lowercase letters, digits and "-", at most 63');
/** `0s` is a duration too: a route that must always be fresh. */
const validDuration = (s: string): boolean => isDuration(s) || s === '0s' || s === '0';
const duration = z.string({ error: `must be ${DURATION_HINT}` }).refine(validDuration, { message: `must be ${DURATION_HINT}` });
const positiveDuration = z
  .string({ error: `must be ${DURATION_HINT}` })
  .refine(validDuration, { message: `must be ${DURATION_HINT}`, abort: true })
  .refine((s) => durationMs(s) > 0, { message: 'must be more than 0' });

/** `'30s'` → 30 000; `'0s'` → 0. */
export function durationMs(s: string): number {
  return s === '0' ? 0 : parseDuration(s);
}

export const INTENT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const intentRouteSchema = z
  .object({
    /** Path prefix, e.g. `/catalog`. */
    path: z.string().regex(/^\/[A-Za-z0-9._~\-/]+$/, 'must be a path starting with "/", not "/" alone'),
    methods: z.array(z.enum(INTENT_METHODS)).min(1),
    upstream: name,
    /** Whether a repeat of a request has no further effect. false: never cached, never retried. */
    idempotent: z.boolean(),
    /** How old a response may be when served; `0s`: always fresh (not cached). */
    maxStaleness: duration,
    slo: z
      .object({
        /** 99th percentile latency the route promises, e.g. `250ms`. */
        p99: positiveDuration,
        /** Share of requests that may fail (5xx), e.g. 0.01. */
        errorRatio: z.number().min(0).max(1),
      })
      .strict(),
    /** Peak requests per second expected; sizes the concurrency limit (default 100). */
    expectedRps: z.number().positive().max(1_000_000).optional(),
  })
  .strict();
export type IntentRoute = z.infer<typeof intentRouteSchema>;

export const intentUpstreamSchema = z
  .object({
    replicas: z
      .array(
        z
          .object({
            url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
            /** Relative share of traffic; giving weights asks for the weighted balancer. */
            weight: z.number().int().min(0).max(1_000).optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type IntentUpstream = z.infer<typeof intentUpstreamSchema>;

export const intentSchema = z
  .object({
    apiVersion: z.literal(LOOP_API_VERSION),
    kind: z.literal(INTENT_KIND),
    metadata: z.object({ name, description: z.string().optional() }).strict(),
    spec: z
      .object({
        upstreams: z.record(name, intentUpstreamSchema),
        routes: z.record(name, intentRouteSchema),
      })
      .strict(),
  })
  .strict()
  .superRefine((intent, ctx) => {
    const upstreams = Object.keys(intent.spec.upstreams);
    for (const [routeName, route] of Object.entries(intent.spec.routes)) {
      const at = (...rest: string[]) => ['spec', 'routes', routeName, ...rest];
      if (!upstreams.includes(route.upstream)) {
        ctx.addIssue({
          code: 'custom',
          path: at('upstream'),
          message: `unknown upstream "${route.upstream}"; declared: ${upstreams.join(', ') || '(none)'}`,
        });
      }
      // A contradiction in the intent itself: a response to a non-idempotent request (an order) is
      // that request's own effect, so serving it to anyone else, stale or not, is wrong.
      if (!route.idempotent && durationMs(route.maxStaleness) > 0) {
        ctx.addIssue({
          code: 'custom',
          path: at('maxStaleness'),
          message: 'a non-idempotent route is never served from a cache: must be 0s',
        });
      }
      if (['/actuator', '/health', '/faults'].some((p) => route.path === p || route.path.startsWith(`${p}/`))) {
        ctx.addIssue({ code: 'custom', path: at('path'), message: `${route.path} is the gateway's own` });
      }
    }
    const paths = new Map<string, string>();
    for (const [routeName, route] of Object.entries(intent.spec.routes)) {
      const other = paths.get(route.path);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'routes', routeName, 'path'],
          message: `route "${other}" serves ${route.path} already`,
        });
      paths.set(route.path, routeName);
    }
  });
export type Intent = z.infer<typeof intentSchema>;

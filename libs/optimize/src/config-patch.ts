import type { LiveKnobs, OutcomeRecorded } from '@homeostat/contracts';

type Json = unknown;

const isObject = (x: Json): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Whether merging `patch` over `live` (as the gateway's actuator merges a `PUT /actuator/config`)
 * changes any value. A leaf the live view does not have counts as a change: the view may be
 * partial (what the telemetry names), and only a change known to be none is one.
 */
export function patchChanges(live: Json, patch: Json): boolean {
  if (!isObject(patch)) return JSON.stringify(live) !== JSON.stringify(patch);
  if (!isObject(live)) return true;
  return Object.entries(patch).some(([key, value]) => patchChanges(live[key], value));
}

/** The leaves of `patch` that would change `live`, as dotted paths, for an explanation. */
export function changedPaths(live: Json, patch: Json, at = ''): string[] {
  if (!isObject(patch) || !isObject(live)) return patchChanges(live, patch) ? [at] : [];
  return Object.entries(patch).flatMap(([key, value]) => changedPaths(live[key], value, at === '' ? key : `${at}.${key}`));
}

/**
 * The live knobs of a route and its upstream in the shape of the gateway's config, for
 * `patchChanges` against an experiment's patch: only what the telemetry named is in it.
 */
export function liveConfigView(route: string, upstream: string, live: LiveKnobs): Record<string, unknown> {
  const defined = (o: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return {
    routes: {
      [route]: {
        cache: defined({ enabled: live.cacheEnabled, ttlMs: live.cacheTtlMs, staleWhileRevalidateMs: live.cacheStaleWhileRevalidateMs }),
        retry: defined({ maxAttempts: live.retryMaxAttempts, budgetRatio: live.retryBudgetRatio }),
      },
    },
    upstreams: {
      [upstream]: defined({
        balancer: live.balancer,
        concurrencyLimit: live.concurrencyLimit,
        queueLimit: live.queueLimit,
        drained: live.drainedReplicas === undefined ? undefined : [...live.drainedReplicas].sort(),
      }),
    },
  };
}

/** The verification check of an experiment the executor skipped because its patch changes nothing live. */
export const UNCHANGED_CONFIG_CHECK = 'config-unchanged';

/** Whether an outcome is an experiment the executor skipped as already live: the decider goes on to the next change. */
export const isUnchangedConfig = (outcome: Pick<OutcomeRecorded, 'status' | 'dryRun' | 'verification'>): boolean =>
  outcome.status === 'skipped' && !outcome.dryRun && outcome.verification.checks.some((c) => c.name === UNCHANGED_CONFIG_CHECK);

/**
 * What `GET /actuator/config` answered (`{version, config}`, or the config itself) against the
 * patch a `PUT` would merge over it: the live version when the patch changes nothing, otherwise
 * undefined (also when the answer is no config: the change then goes ahead).
 */
export function unchangedBy(described: unknown, patch: unknown): { version: number | null } | undefined {
  if (!isObject(described) || !isObject(patch)) return undefined;
  const config = isObject(described['config']) ? described['config'] : described;
  if (patchChanges(config, patch)) return undefined;
  const version = described['version'];
  return { version: typeof version === 'number' ? version : null };
}

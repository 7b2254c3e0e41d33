import type { RouteMetrics } from '@homeostat/execution';

const TIMEOUT_MS = 10_000;

/**
 * An optimize experiment's route series, from the learner's query API (`GET /api/telemetry/routes`):
 * the learner owns the stored telemetry (DESIGN.md), so the executor reads it there rather than
 * keeping a copy of the spans. `base` is read per call: in one process the learner's port is
 * known only once it has started.
 */
export function learnerRouteMetrics(base: () => string): RouteMetrics {
  return async ({ target, route, fromMs, toMs, bucketMs }) => {
    const params = new URLSearchParams({
      service: target,
      route,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      step: String(bucketMs),
    });
    const url = `${base()}/api/telemetry/routes?${params.toString()}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new Error(`the learner answered ${res.status} to ${url}: ${await res.text().catch(() => '')}`);
    const body: unknown = await res.json();
    if (!Array.isArray(body)) throw new Error(`the learner's route buckets are not a list: ${JSON.stringify(body).slice(0, 200)}`);
    return body as Awaited<ReturnType<RouteMetrics>>;
  };
}

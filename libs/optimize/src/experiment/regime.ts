import type { OptimizeRoute } from '@homeostat/contracts';
import type { RouteSummary } from './route-stats';

/** Above this share of repeated keys a route's traffic is "hot-keys": a cache serves most of it. */
export const HOT_KEYS_AT = 0.5;

/**
 * The traffic regime of a route, as a signature that is the same each time the regime returns:
 * the rate band (a power of two of requests per second, so a 3× step is another band and a ±30 %
 * wobble mostly is not), the key skew (hot keys a cache can serve, or spread), and the upstream's
 * health (within the route's error SLO or not). A regime's known-good config is remembered under it.
 */
export function regimeSignature(summary: RouteSummary, route: OptimizeRoute): string {
  const band = summary.rps < 1 ? 0 : 2 ** Math.floor(Math.log2(summary.rps));
  const rate = band === 0 ? 'rate=<1' : `rate=${band}-${band * 2}`;
  const keys = summary.repeatRatio >= HOT_KEYS_AT ? 'keys=hot' : 'keys=spread';
  const health = summary.errorRatio <= route.slo.errorRatio ? 'upstream=ok' : 'upstream=degraded';
  return `${rate},${keys},${health}`;
}

/** The fingerprint of an optimize incident: route and regime, the key of what the learner knows. */
export const regimeFingerprint = (route: string, regime: string): string => `optimize:${route}:${regime}`;

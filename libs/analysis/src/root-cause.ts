import type { CallGraph } from './call-graph';

export interface SignalEvidence {
  /** Series key, template id or span id. */
  ref: string;
  kind: 'series' | 'log' | 'span';
  score: number;
  description: string;
}

export interface RootCauseCandidate {
  service: string;
  /** In [0, 1]: how much of the evidence this service explains. */
  score: number;
  reasons: string[];
  evidence: SignalEvidence[];
}

export interface RootCauseOptions {
  /**
   * How much of `effect`'s anomaly `cause` can account for, in [0, 1] (e.g. the share of the
   * effect's excess latency that the cause's excess latency covers). It weighs a dependency's
   * anomaly when it makes its caller look like a victim, and a candidate's own strength against
   * the target's anomaly. Default: 1, any anomalous dependency explains its callers in full (the
   * live analyzer, whose evidence has no common unit across services).
   */
  explains?: (cause: string, effect: string) => number;
}

/**
 * Ranks the services that may cause the target's incident. A service's own strength is the
 * noisy-OR of its signals' scores (independent pieces of evidence each make it likelier).
 * Along the call graph, symptoms travel upstream: a service whose dependencies are anomalous is
 * more likely a victim than a cause, so its strength is discounted by the strongest anomalous
 * dependency (weighed by how much of the service's anomaly it explains), and a dependency of the
 * target that is anomalous while its own dependencies are healthy is where the propagation
 * starts. Only the target and its dependencies are candidates. Scores are normalised to sum to 1;
 * ties are broken by name, so the same evidence always gives the same order.
 */
export function rankRootCauses(
  target: string,
  evidenceByService: ReadonlyMap<string, SignalEvidence[]>,
  graph: Pick<CallGraph, 'downstream'>,
  options: RootCauseOptions = {},
): RootCauseCandidate[] {
  const explains = (cause: string, effect: string): number => clamp01(options.explains?.(cause, effect) ?? 1);
  const strength = new Map<string, number>();
  for (const [service, evidence] of evidenceByService) {
    strength.set(service, 1 - evidence.reduce((p, e) => p * (1 - Math.min(0.999, Math.max(0, e.score))), 1));
  }
  const candidates = new Set<string>([target, ...graph.downstream(target).filter((s) => (strength.get(s) ?? 0) > 0)]);
  const raw: RootCauseCandidate[] = [];
  for (const service of candidates) {
    const own = (strength.get(service) ?? 0) * (service === target ? 1 : explains(service, target));
    if (own <= 0) continue;
    const anomalousDeps = graph.downstream(service).filter((d) => (strength.get(d) ?? 0) > 0);
    const depStrength = Math.max(0, ...anomalousDeps.map((d) => (strength.get(d) ?? 0) * explains(d, service)));
    const reasons: string[] = [];
    const evidence = [...(evidenceByService.get(service) ?? [])].sort((a, b) => b.score - a.score);
    reasons.push(`${evidence.length} anomalous signal(s), strongest: ${evidence[0]?.description ?? 'none'}`);
    if (anomalousDeps.length > 0) reasons.push(`depends on anomalous ${anomalousDeps.join(', ')}: may be a victim`);
    else if (service !== target) reasons.push(`a dependency of ${target} whose own dependencies are healthy`);
    else reasons.push('no anomalous dependency: the problem is local');
    raw.push({ service, score: own * (1 - 0.7 * depStrength), reasons, evidence });
  }
  const total = raw.reduce((s, c) => s + c.score, 0);
  return raw
    .map((c) => ({ ...c, score: total > 0 ? c.score / total : 0 }))
    .sort((a, b) => b.score - a.score || compareNames(a.service, b.service));
}

/** Unknown (NaN) is the default, 1. */
function clamp01(x: number): number {
  return Number.isNaN(x) ? 1 : Math.min(1, Math.max(0, x));
}

/** Code-unit order: unlike localeCompare it does not depend on the process's locale. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import { parseDuration, type EventData, type LoopSpec, type OptimizeSpec, type RouteObservation } from '@homeostat/contracts';
import { designExperiments } from './design';
import { regimeFingerprint } from './regime';
import type { RouteObserver } from './route-observer';

export type OpportunityEvent =
  | { type: 'homeostat.incident.opened.v1'; subject: string; data: EventData<'homeostat.incident.opened.v1'> }
  | { type: 'homeostat.incident.resolved.v1'; subject: string; data: EventData<'homeostat.incident.resolved.v1'> };

/** The open incidents of an optimize loop's routes, as a snapshot carries them. */
export interface OpportunityTrackerSnapshot {
  open: Record<string /* route */, Open>;
}

interface Open {
  incidentId: string;
  fingerprint: string;
  openedAtMs: number;
  /** Since when the route has had nothing to gain and kept its SLO. */
  calmSinceMs?: number;
}

/**
 * An optimize loop's side of the analyzer: per route, an incident opens when the route's last
 * window shows an opportunity (a knob whose experiment should gain) or a regression (the route
 * breaks its SLO); its fingerprint is route + traffic regime, so what the learner knows is per
 * regime. It resolves when the regime changes (and the new one opens its own), or when the route
 * has had nothing to gain for the loop's `detection.resolveAfter`.
 */
export class OpportunityTracker {
  private readonly open = new Map<string, Open>();
  private readonly spec: OptimizeSpec;
  private readonly resolveAfterMs: number;
  private readonly catalog: ReadonlySet<string>;

  constructor(
    private readonly loop: LoopSpec,
    private readonly newId: () => string,
  ) {
    if (loop.spec.optimize === undefined) throw new Error(`loop ${loop.metadata.name} has no optimize section`);
    this.spec = loop.spec.optimize;
    this.resolveAfterMs = parseDuration(loop.spec.detection.resolveAfter);
    this.catalog = new Set(loop.spec.actions.map((a) => a.name));
  }

  tick(observer: RouteObserver, now: number): OpportunityEvent[] {
    const events: OpportunityEvent[] = [];
    const target = this.loop.spec.target.service;
    for (const [route, routeSpec] of Object.entries(this.spec.routes)) {
      const seen = observer.observe(route, now);
      if (seen === undefined) continue;
      const regression = seen.p99Ms > parseDuration(routeSpec.slo.p99) || seen.errorRatio > routeSpec.slo.errorRatio;
      const observation: RouteObservation = { kind: regression ? 'regression' : 'opportunity', ...seen };
      const candidates = designExperiments({ spec: this.spec, observation, ruledOut: new Set(), catalog: this.catalog, known: [] }).filter(
        (c) => c.eligible,
      );
      const worth = regression || candidates.length > 0;
      const fingerprint = regimeFingerprint(route, seen.regime);
      const current = this.open.get(route);
      if (current !== undefined) {
        const regimeChanged = current.fingerprint !== fingerprint;
        if (!regimeChanged && worth) {
          delete current.calmSinceMs;
          continue;
        }
        if (!regimeChanged) {
          current.calmSinceMs ??= now;
          if (now - current.calmSinceMs < this.resolveAfterMs) continue;
        }
        events.push(this.resolved(route, current, now, regimeChanged ? 'expired' : 'recovered'));
        this.open.delete(route);
        if (!regimeChanged || !worth) continue;
      } else if (!worth) continue;
      const incidentId = this.newId();
      this.open.set(route, { incidentId, fingerprint, openedAtMs: now });
      const best = candidates[0];
      events.push({
        type: 'homeostat.incident.opened.v1',
        subject: target,
        data: {
          incidentId,
          loop: this.loop.metadata.name,
          target,
          fingerprint,
          severity: regression ? 'medium' : 'low',
          title: regression
            ? `regression on route ${route}: p99 ${Math.round(seen.p99Ms)} ms, errors ${(seen.errorRatio * 100).toFixed(1)} % against its SLO`
            : `opportunity on route ${route}: ${best?.change ?? 'a knob'} (${best?.why ?? ''})`,
          openedAt: new Date(now).toISOString(),
          evidence: {
            series: [
              {
                name: 'route.latency.p99',
                labels: { route },
                score: Math.min(1, seen.p99Ms / parseDuration(routeSpec.slo.p99)),
                window: { start: seen.windowStart, end: seen.windowEnd },
                observed: Math.round(seen.p99Ms),
                baseline: parseDuration(routeSpec.slo.p99),
              },
            ],
            logTemplates: [],
            failingSpans: [],
          },
          optimize: observation,
        },
      });
    }
    return events;
  }

  private resolved(route: string, open: Open, now: number, resolution: 'expired' | 'recovered'): OpportunityEvent {
    return {
      type: 'homeostat.incident.resolved.v1',
      subject: this.loop.spec.target.service,
      data: {
        incidentId: open.incidentId,
        loop: this.loop.metadata.name,
        target: this.loop.spec.target.service,
        fingerprint: open.fingerprint,
        openedAt: new Date(open.openedAtMs).toISOString(),
        resolvedAt: new Date(now).toISOString(),
        resolution,
      },
    };
  }

  /** Its open incidents: a restarted analyzer resolves them under the same ids instead of opening them again. */
  snapshot(): OpportunityTrackerSnapshot {
    return { open: Object.fromEntries([...this.open].map(([route, o]) => [route, { ...o }])) };
  }

  /** Replaces its open incidents with a snapshot's; throws, changing nothing, on one that is not an OpportunityTrackerSnapshot. */
  restore(snapshot: unknown): void {
    const open = (snapshot as { open?: unknown } | null)?.open;
    if (typeof open !== 'object' || open === null || Array.isArray(open)) throw new Error('the tracker snapshot has no open incidents');
    const restored = Object.entries(open as Record<string, unknown>).map(([route, raw]): [string, Open] => {
      const o = raw as Partial<Open> | null;
      if (typeof o?.incidentId !== 'string' || typeof o.fingerprint !== 'string' || typeof o.openedAtMs !== 'number')
        throw new Error(`the open incident of route ${route} is not one`);
      return [
        route,
        {
          incidentId: o.incidentId,
          fingerprint: o.fingerprint,
          openedAtMs: o.openedAtMs,
          ...(typeof o.calmSinceMs === 'number' ? { calmSinceMs: o.calmSinceMs } : {}),
        },
      ];
    });
    this.open.clear();
    for (const [route, o] of restored) if (this.spec.routes[route] !== undefined) this.open.set(route, o);
  }

  openRoutes(): string[] {
    return [...this.open.keys()];
  }
}

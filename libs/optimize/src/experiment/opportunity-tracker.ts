import { parseDuration, type EventData, type LoopSpec, type OptimizeSpec, type RouteObservation } from '@homeostat/contracts';
import { designExperiments, type ExperimentCandidate } from './design';
import { regimeFingerprint } from './regime';
import type { RouteObserver } from './route-observer';

export type OpportunityEvent =
  | { type: 'homeostat.incident.opened.v1'; subject: string; data: EventData<'homeostat.incident.opened.v1'> }
  | { type: 'homeostat.incident.updated.v1'; subject: string; data: EventData<'homeostat.incident.updated.v1'> }
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
  /** When the last update was published (the opening counts as one). */
  updatedAtMs?: number;
}

/**
 * An optimize loop's side of the analyzer: per route, an incident opens when the route's last
 * window shows an opportunity (a knob whose experiment should gain) or a regression (the route
 * breaks its SLO); its fingerprint is route + traffic regime, so what the learner knows is per
 * regime. It resolves when the regime changes (and the new one opens its own), or when the route
 * has had nothing to gain for the loop's `detection.resolveAfter`.
 *
 * While it stays open and still worth an experiment, an update with the route's fresh observation
 * (its live knobs included) goes out every half window, `failingAt` now and `failingSince` the
 * opening: the decider takes the next knob once the one it kept did not close the opportunity
 * (decider.ts `relapsed`), designed from what is live now rather than from what was at the opening.
 */
export class OpportunityTracker {
  private readonly open = new Map<string, Open>();
  private readonly spec: OptimizeSpec;
  private readonly resolveAfterMs: number;
  private readonly catalog: ReadonlySet<string>;
  private readonly updateEveryMs: number;

  constructor(
    private readonly loop: LoopSpec,
    private readonly newId: () => string,
  ) {
    if (loop.spec.optimize === undefined) throw new Error(`loop ${loop.metadata.name} has no optimize section`);
    this.spec = loop.spec.optimize;
    this.resolveAfterMs = parseDuration(loop.spec.detection.resolveAfter);
    this.catalog = new Set(loop.spec.actions.map((a) => a.name));
    this.updateEveryMs = parseDuration(this.spec.bucket) * Math.max(1, Math.ceil(this.spec.baselineBuckets / 2));
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
          if (now - (current.updatedAtMs ?? current.openedAtMs) >= this.updateEveryMs) {
            current.updatedAtMs = now;
            const opened = this.opened(current.incidentId, route, current.fingerprint, observation, candidates, current.openedAtMs);
            events.push({
              type: 'homeostat.incident.updated.v1',
              subject: target,
              data: {
                ...opened.data,
                updatedAt: new Date(now).toISOString(),
                failingAt: new Date(now).toISOString(),
                failingSince: new Date(current.openedAtMs).toISOString(),
              },
            });
          }
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
      events.push(this.opened(incidentId, route, fingerprint, observation, candidates, now));
    }
    return events;
  }

  private opened(
    incidentId: string,
    route: string,
    fingerprint: string,
    seen: RouteObservation,
    candidates: readonly ExperimentCandidate[],
    openedAtMs: number,
  ): Extract<OpportunityEvent, { type: 'homeostat.incident.opened.v1' }> {
    const target = this.loop.spec.target.service;
    const routeSpec = this.spec.routes[route];
    const sloP99 = routeSpec === undefined ? seen.p99Ms : parseDuration(routeSpec.slo.p99);
    const regression = seen.kind === 'regression';
    const best = candidates[0];
    return {
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
        openedAt: new Date(openedAtMs).toISOString(),
        evidence: {
          series: [
            {
              name: 'route.latency.p99',
              labels: { route },
              score: Math.min(1, seen.p99Ms / sloP99),
              window: { start: seen.windowStart, end: seen.windowEnd },
              observed: Math.round(seen.p99Ms),
              baseline: sloP99,
            },
          ],
          logTemplates: [],
          failingSpans: [],
        },
        optimize: seen,
      },
    };
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
          ...(typeof o.updatedAtMs === 'number' ? { updatedAtMs: o.updatedAtMs } : {}),
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

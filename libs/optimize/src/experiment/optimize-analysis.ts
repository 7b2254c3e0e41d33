import type { LoopSpec, SpansBatch } from '@homeostat/contracts';
import { OpportunityTracker, type OpportunityEvent, type OpportunityTrackerSnapshot } from './opportunity-tracker';
import { RouteObserver, type RouteObserverSnapshot } from './route-observer';

/** The optimize loops' state of one target, by loop name: what moves with the target (a restart, a partition handover). */
export type OptimizeTargetSnapshot = Record<string /* loop */, { observer: RouteObserverSnapshot; tracker: OpportunityTrackerSnapshot }>;

/**
 * The analyzer's part for the `optimize` loops it runs: each loop's route observer fed with its
 * target's spans, and its opportunity tracker ticked with the analyzer's clock. Its state per
 * target goes into the analyzer's snapshot and the analyzer.state changelog with the target's
 * detectors, so a restarted analyzer (or the replica that takes the target over) sees the routes'
 * windows at once and resolves what is open under the same incident ids.
 */
export class OptimizeAnalysis {
  private readonly loops: Array<{ name: string; target: string; observer: RouteObserver; tracker: OpportunityTracker }>;

  constructor(loops: readonly LoopSpec[], newId: () => string) {
    this.loops = loops.flatMap((loop) =>
      loop.spec.kind === 'optimize' && loop.spec.optimize !== undefined
        ? [
            {
              name: loop.metadata.name,
              target: loop.spec.target.service,
              observer: new RouteObserver(loop.spec.optimize),
              tracker: new OpportunityTracker(loop, newId),
            },
          ]
        : [],
    );
  }

  get size(): number {
    return this.loops.length;
  }

  /** The targets an optimize loop watches. */
  targets(): string[] {
    return [...new Set(this.loops.map((l) => l.target))];
  }

  ingestSpans(target: string, batch: SpansBatch): void {
    for (const loop of this.loops) if (loop.target === target) loop.observer.ingest(batch);
  }

  tick(now: number): OpportunityEvent[] {
    return this.loops.flatMap((loop) => {
      const events = loop.tracker.tick(loop.observer, now);
      loop.observer.prune(now);
      return events;
    });
  }

  /** The state of the optimize loops of `target`; undefined when no optimize loop watches it. */
  snapshotTarget(target: string): OptimizeTargetSnapshot | undefined {
    const mine = this.loops.filter((l) => l.target === target);
    if (mine.length === 0) return undefined;
    return Object.fromEntries(mine.map((l) => [l.name, { observer: l.observer.snapshot(), tracker: l.tracker.snapshot() }]));
  }

  /**
   * Continues the optimize loops of `target` from a snapshot; a loop the snapshot lacks keeps its
   * state, one the analyzer no longer runs is left behind. Throws on a snapshot that is not one.
   */
  restoreTarget(target: string, snapshot: unknown): void {
    if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot))
      throw new Error(`the optimize state of ${target} is not an object`);
    for (const loop of this.loops) {
      const saved = (snapshot as Record<string, unknown>)[loop.name] as { observer?: unknown; tracker?: unknown } | undefined;
      if (loop.target !== target || saved === undefined) continue;
      loop.observer.restore(saved.observer);
      loop.tracker.restore(saved.tracker);
    }
  }

  /** Forgets the target's state: its partition moved to another replica, which continues its incidents. */
  dropTarget(target: string): void {
    for (const loop of this.loops) {
      if (loop.target !== target) continue;
      loop.observer.restore({ routes: {} });
      loop.tracker.restore({ open: {} });
    }
  }
}

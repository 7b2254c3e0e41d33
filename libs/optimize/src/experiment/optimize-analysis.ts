import type { LoopSpec, SpansBatch } from '@homeostat/contracts';
import { OpportunityTracker, type OpportunityEvent } from './opportunity-tracker';
import { RouteObserver } from './route-observer';

/**
 * The analyzer's part for the `optimize` loops it runs: each loop's route observer fed with its
 * target's spans, and its opportunity tracker ticked with the analyzer's clock. In memory only: a
 * restarted analyzer sees its routes again after one baseline window, and reopens what is open.
 */
export class OptimizeAnalysis {
  private readonly loops: Array<{ target: string; observer: RouteObserver; tracker: OpportunityTracker }>;

  constructor(loops: readonly LoopSpec[], newId: () => string) {
    this.loops = loops.flatMap((loop) =>
      loop.spec.kind === 'optimize' && loop.spec.optimize !== undefined
        ? [
            {
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
}

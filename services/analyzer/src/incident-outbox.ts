import type { IncidentEvent } from '@homeostat/analysis';

/**
 * The incident transitions waiting to be published, in order, and the checkpoint that must follow
 * an opening or a resolution.
 *
 * Why the checkpoint: the analyzer's state on disk (and on the changelog) is otherwise up to a
 * minute old. Killed after publishing a resolution, a restarted analyzer would continue from a
 * state in which that incident is still open, and resolve it a second time, or report the next
 * fault as a relapse of an incident everyone else has closed (chaos run 5: "resolved while failing",
 * 2 s after a kill -9 of the analyzer). The checkpoint is taken once every waiting transition is
 * out: a state that is ahead of what the bus has seen would lose the transitions still waiting,
 * and a lost opening is worse than a repeated one (downstream, a known incident id is ignored).
 * Updates do not call for one: an update published twice changes nothing.
 */
export class IncidentOutbox {
  private readonly waiting: IncidentEvent[] = [];
  /** An opening or resolution was published since the last checkpoint. */
  private lifecycleSinceCheckpoint = false;

  constructor(
    private readonly publish: (event: IncidentEvent) => Promise<unknown>,
    private readonly checkpoint: () => Promise<void>,
    private readonly published: (event: IncidentEvent) => void = () => undefined,
  ) {}

  add(events: readonly IncidentEvent[]): void {
    this.waiting.push(...events);
  }

  get size(): number {
    return this.waiting.length;
  }

  /**
   * Publishes what waits, in order, and checkpoints once all of it is out and an opening or a
   * resolution was among it. A failed publish rejects and leaves that event and the ones after it
   * waiting for the next flush.
   */
  async flush(): Promise<void> {
    for (let next = this.waiting[0]; next !== undefined; next = this.waiting[0]) {
      await this.publish(next);
      this.waiting.shift();
      if (next.type !== 'homeostat.incident.updated.v1') this.lifecycleSinceCheckpoint = true;
      this.published(next);
    }
    if (this.lifecycleSinceCheckpoint) {
      await this.checkpoint();
      this.lifecycleSinceCheckpoint = false;
    }
  }
}

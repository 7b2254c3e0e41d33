import type { AnalysisEngine, TargetSnapshot } from './analysis-engine';

/** What is known of the latest changelog record of a target, without decoding its state. */
export interface StateRecordInfo {
  target: string;
  owner: string;
  savedAtMs: number;
  /** When the writer last had telemetry of the target (the owner of its partition has the latest). */
  lastSeenMs: number;
}

/** A changelog record with its state decoded. */
export type StateRecord = StateRecordInfo & { snapshot: TargetSnapshot };

/**
 * The changelog of the targets' states, as the handover uses it. The analyzer service keeps it on
 * the bus (its TargetStateChangelog); a test keeps it in memory.
 */
export interface StateChangelog {
  /** This process's identity as a writer. */
  readonly owner: string;
  /** What is known of the latest record of a target (whoever wrote it). */
  info(target: string): StateRecordInfo | undefined;
  /** The latest state another process published for the target; undefined if none, or it does not decode. */
  take(target: string): StateRecord | undefined;
  /** Publishes a target's state; false when it was not published (too large for a record). */
  publish(snapshot: TargetSnapshot): Promise<boolean>;
}

/** Where the handover says what it did. */
export interface HandoverLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** A target's state as a changelog record's value carries it (the transport may compress it). */
export function serializeTargetSnapshot(snapshot: TargetSnapshot): string {
  return JSON.stringify(snapshot);
}

/** A changelog record's value read back as the state of `target`; throws if it is anything else. */
export function parseTargetSnapshot(json: string, target: string): TargetSnapshot {
  const snapshot = JSON.parse(json) as TargetSnapshot;
  if (snapshot.version !== 1 || snapshot.target !== target)
    throw new Error(`a version ${String(snapshot.version)} snapshot of ${String(snapshot.target)}`);
  return snapshot;
}

/**
 * State another part of the analyzer keeps per target (the optimize loops' route windows and open
 * incidents), moved with the engine's: published in the target's record, restored when the target
 * is taken over, forgotten when it moves away.
 */
export interface TargetStatePart {
  /** Undefined when the part has nothing of the target. */
  snapshot(target: string): unknown;
  /** Throws on a state it does not read. */
  restore(target: string, state: unknown): void;
  drop(target: string): void;
}

export interface HandoverOptions {
  /** How often the state of the targets that had telemetry since is published. */
  publishEveryMs: number;
  /**
   * A target that started cold here (no state found when its first telemetry came) still takes
   * the previous owner's state if that record arrives within this long (the changelog was still
   * being read at start-up).
   */
  lateAdoptionMs: number;
}

export const DEFAULT_HANDOVER_OPTIONS: HandoverOptions = { publishEveryMs: 30_000, lateAdoptionMs: 120_000 };

/**
 * Which replica holds a target's analysis, and moving it when its partition moves: the engine's
 * per-target state goes through the changelog (StateChangelog).
 *
 * - The first telemetry of a target in this process: if another process published the target's
 *   state more recently than this one's own snapshot (the data dir's, restored at start), the
 *   engine continues from it — detectors warm, templates with their ids, an open incident still
 *   open under its id, the fingerprint catalog.
 * - Every `publishEveryMs`, and at shutdown, the state of each target that had telemetry since
 *   its last publication is published.
 * - A record of a target from another process that had newer telemetry of it than this one means
 *   its partition moved there: the target is dropped here, without resolving or expiring its
 *   incident (the new owner continues it).
 */
export class StateHandover {
  private readonly checked = new Set<string>();
  private readonly coldSince = new Map<string, number>();
  /** Per target, the telemetry time its last published state covered. */
  private readonly published = new Map<string, number>();
  private lastPublishMs = 0;
  private readonly options: HandoverOptions;
  private readonly parts = new Map<string, TargetStatePart>();

  constructor(
    private readonly engine: AnalysisEngine,
    private readonly changelog: StateChangelog,
    private readonly logger: HandoverLogger,
    /** When the snapshot the engine was restored from (data dir) was taken; undefined: none. */
    private readonly localSavedAtMs: number | undefined,
    options: Partial<HandoverOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_HANDOVER_OPTIONS, ...options };
  }

  /** Moves `part`'s state of each target with the engine's, under `name` in the record. */
  addPart(name: string, part: TargetStatePart): void {
    this.parts.set(name, part);
  }

  /** Call before ingesting telemetry of `target`. */
  beforeIngest(target: string): void {
    if (this.checked.has(target)) return;
    this.checked.add(target);
    const local = this.engine.hasTarget(target) ? (this.localSavedAtMs ?? -Infinity) : -Infinity;
    // Taken (decompressed, parsed) only when it is newer than what the engine has.
    const newer = (this.changelog.info(target)?.savedAtMs ?? -Infinity) > local ? this.changelog.take(target) : undefined;
    if (newer && this.adopt(newer, '')) return;
    if (!this.engine.hasTarget(target)) this.coldSince.set(target, this.now());
  }

  /** Call for every new latest record of the changelog. */
  onRecord(info: StateRecordInfo): void {
    if (info.owner === this.changelog.owner) return;
    const { target } = info;
    const cold = this.coldSince.get(target);
    if (cold !== undefined && info.savedAtMs <= cold && this.now() - cold <= this.options.lateAdoptionMs) {
      // The previous owner's state, read late: worth more than the few seconds seen here.
      const record = this.changelog.take(target);
      this.coldSince.delete(target);
      if (record) this.adopt(record, ' after starting it cold');
      return;
    }
    // The partition's owner has the latest telemetry: if another process had newer telemetry of
    // the target than this one, the target is theirs now (a stray message after a rebalance,
    // which made this process take the target back for a moment, does not change that).
    const last = this.engine.lastSeenMs(target);
    if (last !== undefined && info.lastSeenMs > last) {
      this.engine.dropTarget(target);
      for (const part of this.parts.values()) part.drop(target);
      this.checked.delete(target);
      this.coldSince.delete(target);
      this.published.delete(target);
      this.logger.info(`${target} moved to ${info.owner} (it had newer telemetry of it than this process): dropped here`);
    }
  }

  /** Continues the target from another process's state; one that does not restore is logged, and the target starts cold. */
  private adopt(record: StateRecord, how: string): boolean {
    try {
      this.engine.restoreTarget(record.snapshot);
    } catch (error) {
      this.logger.warn(`state of ${record.target} from ${record.owner} does not restore, starting cold: ${String(error)}`);
      return false;
    }
    for (const [name, part] of this.parts) {
      const state = record.snapshot.parts?.[name];
      if (state === undefined) continue;
      try {
        part.restore(record.target, state);
      } catch (error) {
        this.logger.warn(`the ${name} state of ${record.target} from ${record.owner} does not restore, starting it cold: ${String(error)}`);
      }
    }
    this.logger.info(
      `took over the state of ${record.target} from ${record.owner}${how} (saved ${new Date(record.savedAtMs).toISOString()}, ${record.snapshot.series.length} series)`,
    );
    return true;
  }

  /** Publishes the state of the targets that had telemetry since their last publication, at most every publishEveryMs (or now, with force). */
  async publishDue(force = false): Promise<number> {
    const now = this.now();
    if (!force && now - this.lastPublishMs < this.options.publishEveryMs) return 0;
    this.lastPublishMs = now;
    const due = this.engine.targets().flatMap((target) => {
      const last = this.engine.lastSeenMs(target);
      return last === undefined || (this.published.get(target) ?? -Infinity) >= last ? [] : [{ target, last }];
    });
    const snapshots = this.engine
      .snapshotTargets(
        due.map((d) => d.target),
        now,
      )
      .map((snapshot) => {
        const parts = Object.fromEntries(
          [...this.parts].flatMap(([name, part]) => {
            const state = part.snapshot(snapshot.target);
            return state === undefined ? [] : [[name, state]];
          }),
        );
        return Object.keys(parts).length === 0 ? snapshot : { ...snapshot, parts };
      });
    let count = 0;
    for (const [i, snapshot] of snapshots.entries()) {
      if (await this.changelog.publish(snapshot)) {
        this.published.set(snapshot.target, due[i]?.last ?? now);
        count++;
      }
    }
    return count;
  }
}

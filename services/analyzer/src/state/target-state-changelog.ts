import { gunzipSync, gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import {
  parseTargetSnapshot,
  serializeTargetSnapshot,
  type StateChangelog,
  type StateRecord,
  type StateRecordInfo,
  type TargetSnapshot,
} from '@homeostat/analysis';
import { MemoryIdempotencyStore, type Bus, type RawMessage, type Subscription } from '@homeostat/bus';
import { ANALYZER_STATE_MAX_BYTES, ANALYZER_STATE_TOPIC } from '@homeostat/contracts';
import type { ComponentLogger } from '@homeostat/telemetry';

/**
 * Above this (compressed), a target's state is not published: the topic's record limit, less
 * room for the record's own overhead. The shop's state is about 1.7 KB per series compressed
 * (109 series: 182 KB), so this holds some 4,800 series of one target.
 */
export const MAX_STATE_RECORD_BYTES = ANALYZER_STATE_MAX_BYTES - 64 * 1024;

const OWNER_HEADER = 'homeostat-owner';
const EMPTY = Buffer.alloc(0);
const SAVED_AT_HEADER = 'homeostat-saved-at';
const LAST_SEEN_HEADER = 'homeostat-last-seen';

/**
 * The analyzer's per-target state as a changelog on the bus, in the way of Kafka Streams' state
 * stores: each replica publishes the state of the targets it analyzes to `analyzer.state`
 * (compacted, keyed by target: the latest record per target is kept), and reads the whole topic
 * from its beginning (a consumer group of its own per process), keeping the latest record per
 * target. When a target's partition moves, the replica that gets it takes the state the previous
 * owner published (`take`) and continues from it; the previous owner sees a record of the
 * target from a process with newer telemetry of it (`onRecord`) and lets go of it.
 *
 * Records are gzip-compressed JSON; the owner and the time of the snapshot travel as headers, so
 * a replica knows whose a record is without decompressing it. A replica holds the latest record
 * of every target other processes published (compressed): memory about the size of the
 * compacted topic.
 */
export class TargetStateChangelog implements StateChangelog {
  private readonly latest = new Map<string, StateRecordInfo & { value: Buffer }>();
  private subscription: Subscription | undefined;
  /** Records that could not be read (missing headers): counted and skipped. */
  invalidRecords = 0;

  constructor(
    private readonly bus: Bus,
    /** This process's identity as a writer; unique per process run. */
    readonly owner: string,
    private readonly logger: ComponentLogger,
    private readonly onRecord: (record: StateRecordInfo) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      // A group of its own per process run, so it reads the topic from its beginning every time.
      group: `homeostat-analyzer-state.${this.owner.replace(/[^A-Za-z0-9_.-]/g, '_')}.${randomUUID().slice(0, 8)}`,
      topics: [ANALYZER_STATE_TOPIC],
      decode: 'raw',
      fromBeginning: true,
      concurrency: 4,
      retry: { maxAttempts: 1, backoffMs: 0 },
      // Keeping the latest record per target is idempotent by itself.
      idempotency: new MemoryIdempotencyStore(1_000),
      handler: (message) => Promise.resolve(this.receive(message)),
    });
  }

  isReady(): boolean {
    return this.subscription?.isReady() ?? false;
  }

  /** Publishes a target's state; false when it is too large for a record (it then stays local). */
  async publish(snapshot: TargetSnapshot): Promise<boolean> {
    const value = gzipSync(serializeTargetSnapshot(snapshot));
    if (value.length > MAX_STATE_RECORD_BYTES) {
      this.logger.warn(`state of ${snapshot.target} not published: ${value.length} bytes compressed (at most ${MAX_STATE_RECORD_BYTES})`, {
        series: snapshot.series.length,
      });
      return false;
    }
    await this.bus.publishRaw({
      topic: ANALYZER_STATE_TOPIC,
      key: snapshot.target,
      value,
      headers: {
        [OWNER_HEADER]: this.owner,
        [SAVED_AT_HEADER]: String(snapshot.savedAtMs),
        [LAST_SEEN_HEADER]: String(snapshot.lastSeenMs ?? snapshot.savedAtMs),
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
    });
    return true;
  }

  /** What is known of the latest record of a target (whoever wrote it). */
  info(target: string): StateRecordInfo | undefined {
    const record = this.latest.get(target);
    return record ? { target, owner: record.owner, savedAtMs: record.savedAtMs, lastSeenMs: record.lastSeenMs } : undefined;
  }

  /**
   * The latest state another process published for the target, if any. A record that does not
   * decode, or is not this target's, is logged and ignored (the target starts cold).
   */
  take(target: string): StateRecord | undefined {
    const record = this.latest.get(target);
    if (!record || record.owner === this.owner) return undefined;
    try {
      const snapshot = parseTargetSnapshot(gunzipSync(record.value).toString('utf8'), target);
      return { target, owner: record.owner, savedAtMs: record.savedAtMs, lastSeenMs: record.lastSeenMs, snapshot };
    } catch (error) {
      this.logger.warn(`state of ${target} from ${record.owner} is unreadable, starting cold: ${String(error)}`);
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
  }

  private receive(message: RawMessage): void {
    const owner = message.headers[OWNER_HEADER];
    const savedAtMs = Number(message.headers[SAVED_AT_HEADER]);
    const lastSeen = Number(message.headers[LAST_SEEN_HEADER]);
    const lastSeenMs = Number.isFinite(lastSeen) ? lastSeen : savedAtMs;
    const target = message.key;
    if (target === null || !owner || !Number.isFinite(savedAtMs)) {
      this.invalidRecords++;
      this.logger.warn(`skipped a record on ${ANALYZER_STATE_TOPIC} without a key, owner or time`, {
        key: target,
        partition: message.partition,
        offset: message.offset,
      });
      return;
    }
    const known = this.latest.get(target);
    if (known && known.savedAtMs > savedAtMs) return;
    if (message.value === null || message.value.length === 0) {
      // A tombstone: the target's state was deleted.
      this.latest.delete(target);
      return;
    }
    // Its own records are never taken back by this process: only what they say is kept. Others'
    // are copied: a consumer's record value may be a view into the whole fetched batch.
    this.latest.set(target, { target, owner, savedAtMs, lastSeenMs, value: owner === this.owner ? EMPTY : Buffer.from(message.value) });
    this.onRecord({ target, owner, savedAtMs, lastSeenMs });
  }
}

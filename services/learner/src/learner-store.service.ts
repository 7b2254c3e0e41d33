import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { HomeostatConfig } from '@homeostat/config';
import type { HomeostatMetrics } from '@homeostat/metrics';
import type { Bus } from '@homeostat/bus';
import { BUS, CONFIG, LOGGER, METRICS, READINESS, type Readiness } from '@homeostat/runtime';
import { BatchInserter, createStoreClient, runMigrations, TELEMETRY_TABLES, type StoreHandle } from '@homeostat/store';
import type { JsonLogger } from '@homeostat/telemetry';

/**
 * Telemetry inserts: written at this many rows, or when their first rows have waited this long.
 * The consumer's window (TELEMETRY_IN_FLIGHT messages) holds about two and a half batches of the
 * collector's usual 100-span requests, so one batch fills while the one before is written.
 */
export const TELEMETRY_BATCH = { maxRows: 20_000, maxDelayMs: 200 } as const;
/** Telemetry messages the learner's consumer has in hand at once (see SubscribeOptions.unordered). */
export const TELEMETRY_IN_FLIGHT = 500;

const TELEMETRY_TABLE_NAMES: ReadonlySet<string> = new Set(Object.values(TELEMETRY_TABLES));

/**
 * The learner owns ClickHouse: it opens the store (a server over HTTP, or chDB in-process),
 * applies the migrations at start, and is the only writer. Telemetry rows are batched; every
 * write resolves only once the rows are stored, so the bus commits a message only after that.
 */
@Injectable()
export class LearnerStore implements OnModuleInit, OnApplicationShutdown {
  private handle: StoreHandle | undefined;
  private readonly inserters = new Map<string, BatchInserter<Record<string, unknown>>>();

  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    @Inject(READINESS) private readonly readiness: Readiness,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(METRICS) private readonly metrics: HomeostatMetrics,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async onModuleInit(): Promise<void> {
    const { clickhouse, dataDir } = this.config;
    this.handle = await createStoreClient({ ...clickhouse, dataDir });
    const result = await runMigrations(this.handle);
    this.logger.log(
      `store ready (${this.handle.engine}, database ${this.handle.database}); migrations applied: ${result.applied.map((m) => m.name).join(', ') || 'none'}`,
      'LearnerStore',
    );
    this.readiness.register({
      name: 'store',
      check: async () => {
        await this.store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
        return { ok: true, detail: { engine: this.store.engine, database: this.store.database } };
      },
    });
  }

  get store(): StoreHandle {
    if (!this.handle) throw new Error('the learner store is not open yet');
    return this.handle;
  }

  /**
   * Rows into a table; resolves when they are stored, rejects when not. Telemetry rows gather
   * across messages (the consumer has up to TELEMETRY_IN_FLIGHT of them in hand) into inserts of
   * up to TELEMETRY_BATCH.maxRows rows: ClickHouse writes a part per insert, and an insert of a
   * hundred rows costs nearly what one of ten thousand does. Ledger rows are written at once, in
   * the order their events came.
   */
  insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    let inserter = this.inserters.get(table);
    if (!inserter) {
      // Waiting for more rows pays only where the bus hands over many messages at once (in
      // process, the unordered window). A Kafka consumer hands a partition's messages one at a
      // time, so a wait would only delay each; there the batch gathers what the partitions
      // handled concurrently write in the same tick, as before.
      const batch = !TELEMETRY_TABLE_NAMES.has(table)
        ? { maxRows: 5000, maxDelayMs: 0 }
        : this.bus.transport === 'in-process'
          ? TELEMETRY_BATCH
          : { maxRows: TELEMETRY_BATCH.maxRows, maxDelayMs: 0 };
      inserter = new BatchInserter<Record<string, unknown>>(this.store, {
        table,
        ...batch,
        onInsert: (rows, seconds, ok) => this.metrics.insert(table, rows, seconds, ok),
      });
      this.inserters.set(table, inserter);
    }
    return inserter.add(rows);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const inserter of this.inserters.values()) await inserter.close();
    this.inserters.clear();
    await this.handle?.close();
    this.handle = undefined;
  }
}

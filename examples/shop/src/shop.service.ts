import { SpanKind, SpanStatusCode, type Context, type Histogram } from '@opentelemetry/api';
import { ResponseCache } from './cache/response-cache';
import type { ConfigStore, ConfigVersion } from './config/config-store';
import { applyConfigPatch, type RetryPolicy, type ShopConfig, type ShopConfigPatch } from './config/shop-config.schema';
import { ConnectionPool, DEFAULT_POOL, PoolTimeoutError, type PoolObserver, type PoolStats } from './db/connection-pool';
import type { DatabaseServer } from './db/database-server';
import type { DbConnection } from './db/db-connection';
import { createPoolMetrics } from './db/pool-metrics';
import { FAULT_NAMES, type FaultName } from './faults/faults';
import { evaluateHealth, type HealthReport } from './health/health';
import { SloWindow, type ServiceLevelObjectives } from './health/slo-window';
import { InventoryClient } from './inventory/inventory-client';
import type { InventoryServer } from './inventory/inventory-server';
import { RetryBudget } from './resilience/retry-policy';
import { ATTR, DURATION_BUCKETS_S, METRIC, POOL_NAME } from './telemetry/semconv';
import type { ShopTelemetry } from './telemetry/telemetry';

/** Share of requests the bad pricing-v2 release breaks. */
export const PRICING_V2_FAILURE = 0.3;

export class PricingError extends Error {
  readonly code = 'PRICING_FAILED';
}
export class RestartingError extends Error {
  readonly code = 'RESTARTING';
}

/** What a restart resets: everything the process holds in memory, not the persisted config. */
interface ProcessState {
  pool: ConnectionPool;
  cache: ResponseCache<unknown>;
  slo: SloWindow;
  /** The retry budget belongs to the retry policy: a new policy starts with a fresh account. */
  budget: { policy: string; budget: RetryBudget };
}

export interface ShopDeps {
  config: ConfigStore;
  db: DatabaseServer;
  inventory: InventoryServer;
  telemetry: ShopTelemetry;
  objectives: ServiceLevelObjectives;
  restartMs: number;
  random?: () => number;
}

/**
 * The shop's behaviour behind its HTTP routes: the business operations (checkout on the
 * database pool, catalog through the cache to the inventory, stock straight from the inventory),
 * fault injection, and the actuator. HTTP concerns stay in shop-server.ts.
 */
export class ShopService {
  private state: ProcessState;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartingSince: number | null = null;
  private readonly poolObserver: PoolObserver;
  private readonly inventoryClient: InventoryClient;
  private readonly dbDuration: Histogram;
  private readonly random: () => number;

  constructor(private readonly deps: ShopDeps) {
    this.random = deps.random ?? Math.random;
    const { meter, tracer, logger } = deps.telemetry;
    this.poolObserver = createPoolMetrics(meter, () => (this.restartingSince === null ? this.state.pool.stats() : null));
    this.dbDuration = meter.createHistogram(METRIC.dbOperationDuration, {
      unit: 's',
      description: 'Duration of database client operations.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.state = this.freshState();
    this.inventoryClient = new InventoryClient({
      baseUrl: deps.inventory.url,
      tracer,
      meter,
      logger,
      policy: () => this.config.retry,
      budget: () => this.budgetFor(this.config.retry),
      random: this.random,
    });
  }

  get config(): ShopConfig {
    return this.deps.config.live.config;
  }

  get restarting(): boolean {
    return this.restartingSince !== null;
  }

  get slo(): SloWindow {
    return this.state.slo;
  }

  health(): HealthReport {
    return evaluateHealth({
      restarting: this.restarting,
      pool: this.restarting ? null : this.state.pool.stats(),
      slo: this.state.slo.snapshot(),
      objectives: this.deps.objectives,
    });
  }

  // --- business operations ---------------------------------------------------------------

  async checkout(item: number, ctx: Context): Promise<unknown> {
    this.assertRunning();
    let lease;
    try {
      lease = await this.state.pool.acquire();
    } catch (error) {
      if (error instanceof PoolTimeoutError) this.logPoolTimeout(error, ctx);
      throw error;
    }
    try {
      const rows = await this.query(lease.connection, 'SELECT', 'items', 'SELECT id, stock, price FROM items WHERE id = $1', [item], ctx);
      await this.query(lease.connection, 'INSERT', 'orders', 'INSERT INTO orders (item_id, quantity) VALUES ($1, 1)', [item], ctx);
      this.price(ctx);
      return { order: { item, quantity: 1 }, item: rows[0] ?? null };
    } finally {
      lease.release();
    }
  }

  async catalog(item: number, ctx: Context): Promise<{ body: unknown; cache: string }> {
    this.assertRunning();
    const { cache } = this.config;
    const load = () => this.inventoryClient.get(`/items/${item}`, '/items/{id}', ctx);
    let result: { body: unknown; cache: string };
    if (cache.enabled) {
      const { value, outcome } = await this.state.cache.get(`item:${item}`, cache.ttlSeconds * 1_000, load);
      result = { body: value, cache: outcome };
    } else {
      if (this.state.cache.size > 0) this.state.cache.clear();
      result = { body: await load(), cache: 'disabled' };
    }
    this.price(ctx);
    return result;
  }

  async stock(item: number, ctx: Context): Promise<unknown> {
    this.assertRunning();
    const body = await this.inventoryClient.get(`/stock/${item}`, '/stock/{id}', ctx);
    this.price(ctx);
    return body;
  }

  // --- faults ------------------------------------------------------------------------------

  activeFaults(): FaultName[] {
    const active: Record<FaultName, boolean> = {
      'pool-leak': !this.restarting && this.state.pool.leaking,
      'slow-dependency': this.deps.inventory.faults.slow,
      'retry-storm': this.deps.inventory.faults.stormSince !== null,
      'bad-config': this.config.features.pricingV2,
    };
    return FAULT_NAMES.filter((name) => active[name]);
  }

  inject(fault: FaultName): void {
    switch (fault) {
      case 'pool-leak':
        this.assertRunning();
        this.state.pool.leaking = true;
        break;
      case 'slow-dependency':
        this.deps.inventory.faults.slow = true;
        break;
      case 'retry-storm':
        this.deps.inventory.faults.stormSince ??= Date.now();
        break;
      case 'bad-config':
        if (!this.config.features.pricingV2)
          this.applyConfig({ ...this.config, features: { ...this.config.features, pricingV2: true } }, 'release 2.4.0: pricing engine v2');
        break;
    }
  }

  clearFaults(): FaultName[] {
    const cleared = this.activeFaults();
    if (!this.restarting) this.state.pool.stopLeak();
    this.deps.inventory.faults.slow = false;
    this.deps.inventory.faults.stormSince = null;
    if (this.config.features.pricingV2)
      this.applyConfig({ ...this.config, features: { ...this.config.features, pricingV2: false } }, 'DELETE /faults');
    return cleared;
  }

  // --- actuator ----------------------------------------------------------------------------

  /** Destroys every connection (leaked ones too) and starts a new pool. */
  async recyclePool(): Promise<{ destroyed: number; pool: PoolStats }> {
    this.assertRunning();
    const old = this.state.pool;
    const destroyed = old.stats().size;
    this.state.pool = this.newPool();
    // Requests still waiting on the old pool give up within the acquire timeout; no need to wait.
    void old.close().catch(() => undefined);
    const pool = this.state.pool.stats();
    this.deps.telemetry.logger.info(`connection pool ${POOL_NAME} recycled: ${destroyed} connection(s) destroyed`, {
      [ATTR.dbPoolName]: POOL_NAME,
      destroyed,
    });
    return { destroyed, pool };
  }

  /** Simulates a process restart: `restartMs` of 503, then fresh in-memory state. */
  restart(): { restartMs: number; alreadyRestarting: boolean } {
    if (this.restarting) return { restartMs: this.deps.restartMs, alreadyRestarting: true };
    this.restartingSince = Date.now();
    this.deps.telemetry.logger.info(`restarting: back in ${this.deps.restartMs} ms`);
    const old = this.state;
    void old.pool.close().catch(() => undefined);
    old.cache.clear();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.state = this.freshState();
      this.restartingSince = null;
      this.deps.telemetry.logger.info(`started (config version ${this.deps.config.live.version})`);
    }, this.deps.restartMs);
    return { restartMs: this.deps.restartMs, alreadyRestarting: false };
  }

  describeConfig(): { version: number; config: ShopConfig; history: Array<Omit<ConfigVersion, 'config'>> } {
    const live = this.deps.config.live;
    return {
      version: live.version,
      config: live.config,
      history: this.deps.config.history().map(({ version, parent, reason, createdAt }) => ({ version, parent, reason, createdAt })),
    };
  }

  updateConfig(patch: ShopConfigPatch): { version: number; config: ShopConfig } {
    const entry = this.applyConfig(applyConfigPatch(this.config, patch), `PUT /actuator/config ${JSON.stringify(patch)}`);
    return { version: entry.version, config: entry.config };
  }

  rollbackConfig(): { from: number; to: number; config: ShopConfig } {
    const { from, to } = this.deps.config.rollback();
    this.deps.telemetry.logger.info(`config rolled back from version ${from.version} to ${to.version}`, {
      'shop.config.version': to.version,
    });
    return { from: from.version, to: to.version, config: to.config };
  }

  async stop(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.inventoryClient.close();
    await this.state.pool.close();
  }

  // --- internals ---------------------------------------------------------------------------

  private applyConfig(config: ShopConfig, reason: string): ConfigVersion {
    const entry = this.deps.config.apply(config, reason);
    this.deps.telemetry.logger.info(`config version ${entry.version} live: ${reason}`, { 'shop.config.version': entry.version });
    return entry;
  }

  private freshState(): ProcessState {
    return {
      pool: this.newPool(),
      cache: new ResponseCache<unknown>(),
      slo: new SloWindow(this.deps.objectives.windowMs),
      budget: { policy: '', budget: new RetryBudget() },
    };
  }

  private budgetFor(policy: RetryPolicy): RetryBudget {
    const key = JSON.stringify(policy);
    if (this.state.budget.policy !== key) this.state.budget = { policy: key, budget: new RetryBudget() };
    return this.state.budget.budget;
  }

  private newPool(): ConnectionPool {
    return new ConnectionPool({ name: POOL_NAME, host: this.deps.db.host, port: this.deps.db.port, ...DEFAULT_POOL }, this.poolObserver);
  }

  private assertRunning(): void {
    if (this.restarting) throw new RestartingError('the shop is restarting');
  }

  /** The pricing step every business request ends with; pricing v2 breaks some of them. */
  private price(ctx: Context): void {
    if (this.config.features.pricingV2 && this.random() < PRICING_V2_FAILURE) {
      const message = `pricing v2: price rule returned NaN (config version ${this.deps.config.live.version})`;
      this.deps.telemetry.logger.error(message, { 'shop.config.version': this.deps.config.live.version }, ctx);
      throw new PricingError(message);
    }
  }

  private logPoolTimeout(error: PoolTimeoutError, ctx: Context): void {
    const s = error.stats;
    this.deps.telemetry.logger.error(
      error.message,
      {
        [ATTR.dbPoolName]: s.name,
        'db.client.connection.max': s.max,
        'db.client.connection.used': s.used,
        'db.client.connection.idle': s.idle,
        'db.client.connection.pending_requests': s.pending,
        'shop.pool.wait_ms': error.waitedMs,
      },
      ctx,
    );
  }

  private async query(
    connection: DbConnection,
    operation: string,
    collection: string,
    sql: string,
    params: unknown[],
    ctx: Context,
  ): Promise<Array<Record<string, unknown>>> {
    const attributes = {
      [ATTR.dbSystemName]: 'other_sql',
      [ATTR.dbNamespace]: 'shop',
      [ATTR.dbOperationName]: operation,
      [ATTR.dbCollectionName]: collection,
      [ATTR.serverAddress]: this.deps.db.host,
      [ATTR.serverPort]: this.deps.db.port,
    };
    const span = this.deps.telemetry.tracer.startSpan(
      `${operation} ${collection}`,
      { kind: SpanKind.CLIENT, attributes: { ...attributes, [ATTR.dbQueryText]: sql } },
      ctx,
    );
    const started = performance.now();
    try {
      return await connection.query(sql, params);
    } catch (error) {
      const type = error instanceof Error ? error.constructor.name : 'Error';
      span.setAttribute(ATTR.errorType, type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      this.dbDuration.record((performance.now() - started) / 1_000, attributes);
      span.end();
    }
  }
}

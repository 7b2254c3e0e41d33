import { Pool } from 'undici';
import { createBalancer, ReplicaState, type Balancer } from '../balancing/balancers';
import { Gradient2Limit, WindowedLimit, type LimitAlgorithm } from '../adaptive/gradient2';
import { VegasLimit } from '../adaptive/vegas';
import { ConcurrencyLimiter } from '../concurrency/concurrency-limiter';
import type { ConcurrencyConfig, UpstreamConfig } from '../config/gateway-config.schema';

/** One replica: its balancer state and its undici connection pool. */
export interface Replica {
  state: ReplicaState;
  pool: Pool;
}

/**
 * One upstream at run time: a keep-alive undici Pool per replica, the balancer over them and the
 * concurrency limiter in front of them. A new config keeps what it can: replicas whose URL and pool
 * size are unchanged keep their connections and latency estimates, so a config experiment measures
 * the knob it changed and not a cold start.
 */
export class UpstreamRuntime {
  private replicaList: Replica[] = [];
  private balancerKind: UpstreamConfig['balancer'] | null = null;
  private balancer!: Balancer;
  readonly limiter: ConcurrencyLimiter;
  private concurrencyKey = 'fixed';
  private drainedOrigins = new Set<string>();
  private mirrorTurn = 0;

  constructor(
    readonly name: string,
    config: UpstreamConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.limiter = new ConcurrencyLimiter(name, config.concurrencyLimit, config.queueLimit, config.queueTimeoutMs);
    this.reconfigure(config);
  }

  get replicas(): readonly Replica[] {
    return this.replicaList;
  }

  /** The replicas in balancing: all but the drained ones (the config never drains them all). */
  get serving(): readonly Replica[] {
    const serving = this.replicaList.filter((r) => !this.drainedOrigins.has(r.state.url));
    return serving.length > 0 ? serving : this.replicaList;
  }

  /** The drained replicas' URL origins, sorted. */
  get drained(): string[] {
    return [...this.drainedOrigins].sort();
  }

  pick(exclude?: Replica): Replica {
    const serving = this.serving;
    const state = this.balancer.pick(
      serving.map((r) => r.state),
      exclude?.state,
    );
    return serving.find((r) => r.state === state) as Replica;
  }

  /** The drained replica whose turn it is to receive a mirrored request, if any is drained. */
  mirrorTarget(): Replica | undefined {
    const drained = this.replicaList.filter((r) => this.drainedOrigins.has(r.state.url));
    if (drained.length === 0) return undefined;
    return drained[this.mirrorTurn++ % drained.length];
  }

  reconfigure(config: UpstreamConfig): void {
    this.limiter.reconfigure(config.concurrencyLimit, config.queueLimit, config.queueTimeoutMs);
    // An unchanged adaptive config keeps its algorithm and what it has learnt of the upstream.
    const adaptive = config.concurrency && config.concurrency.mode !== 'fixed' ? config.concurrency : null;
    const concurrencyKey = adaptive ? JSON.stringify(adaptive) : 'fixed';
    if (concurrencyKey !== this.concurrencyKey) {
      this.limiter.setAlgorithm(adaptive ? createLimitAlgorithm(adaptive, this.random) : null);
      this.concurrencyKey = concurrencyKey;
    }
    if (config.balancer !== this.balancerKind) {
      this.balancer = createBalancer(config.balancer, this.random);
      this.balancerKind = config.balancer;
    }
    this.drainedOrigins = new Set((config.drained ?? []).map((u) => new URL(u).origin));
    const kept: Replica[] = [];
    const next = config.replicas.map((rc, i) => {
      const origin = new URL(rc.url).origin;
      const existing = this.replicaList.find((r) => r.state.url === origin && !kept.includes(r));
      const connections = config.connectionsPerReplica;
      if (existing && poolSize.get(existing.pool) === connections) {
        kept.push(existing);
        existing.state.weight = rc.weight;
        existing.state.setDecay(config.ewmaDecayMs);
        return existing;
      }
      const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
      poolSize.set(pool, connections);
      return { state: new ReplicaState(`${this.name}-${i + 1}`, origin, rc.weight, config.ewmaDecayMs), pool };
    });
    const dropped = this.replicaList.filter((r) => !kept.includes(r));
    this.replicaList = next;
    // Requests already on a dropped pool finish; close() waits for them.
    for (const r of dropped) void r.pool.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.replicaList.map((r) => r.pool.destroy()));
  }
}

const poolSize = new WeakMap<Pool, number>();

/** The configured algorithm, parameters left out at the library's defaults, per request or over WindowedLimit windows. */
export function createLimitAlgorithm(c: ConcurrencyConfig, random: () => number = Math.random): LimitAlgorithm {
  const defined = <T extends object>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const limit =
    c.mode === 'vegas'
      ? new VegasLimit(
          defined({ initialLimit: c.initialLimit, maxLimit: c.maxLimit, smoothing: c.smoothing, probeMultiplier: c.probeMultiplier }),
          random,
        )
      : new Gradient2Limit(
          defined({
            initialLimit: c.initialLimit,
            minLimit: c.minLimit,
            maxLimit: c.maxLimit,
            smoothing: c.smoothing,
            rttTolerance: c.rttTolerance,
            longWindow: c.longWindow,
            queueSize: c.queueSize,
          }),
        );
  const windowMs = c.windowMs ?? 0;
  return windowMs > 0
    ? new WindowedLimit(limit, defined({ minWindowMs: windowMs, maxWindowMs: windowMs, windowSize: c.windowSize }))
    : limit;
}

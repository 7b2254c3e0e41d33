import type { BalancerKind } from '../config/gateway-config.schema';

/**
 * What a balancer knows of one replica: its weight, the requests in flight to it, and a peak-EWMA
 * estimate of its latency (Finagle's `PeakEwma`, as used by Linkerd): a slower observation is taken
 * at once (the peak), a faster one decays the estimate with time constant `decayMs`, so a replica
 * that turns slow is avoided within one request and trusted again only gradually.
 */
export class ReplicaState {
  inFlight = 0;
  private ewmaMs = 0;
  private lastAt: number | null = null;

  constructor(
    readonly id: string,
    readonly url: string,
    public weight: number,
    private decayMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  setDecay(decayMs: number): void {
    this.decayMs = decayMs;
  }

  observe(latencyMs: number): void {
    const now = this.now();
    if (this.lastAt === null || latencyMs > this.ewmaMs) {
      this.ewmaMs = latencyMs;
    } else {
      const w = Math.exp(-Math.max(0, now - this.lastAt) / this.decayMs);
      this.ewmaMs = this.ewmaMs * w + latencyMs * (1 - w);
    }
    this.lastAt = now;
  }

  /** The latency estimate, decayed toward 0 for the time since the last observation (so an idle replica is retried). */
  get latencyMs(): number {
    if (this.lastAt === null) return 0;
    return this.ewmaMs * Math.exp(-Math.max(0, this.now() - this.lastAt) / this.decayMs);
  }

  /** Finagle's load: latency × (in flight + 1); an unmeasured replica costs only its queue. */
  get cost(): number {
    return (this.latencyMs || 1) * (this.inFlight + 1);
  }
}

export interface Balancer {
  /** Picks a replica, avoiding `exclude` (e.g. the one a retry just failed on) when another exists. */
  pick(replicas: readonly ReplicaState[], exclude?: ReplicaState): ReplicaState;
}

function candidates(replicas: readonly ReplicaState[], exclude?: ReplicaState): readonly ReplicaState[] {
  if (replicas.length === 0) throw new Error('no replicas to balance over');
  if (exclude === undefined || replicas.length === 1) return replicas;
  return replicas.filter((r) => r !== exclude);
}

export class RoundRobin implements Balancer {
  private next = 0;
  pick(replicas: readonly ReplicaState[], exclude?: ReplicaState): ReplicaState {
    const pool = candidates(replicas, exclude);
    const chosen = pool[this.next % pool.length] as ReplicaState;
    this.next = (this.next + 1) % 1_000_000_007;
    return chosen;
  }
}

/** Smooth weighted round-robin (nginx): weights 5,1,1 give a a b a c a a, not a a a a a b c. */
export class WeightedRoundRobin implements Balancer {
  private readonly current = new Map<string, number>();
  pick(replicas: readonly ReplicaState[], exclude?: ReplicaState): ReplicaState {
    const pool = candidates(replicas, exclude).filter((r) => r.weight > 0);
    if (pool.length === 0) return candidates(replicas, exclude)[0] as ReplicaState;
    let total = 0;
    let best: ReplicaState | undefined;
    for (const r of pool) {
      const value = (this.current.get(r.id) ?? 0) + r.weight;
      this.current.set(r.id, value);
      total += r.weight;
      if (best === undefined || value > (this.current.get(best.id) ?? 0)) best = r;
    }
    const chosen = best as ReplicaState;
    this.current.set(chosen.id, (this.current.get(chosen.id) ?? 0) - total);
    return chosen;
  }
}

/** The replica with the fewest requests in flight; ties go round-robin so equal replicas share the load. */
export class LeastLoaded implements Balancer {
  private next = 0;
  pick(replicas: readonly ReplicaState[], exclude?: ReplicaState): ReplicaState {
    const pool = candidates(replicas, exclude);
    const start = this.next++ % pool.length;
    let best = pool[start] as ReplicaState;
    for (let i = 1; i < pool.length; i++) {
      const r = pool[(start + i) % pool.length] as ReplicaState;
      if (r.inFlight < best.inFlight) best = r;
    }
    return best;
  }
}

/**
 * Power of two choices over peak-EWMA cost (Mitzenmacher 2001; Finagle, Linkerd): two distinct
 * replicas drawn at random, the cheaper one wins. Random pairs keep a herd of gateways from all
 * piling onto the one replica that looks best.
 */
export class P2cPeakEwma implements Balancer {
  constructor(private readonly random: () => number = Math.random) {}
  pick(replicas: readonly ReplicaState[], exclude?: ReplicaState): ReplicaState {
    const pool = candidates(replicas, exclude);
    if (pool.length === 1) return pool[0] as ReplicaState;
    const i = Math.floor(this.random() * pool.length) % pool.length;
    let j = Math.floor(this.random() * (pool.length - 1)) % (pool.length - 1);
    if (j >= i) j++;
    const a = pool[i] as ReplicaState;
    const b = pool[j] as ReplicaState;
    return b.cost < a.cost ? b : a;
  }
}

export function createBalancer(kind: BalancerKind, random: () => number = Math.random): Balancer {
  switch (kind) {
    case 'round-robin':
      return new RoundRobin();
    case 'weighted':
      return new WeightedRoundRobin();
    case 'least-loaded':
      return new LeastLoaded();
    case 'p2c-ewma':
      return new P2cPeakEwma(random);
  }
}

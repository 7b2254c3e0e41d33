/**
 * The shop's service level objectives, judged over the business requests (checkout, catalog,
 * stock) of a sliding window. /health answers 503 when one is broken.
 */
export interface ServiceLevelObjectives {
  /** 95th percentile of request latency, in ms. */
  p95LatencyMs: number;
  /** Share of requests answered 5xx. */
  maxErrorRate: number;
  windowMs: number;
  /** Below this many requests in the window the objectives are not judged (too few to tell). */
  minRequests: number;
}

export const DEFAULT_SLO: ServiceLevelObjectives = { p95LatencyMs: 500, maxErrorRate: 0.05, windowMs: 10_000, minRequests: 10 };

export interface SloSnapshot {
  requests: number;
  errors: number;
  errorRate: number;
  p95Ms: number;
  inFlight: number;
}

/**
 * Recent request outcomes. A request still running counts in the latency percentile with its age
 * so far: a dependency that hangs shows at once instead of only once its calls finish.
 */
export class SloWindow {
  private readonly done: Array<{ at: number; ms: number; error: boolean }> = [];
  private readonly running = new Map<number, number>();
  private nextId = 1;

  constructor(
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  begin(): (error: boolean) => void {
    const id = this.nextId++;
    const started = this.now();
    this.running.set(id, started);
    return (error) => {
      if (!this.running.delete(id)) return;
      const at = this.now();
      this.done.push({ at, ms: at - started, error });
    };
  }

  snapshot(): SloSnapshot {
    const now = this.now();
    while (this.done.length > 0 && (this.done[0]?.at ?? now) < now - this.windowMs) this.done.shift();
    const latencies = this.done.map((d) => d.ms);
    for (const started of this.running.values()) latencies.push(now - started);
    latencies.sort((a, b) => a - b);
    const errors = this.done.filter((d) => d.error).length;
    return {
      requests: this.done.length,
      errors,
      errorRate: this.done.length === 0 ? 0 : errors / this.done.length,
      p95Ms: percentile(latencies, 0.95),
      inFlight: this.running.size,
    };
  }
}

/** Nearest-rank percentile of sorted values; 0 when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

/**
 * The service call graph, learned from spans: an edge caller → callee whenever a span's parent
 * belongs to another service (or a client span names its peer). Bounded: the span→service map
 * is an LRU of recent spans, edges are capped.
 */
export interface Edge {
  from: string;
  to: string;
  calls: number;
  errors: number;
  lastSeenMs: number;
}

export class CallGraph {
  private readonly spanService = new Map<string, string>();
  private readonly edges = new Map<string, Edge>();

  constructor(
    private readonly maxSpans = 200_000,
    private readonly maxEdges = 10_000,
  ) {}

  observe(
    service: string,
    span: {
      spanId: string;
      parentSpanId?: string | undefined;
      kind: string;
      attributes: Record<string, unknown>;
      status: { code: string };
    },
    nowMs: number,
  ): void {
    this.spanService.set(span.spanId, service);
    if (this.spanService.size > this.maxSpans) this.spanService.delete(this.spanService.keys().next().value as string);
    const error = span.status.code === 'error';
    const parentService = span.parentSpanId ? this.spanService.get(span.parentSpanId) : undefined;
    if (parentService && parentService !== service) this.link(parentService, service, error, nowMs);
    const peer = span.attributes['peer.service'];
    if ((span.kind === 'client' || span.kind === 'producer') && typeof peer === 'string' && peer !== service)
      this.link(service, peer, error, nowMs);
  }

  /**
   * A graph given rather than learned (e.g. a system's documented call graph): one edge per
   * caller → callee pair, without the cap on edges.
   */
  static fromEdges(edges: Iterable<readonly [from: string, to: string]>): CallGraph {
    const list = [...edges];
    const graph = new CallGraph(0, Math.max(list.length, 1));
    for (const [from, to] of list) if (from !== to) graph.link(from, to, false, 0);
    return graph;
  }

  private link(from: string, to: string, error: boolean, nowMs: number): void {
    const key = `${from}\u0000${to}`;
    const edge = this.edges.get(key) ?? { from, to, calls: 0, errors: 0, lastSeenMs: nowMs };
    edge.calls++;
    if (error) edge.errors++;
    edge.lastSeenMs = nowMs;
    this.edges.delete(key);
    this.edges.set(key, edge);
    if (this.edges.size > this.maxEdges) this.edges.delete(this.edges.keys().next().value as string);
  }

  callees(service: string): string[] {
    return [...this.edges.values()].filter((e) => e.from === service).map((e) => e.to);
  }

  callers(service: string): string[] {
    return [...this.edges.values()].filter((e) => e.to === service).map((e) => e.from);
  }

  /** Services reachable downstream of `service` (its dependencies, transitively), itself excluded. */
  downstream(service: string): string[] {
    const seen = new Set<string>([service]);
    const queue = [service];
    for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
      for (const next of this.callees(current)) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    seen.delete(service);
    return [...seen];
  }

  allEdges(): Edge[] {
    return [...this.edges.values()].map((e) => ({ ...e }));
  }
}

import { parseLoopSpec, type LoopSpec } from '@homeostat/contracts';
import { loopFor, matchSignals, watchesSpan } from './loop-matcher';
import { DERIVED } from './series';

function loop(signals: string): LoopSpec {
  const parsed = parseLoopSpec(`apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: bounded, version: 1 }
spec:
  target: { service: shop }
  signals:
${signals}
  actions:
    - { name: restart, adapter: http, params: { method: POST, url: "http://127.0.0.1:1/restart" }, risk: low }
  guardrails:
    budget: { maxActions: 3, window: 10m }
    cooldown: 1m
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: 3, pauseFor: 10m }
    approval: { aboveRisk: high }
    dryRun: false
  verification:
    healthCheck: { url: "http://127.0.0.1:1/health" }
    deadline: 30s
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

const series = (name: string, value: number, labels: Record<string, string> = {}) => ({ name, labels, value });

describe("the loop's fixed bounds on its signals", () => {
  const target = loopFor('shop', [
    loop(`    - { kind: metric, name: http.server.request.duration, threshold: 0.5 }
    - { kind: metric, name: db.client.connection.count }
    - { kind: span, name: "*", latencyThresholdMs: 500 }`),
  ]);

  it("given a metric threshold, counts the metric's mean and p95 only at or past it", () => {
    expect(matchSignals(target, series('http.server.request.duration.p95', 0.043))).toBe('inside-bounds');
    expect(matchSignals(target, series('http.server.request.duration.p95', 0.5))).toBe('past-bounds');
    expect(matchSignals(target, series('http.server.request.duration.mean', 2.1))).toBe('past-bounds');
    expect(matchSignals(target, series('http.server.request.duration', 0.2))).toBe('inside-bounds');
  });

  it("does not bound what the threshold is not about: the metric's rate, metrics without one", () => {
    expect(matchSignals(target, series('http.server.request.duration.rate', 3))).toBe('past-bounds');
    expect(matchSignals(target, series('db.client.connection.count', 1))).toBe('past-bounds');
  });

  it('given a span latency bound, counts the span latency only past it, and leaves rate and errors alone', () => {
    expect(matchSignals(target, series(DERIVED.latencyP95, 68, { route: 'GET /stock' }))).toBe('inside-bounds');
    expect(matchSignals(target, series(DERIVED.latencyP95, 2100, { route: 'GET /stock' }))).toBe('past-bounds');
    expect(matchSignals(target, series(DERIVED.requestRate, 1, { route: 'GET /stock' }))).toBe('past-bounds');
  });

  it('lets a series through when another signal that watches it has no bound', () => {
    const both = loopFor('shop', [
      loop(`    - { kind: span, name: "*", latencyThresholdMs: 500 }
    - { kind: span, name: "GET /stock" }`),
    ]);
    expect(matchSignals(both, series(DERIVED.latencyP95, 68, { route: 'GET /stock' }))).toBe('past-bounds');
    expect(matchSignals(both, series(DERIVED.latencyP95, 68, { route: 'GET /catalog' }))).toBe('inside-bounds');
  });

  it('bounds nothing for a target without a loop', () => {
    expect(matchSignals(loopFor('other', []), series(DERIVED.latencyP95, 1))).toBe('past-bounds');
  });

  it('tells unwatched series from watched ones inside or past the bounds', () => {
    const both = loopFor('shop', [
      loop(`    - { kind: span, name: "*", latencyThresholdMs: 500 }
    - { kind: metric, name: db.client.connection.count }`),
    ]);
    expect(matchSignals(both, series(DERIVED.latencyP95, 68, { route: 'GET /stock' }))).toBe('inside-bounds');
    expect(matchSignals(both, series(DERIVED.latencyP95, 900, { route: 'GET /stock' }))).toBe('past-bounds');
    expect(matchSignals(both, series('db.client.connection.count', 3))).toBe('past-bounds');
    expect(matchSignals(both, series('process.cpu.time', 3))).toBe('unwatched');
    expect(matchSignals(loopFor('other', []), series('process.cpu.time', 3))).toBe('past-bounds');
  });
});

describe('routes a span signal ignores', () => {
  const target = loopFor('shop', [
    loop(`    - { kind: span, name: "*", errorsOnly: true, ignoreRoutes: ["GET /health", "* /actuator/*"] }`),
  ]);

  it("are neither series nor failing-span evidence: health probes and actuator calls are the loop's own doing", () => {
    expect(matchSignals(target, series(DERIVED.errorRate, 1, { route: 'GET /health' }))).toBe('unwatched');
    expect(matchSignals(target, series(DERIVED.errorRate, 1, { route: 'POST /actuator/pool/recycle' }))).toBe('unwatched');
    expect(watchesSpan(target, 'GET /health')).toBe(false);
    expect(watchesSpan(target, 'PUT /actuator/config')).toBe(false);
  });

  it('leave every other route watched', () => {
    expect(matchSignals(target, series(DERIVED.errorRate, 1, { route: 'GET /checkout' }))).toBe('past-bounds');
    expect(matchSignals(target, series(DERIVED.errorRate, 1, { route: 'GET /healthz' }))).toBe('past-bounds');
    expect(watchesSpan(target, 'GET /checkout')).toBe(true);
  });

  it('take failing spans only where some span signal watches', () => {
    const none = loopFor('shop', [loop(`    - { kind: metric, name: db.client.connection.count }`)]);
    expect(watchesSpan(none, 'GET /checkout')).toBe(false);
    expect(watchesSpan(loopFor('other', []), 'GET /health')).toBe(true);
  });
});

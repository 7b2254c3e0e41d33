import { LeastLoaded, P2cPeakEwma, ReplicaState, RoundRobin, WeightedRoundRobin, createBalancer } from './balancers';

/** mulberry32: a small seeded generator, so the draws are the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let now = 0;
const clock = () => now;
const replicas = (n: number, weights: number[] = []) =>
  Array.from({ length: n }, (_, i) => new ReplicaState(`r${i + 1}`, `http://r${i + 1}`, weights[i] ?? 1, 10_000, clock));
const counts = (picked: ReplicaState[]) => picked.reduce<Record<string, number>>((m, r) => ({ ...m, [r.id]: (m[r.id] ?? 0) + 1 }), {});

describe('balancers', () => {
  beforeEach(() => (now = 0));

  it('round-robin cycles, and skips the replica a retry failed on', () => {
    const rs = replicas(3);
    const rr = new RoundRobin();
    expect(Array.from({ length: 6 }, () => rr.pick(rs).id)).toEqual(['r1', 'r2', 'r3', 'r1', 'r2', 'r3']);
    for (let i = 0; i < 10; i++) expect(rr.pick(rs, rs[1]).id).not.toBe('r2');
  });

  it('smooth weighted round-robin interleaves by weight (nginx)', () => {
    const rs = replicas(3, [5, 1, 1]);
    const w = new WeightedRoundRobin();
    expect(Array.from({ length: 7 }, () => w.pick(rs).id)).toEqual(['r1', 'r1', 'r2', 'r1', 'r3', 'r1', 'r1']);
  });

  it('least-loaded picks the replica with the fewest requests in flight', () => {
    const rs = replicas(3);
    rs[0]!.inFlight = 4;
    rs[1]!.inFlight = 1;
    rs[2]!.inFlight = 3;
    expect(new LeastLoaded().pick(rs).id).toBe('r2');
  });

  it('peak-EWMA takes a slower observation at once and decays toward faster ones', () => {
    const r = replicas(1)[0]!;
    r.observe(10);
    now += 100;
    r.observe(200);
    expect(r.latencyMs).toBeCloseTo(200, 5);
    now += 1_000;
    r.observe(10);
    expect(r.latencyMs).toBeGreaterThan(10);
    expect(r.latencyMs).toBeLessThan(200);
  });

  it('P2C over peak-EWMA sends nearly everything to the faster replicas and never two to one when idle', () => {
    const rs = replicas(3);
    rs[0]!.observe(10);
    rs[1]!.observe(12);
    rs[2]!.observe(120);
    const p2c = new P2cPeakEwma(seeded(7));
    const picks = counts(Array.from({ length: 1_000 }, () => p2c.pick(rs)));
    // Every pair holding the slow replica holds a fast one too, which wins.
    expect(picks['r3'] ?? 0).toBe(0);
    expect((picks['r1'] ?? 0) + (picks['r2'] ?? 0)).toBe(1_000);
  });

  it('P2C weighs load too: a fast replica with a queue loses to a slower idle one', () => {
    const rs = replicas(2);
    rs[0]!.observe(10);
    rs[1]!.observe(30);
    rs[0]!.inFlight = 5;
    const p2c = new P2cPeakEwma(seeded(1));
    expect(p2c.pick(rs).id).toBe('r2');
  });

  it('round-robin spreads evenly where P2C-EWMA follows latency (the difference the loop can measure)', () => {
    const rs = replicas(2);
    rs[0]!.observe(5);
    rs[1]!.observe(50);
    const rr = counts(Array.from({ length: 100 }, () => createBalancer('round-robin').pick(rs)));
    expect(Object.values(rr).length).toBe(1); // a fresh balancer each time: always its first
    const shared = createBalancer('round-robin');
    expect(counts(Array.from({ length: 100 }, () => shared.pick(rs)))).toEqual({ r1: 50, r2: 50 });
    const p2c = createBalancer('p2c-ewma', seeded(3));
    expect(counts(Array.from({ length: 100 }, () => p2c.pick(rs)))).toEqual({ r1: 100 });
  });
});

/**
 * The scenarios of `npm run bench:optimize`, pure and seeded: a rate per second, the requests'
 * paths (routes and keys), the faults put on upstream replicas and the phases, all as fractions
 * of the run so that a quick run is the same scenario compressed.
 *
 * Calibrated against the demo platform (examples/gateway/src/topology.ts) and the intent's SLOs so
 * that each fault really breaks an SLO for longer than the loop's windows (1 s buckets, 6 + 6 in
 * the bench): a replica slowed past the catalog's 250 ms p99, a dependency slowed past it for every
 * replica, and a pricing outage long enough for a baseline and a trial inside it. The fault
 * scenarios run longer (`scale`) than the rate-only ones, where nothing is there to tune.
 */

/** mulberry32: a seeded uniform [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws key ranks 0..n-1 with P(k) ∝ 1/(k+1)^s (s = 0: uniform). */
export function zipfSampler(n: number, s: number): (u: number) => number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`a key space needs n ≥ 1, got ${n}`);
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  const cdf = weights.map((w) => (sum += w / total));
  return (u) => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (u <= (cdf[mid] ?? 1)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

export interface Mix {
  catalog: number;
  pricing: number;
  ordersGet: number;
  ordersPost: number;
}

export interface KeySpace {
  n: number;
  /** Zipf exponent; 0 for uniform keys. */
  s: number;
}

/** A fault put on replicas at a point of the run (`body` null: healed with DELETE /faults). */
export interface FaultEvent {
  at: number;
  upstream: string;
  /** Replica index in topology order; undefined: all of them. */
  replica?: number;
  body: Record<string, unknown> | null;
}

export interface Scenario {
  name: string;
  description: string;
  /** Requests/s at fraction x ∈ [0, 1) of the run. */
  rate(x: number): number;
  /** The key space at fraction x. */
  keys(x: number): KeySpace;
  mix: Mix;
  faults: FaultEvent[];
  /** [name, from] fractions, ascending from 0; a phase ends where the next begins. */
  phases: [string, number][];
  /** The run's length relative to --duration: longer where the loop needs time to detect, try and judge. */
  scale: number;
}

export const MIX: Mix = { catalog: 0.6, pricing: 0.3, ordersGet: 0.05, ordersPost: 0.05 };
const WIDE: KeySpace = { n: 100_000, s: 0 };

export function scenarios(baseRps: number): Scenario[] {
  const step = (x: number): boolean => (x >= 0.25 && x < 0.5) || x >= 0.75;
  return [
    {
      name: 'step-3x',
      description: `${baseRps} req/s, 3× from 1/4 to 1/2, back, 3× again from 3/4 (the regime returns)`,
      rate: (x) => baseRps * (step(x) ? 3 : 1),
      keys: () => WIDE,
      mix: MIX,
      faults: [],
      phases: [
        ['base', 0],
        ['3x', 0.25],
        ['base', 0.5],
        ['3x', 0.75],
      ],
      scale: 0.8,
    },
    {
      name: 'sine',
      description: `a day: ${Math.round(baseRps * 0.4)} req/s at night to ${baseRps * 2} at noon and back`,
      rate: (x) => baseRps * (0.4 + 1.6 * Math.sin(Math.PI * x) ** 2),
      keys: () => WIDE,
      mix: MIX,
      faults: [],
      phases: [
        ['morning', 0],
        ['noon', 1 / 3],
        ['evening', 2 / 3],
      ],
      scale: 0.8,
    },
    {
      // +400 ms takes a catalog replica past the route's 250 ms p99: round-robin sends it a third of
      // the reads, a latency-aware balancer still probes it as its estimate decays. The replica heals
      // and turns slow again: the same regime twice, with a calm between them long enough for what
      // was changed the first time to be judged and undone (~15 s with the bench's windows).
      name: 'slow-replica',
      description: `${baseRps * 2} req/s; catalog replica 1 of 3 +400 ms from 1/8 to 3/8 and again from 4/5`,
      rate: () => baseRps * 2,
      keys: () => WIDE,
      mix: MIX,
      faults: [
        { at: 0.125, upstream: 'catalog', replica: 0, body: { slowMs: 400 } },
        { at: 0.375, upstream: 'catalog', replica: 0, body: null },
        { at: 0.8, upstream: 'catalog', replica: 0, body: { slowMs: 400 } },
      ],
      phases: [
        ['healthy', 0],
        ['slow-replica', 0.125],
        ['healed', 0.375],
        ['slow-replica', 0.8],
      ],
      scale: 2,
    },
    {
      // +300 ms on inventory takes every catalog read past 250 ms, whatever the replica: no balancing
      // helps, a timeout turns slow answers into errors, and a retry into the slowness doubles its load.
      name: 'slow-dependency',
      description: `${baseRps * 1.5} req/s; inventory (every catalog read calls it) +300 ms from 1/4 to 3/4`,
      rate: () => baseRps * 1.5,
      keys: () => WIDE,
      mix: MIX,
      faults: [
        { at: 0.25, upstream: 'inventory', body: { slowMs: 300 } },
        { at: 0.75, upstream: 'inventory', body: null },
      ],
      phases: [
        ['healthy', 0],
        ['slow-dependency', 0.25],
        ['healthy', 0.75],
      ],
      scale: 1.6,
    },
    {
      // An outage of both pricing replicas (every attempt 503) longer than the loop needs to see it,
      // try a change and judge it (~20 s with the bench's windows): a retry cannot succeed, it only
      // multiplies the load on the upstream. No config makes it clean; what differs is the load.
      name: 'retry-storm',
      description: `${baseRps * 1.5} req/s; both pricing replicas answer 503 from 20 % to 80 % of the run`,
      rate: () => baseRps * 1.5,
      keys: () => WIDE,
      mix: MIX,
      faults: [
        { at: 0.2, upstream: 'pricing', body: { errorRatio: 1 } },
        { at: 0.8, upstream: 'pricing', body: null },
      ],
      phases: [
        ['healthy', 0],
        ['outage', 0.2],
        ['healthy', 0.8],
      ],
      scale: 2,
    },
    {
      name: 'hot-keys',
      description: `${baseRps * 2} req/s; uniform keys, then from 2/5 Zipf(1.1) over 1,000 keys`,
      rate: () => baseRps * 2,
      keys: (x) => (x < 0.4 ? WIDE : { n: 1_000, s: 1.1 }),
      mix: MIX,
      faults: [],
      phases: [
        ['uniform', 0],
        ['hot-keys', 0.4],
      ],
      // 20 s: the intent's cache needs no adapting to hot keys, and the returning slow replica needs
      // the time more within the bench's 15 minutes.
      scale: 1,
    },
  ];
}

/** A scenario's run length for a --duration of `durationS` (at least 12 s: phases of a few seconds each). */
export const runSeconds = (scenario: Scenario, durationS: number): number => Math.max(12, Math.round(durationS * scenario.scale));

/** The phases in whole seconds of a run of `durationS`. */
export function phasesOf(scenario: Scenario, durationS: number): { name: string; fromS: number; toS: number }[] {
  // A run too short for a phase to last a whole second leaves it out (the offline search's compressed runs).
  return scenario.phases
    .map(([name, from], i) => ({
      name,
      fromS: Math.round(from * durationS),
      toS: Math.round((scenario.phases[i + 1]?.[1] ?? 1) * durationS),
    }))
    .filter((p) => p.toS > p.fromS);
}

/** A request of the scenario: method and path. */
export interface Request {
  method: 'GET' | 'POST';
  path: string;
}

/**
 * The seeded request stream of a scenario: `next(x)` is the next request at fraction x. The same
 * seed gives the same requests in the same order, whichever contender answers them.
 */
export function requestStream(scenario: Scenario, seed: number): (x: number) => Request {
  const random = seededRandom(seed);
  const samplers = new Map<string, (u: number) => number>();
  const { catalog, pricing, ordersGet } = scenario.mix;
  return (x) => {
    const ks = scenario.keys(x);
    const id = `${ks.n}/${ks.s}`;
    let sample = samplers.get(id);
    if (!sample) samplers.set(id, (sample = zipfSampler(ks.n, ks.s)));
    const u = random();
    const key = sample(random());
    if (u < catalog) return { method: 'GET', path: `/catalog/item-${key}` };
    if (u < catalog + pricing) return { method: 'GET', path: `/pricing/item-${key}` };
    if (u < catalog + pricing + ordersGet) return { method: 'GET', path: `/orders/order-${key}` };
    return { method: 'POST', path: '/orders' };
  };
}

/** Requests due by `elapsedS` of a run of `durationS` (the integral of the rate, in steps of 100 ms). */
export function requestsDue(scenario: Scenario, elapsedS: number, durationS: number): number {
  let due = 0;
  const end = Math.min(elapsedS, durationS);
  // Integer steps and the midpoint rule: no float drift across a step of the rate.
  for (let i = 0; i * 0.1 < end; i++) {
    const width = Math.min(0.1, end - i * 0.1);
    due += scenario.rate((i * 0.1 + width / 2) / durationS) * width;
  }
  return Math.floor(due);
}

/**
 * Anomaly-free synthetic series unlike the NAB subset's (long, heavy-tailed, bursty, count-valued,
 * slowly wandering), to see how often a detector alarms where nothing happens at a threshold
 * chosen on NAB: every alarm on them is a false positive. Deterministic (seeded).
 */
export interface StressSeries {
  readonly name: string;
  readonly values: Float64Array;
}

function rng(seed: number): { u: () => number; n: () => number } {
  let s = seed >>> 0;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return { u, n: () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) };
}

function poisson(mean: number, u: () => number): number {
  const l = Math.exp(-mean);
  let k = 0;
  let p = u();
  while (p > l) {
    k++;
    p *= u();
  }
  return k;
}

export function stressSeries(points = 10_000): StressSeries[] {
  const make = (name: string, seed: number, f: (i: number, r: ReturnType<typeof rng>, prev: number) => number): StressSeries => {
    const r = rng(seed);
    const values = new Float64Array(points);
    let prev = 0;
    for (let i = 0; i < points; i++) prev = values[i] = f(i, r, prev);
    return { name, values };
  };
  const day = (i: number): number => Math.sin((2 * Math.PI * i) / 288);
  return [
    make('poisson counts, daily cycle', 1, (i, r) => poisson(4 * (1.2 + day(i)), r.u)),
    make('log-normal noise', 2, (_, r) => Math.exp(r.n())),
    make('sparse bursts', 3, (_, r) => (r.u() < 0.02 ? -Math.log(r.u()) * 10 : 0)),
    make('AR(1) wander, phi 0.98', 4, (_, r, prev) => 0.98 * prev + r.n()),
    make('gaussian, daily and weekly cycles', 5, (i, r) => 50 + 20 * day(i) * (1 + 0.3 * Math.sin((2 * Math.PI * i) / 2016)) + 3 * r.n()),
    make('small integers', 6, (_, r) => Math.floor(4 * r.u())),
  ];
}

import { FingerprintCatalog, fingerprintPart, incidentFingerprint, type FingerprintSignal } from './fingerprint';

const s = (name: string, labels: Record<string, string> = {}, kind: 'series' | 'log' = 'series'): FingerprintSignal => ({
  kind,
  name,
  labels,
  direction: 'up',
});

// What the shop's failures show (generic latency on every one; each its own specific signals).
const generic = [
  s('http.server.request.duration.p95'),
  s('http.server.request.duration.mean'),
  s('span.duration.p95', { route: 'GET /checkout' }),
];
const poolLeak = [
  ...generic,
  s('db.client.connection.count', { 'db.client.connection.state': 'used' }),
  s('db.client.connection.pending_requests'),
  s('log.template.rate', { template: 't-timeout' }, 'log'),
  s('span.error.ratio'),
];
const slowDependency = [
  ...generic,
  s('http.client.request.duration.p95', { 'peer.service': 'inventory' }),
  s('http.client.request.duration.mean', { 'peer.service': 'inventory' }),
];
const retryStorm = [
  s('span.error.ratio'),
  s('log.template.rate', { template: 't-failed-after' }, 'log'),
  s('http.client.request.duration.p95', { 'peer.service': 'inventory' }),
];

describe('FingerprintCatalog', () => {
  it("gives a recurrence the first occurrence's fingerprint when its early evidence differs a little", () => {
    const catalog = new FingerprintCatalog();
    const first = catalog.assign('shop', poolLeak);
    expect(first).toBe(incidentFingerprint('shop', poolLeak));
    // The pending-requests gauge had not crossed yet, and one latency series less.
    const later = poolLeak.filter(
      (x) => x.name !== 'db.client.connection.pending_requests' && x.name !== 'http.server.request.duration.mean',
    );
    expect(incidentFingerprint('shop', later)).not.toBe(first);
    expect(catalog.assign('shop', later)).toBe(first);
  });

  it('keeps different failures apart even when they share the generic signals', () => {
    const catalog = new FingerprintCatalog();
    const pool = catalog.assign('shop', poolLeak);
    const slow = catalog.assign('shop', slowDependency);
    const storm = catalog.assign('shop', retryStorm);
    expect(new Set([pool, slow, storm]).size).toBe(3);
    expect(catalog.assign('shop', slowDependency.slice(1))).toBe(slow);
    expect(catalog.assign('shop', [...poolLeak.slice(0, 2), ...poolLeak.slice(3)])).toBe(pool);
  });

  it('weighs what every kind shows less than what one kind shows', () => {
    const catalog = new FingerprintCatalog();
    catalog.assign('shop', poolLeak);
    catalog.assign('shop', slowDependency);
    const parts = (signals: FingerprintSignal[]): string[] => signals.map(fingerprintPart);
    // Two of the slow dependency's four parts each time: the generic two are farther from it than its own two.
    const genericHalf = parts(generic.slice(0, 2));
    const ownHalf = parts(slowDependency.filter((x) => x.name.startsWith('http.client')));
    expect(genericHalf.length).toBe(ownHalf.length);
    const slow = incidentFingerprint('shop', slowDependency);
    expect(catalog.similarity(genericHalf, slow)).toBeLessThan(catalog.similarity(ownHalf, slow) as number);
    expect(catalog.similarity(ownHalf, 'shop/unknown')).toBeUndefined();
  });

  it('keeps targets apart and survives a snapshot', () => {
    const catalog = new FingerprintCatalog();
    const pool = catalog.assign('shop', poolLeak);
    expect(catalog.assign('cart', poolLeak)).toBe(incidentFingerprint('cart', poolLeak));
    const restored = new FingerprintCatalog();
    restored.restore(JSON.parse(JSON.stringify(catalog.snapshot())));
    expect(restored.assign('shop', poolLeak.slice(1))).toBe(pool);
  });
});

describe("FingerprintCatalog on what the shop's pool leak really showed", () => {
  it('matches a leak first seen through its timeout counter to one first seen through its timeout log line', () => {
    const catalog = new FingerprintCatalog();
    const pool = { 'db.client.connection.pool.name': 'shop-db' };
    const byLog = [
      s('log.template.rate', { template: 't1e002119125f8a' }, 'log'),
      s('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' }),
      s('db.client.connection.pending_requests', pool),
      s('span.duration.p95'),
      s('span.error.ratio'),
    ];
    const first = catalog.assign('shop', byLog);
    catalog.assign('shop', [s('span.error.ratio')]); // bad config
    catalog.assign('shop', [s('log.template.rate', { template: 't16b6796710085f' }, 'log'), s('span.error.ratio')]); // retry storm
    const slow = catalog.assign('shop', [
      s('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' }),
      s('http.client.request.duration.p95', { 'peer.service': 'inventory' }),
      s('http.server.request.duration.p95'),
      s('span.duration.p95'),
    ]);
    const byCounter = [
      s('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' }),
      s('db.client.connection.pending_requests', pool),
      s('db.client.connection.timeouts.rate', pool),
      s('span.duration.p95'),
      s('span.error.ratio'),
    ];
    expect(catalog.assign('shop', byCounter)).toBe(first);
    expect(slow).not.toBe(first);
  });
});

// What the shop's faults really showed (the analyzer's log of learning runs): routes and instance
// labels as they were (the fingerprint leaves them out); the error shapes are what the shop's
// failed requests record (exception type and masked message).
const pool = { 'db.client.connection.pool.name': 'shop-db' };
const used = s('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' });
const pending = s('db.client.connection.pending_requests', pool);
const timeouts = s('db.client.connection.timeouts.rate', pool);
const errors = (...routes: string[]): FingerprintSignal[] => routes.map((route) => s('span.error.ratio', { route }));
const p95 = (route: string): FingerprintSignal => s('span.duration.p95', { route });
const timeoutLog = s('log.template.rate', { template: 't1e002119125f8a' }, 'log');
const failedAfterLog = s('log.template.rate', { template: 't16b6796710085f' }, 'log');
const client = { 'peer.service': 'inventory', 'url.template': '/items/{id}', 'http.response.status_code': '200' };
const slowCalls = [
  s('http.client.request.duration.mean', client),
  s('http.client.request.duration.p95', client),
  s('http.server.request.duration.mean', { 'http.route': '/catalog' }),
  s('http.server.request.duration.p95', { 'http.route': '/catalog' }),
];
const error = (shape: string): FingerprintSignal => ({ kind: 'error', name: shape, labels: {}, direction: 'up' });
const poolTimeout = error(
  'POOL_ACQUIRE_TIMEOUT: timeout acquiring connection after <*> ms (pool shop-db: <*> in use, <*> idle, <*> waiting, <*> leaked)',
);
const pricing = error('PRICING_FAILED: pricing v<*>: price rule returned NaN (config version <*>)');
const downstream = error('DOWNSTREAM_FAILED: inventory GET <*> failed after <*> attempt(s): HTTP <*>');

describe('FingerprintCatalog on the 16 incidents of a learning run (test/e2e/learning.scenario-spec.ts)', () => {
  // The opening evidence each incident had, in order.
  const run: [string, FingerprintSignal[]][] = [
    ['pool-leak', [used, pending, ...errors('GET /checkout'), p95('GET /checkout'), timeoutLog, poolTimeout]],
    ['bad-config', [...errors('GET /stock', 'GET /catalog', 'GET /checkout'), pricing]],
    ['pool-leak', [used, pending, ...errors('GET /checkout'), p95('GET /checkout'), timeoutLog, poolTimeout]],
    ['bad-config', [...errors('GET /catalog', 'GET /checkout', 'GET /stock'), pricing]],
    ['pool-leak', [used, pending, ...errors('GET /checkout'), p95('GET /checkout'), poolTimeout]],
    ['slow-dependency', [p95('GET /catalog'), ...slowCalls]],
    ['bad-config', [...errors('GET /stock', 'GET /catalog', 'GET /checkout'), pricing]],
    ['retry-storm', [...errors('GET /catalog', 'GET /stock'), failedAfterLog, downstream]],
    ['retry-storm', [...errors('GET /catalog', 'GET /stock'), used, failedAfterLog, downstream]],
    ['slow-dependency', [...slowCalls, p95('GET /catalog')]],
    ['slow-dependency', [...slowCalls, p95('GET /catalog')]],
    ['retry-storm', [...errors('GET /stock', 'GET /catalog'), failedAfterLog, downstream]],
    ['pool-leak', [used, pending, timeouts, ...errors('GET /checkout'), p95('GET /checkout'), poolTimeout]],
    ['bad-config', [...errors('GET /stock', 'GET /checkout', 'GET /catalog'), used, pricing]],
    ['retry-storm', [...errors('GET /stock', 'GET /catalog'), failedAfterLog, downstream]],
    ['slow-dependency', [p95('GET /catalog'), ...slowCalls]],
  ];

  const kinds = (catalog: FingerprintCatalog, incidents: [string, FingerprintSignal[]][]): Map<string, Set<string>> => {
    const out = new Map<string, Set<string>>();
    for (const [fault, signals] of incidents) out.set(fault, (out.get(fault) ?? new Set()).add(catalog.assign('shop', signals)));
    return out;
  };

  it('gives each fault one fingerprint, and different faults different ones', () => {
    const byFault = kinds(new FingerprintCatalog(), run);
    expect([...byFault].map(([fault, f]) => [fault, f.size])).toEqual([
      ['pool-leak', 1],
      ['bad-config', 1],
      ['slow-dependency', 1],
      ['retry-storm', 1],
    ]);
    expect(new Set([...byFault.values()].flatMap((f) => [...f])).size).toBe(4);
  });

  it('without the error shapes, cannot tell the bad config from the retry storm (their errors are what differs)', () => {
    const withoutErrors = run.map(([fault, signals]): [string, FingerprintSignal[]] => [fault, signals.filter((x) => x.kind !== 'error')]);
    const byFault = kinds(new FingerprintCatalog(), withoutErrors);
    expect([...byFault.values()].map((f) => f.size)).toEqual([1, 1, 1, 1]);
    expect(byFault.get('retry-storm')).toEqual(byFault.get('bad-config'));
    expect(byFault.get('pool-leak')).not.toEqual(byFault.get('slow-dependency'));
  });

  it("keeps a bad config and a retry storm apart by their errors when the storm's log line is late", () => {
    const catalog = new FingerprintCatalog();
    const storm = catalog.assign('shop', [...errors('GET /catalog'), failedAfterLog, downstream]);
    const config = catalog.assign('shop', [...errors('GET /catalog'), pricing]);
    expect(config).not.toBe(storm);
    expect(catalog.assign('shop', [...errors('GET /stock'), downstream])).toBe(storm);
    // Without errors to tell them apart, a storm seen only through its error ratio is ambiguous
    // (with what it shares with each kind the same): it takes neither.
    expect(catalog.assign('shop', errors('GET /stock'))).not.toBe(storm);
  });

  it('calls the sparse openings that split kinds in CI ambiguous (gather longer), and no typical opening', () => {
    // The kinds as a learning run knows them by its second half (its first eight incidents).
    const catalog = new FingerprintCatalog();
    for (const [, signals] of run.slice(0, 8)) catalog.assign('shop', signals);
    const typical: FingerprintSignal[][] = [
      [used, pending, ...errors('GET /checkout'), p95('GET /checkout'), timeoutLog, poolTimeout],
      [used, pending, timeouts, ...errors('GET /checkout'), p95('GET /checkout'), poolTimeout],
      [...errors('GET /stock', 'GET /catalog', 'GET /checkout'), pricing],
      [p95('GET /catalog'), ...slowCalls],
      [p95('GET /catalog'), ...slowCalls, used],
      [...errors('GET /catalog', 'GET /stock'), failedAfterLog, downstream],
      [...errors('GET /catalog', 'GET /stock'), failedAfterLog],
    ];
    expect(typical.map((signals) => catalog.isAmbiguous('shop', signals))).toEqual(typical.map(() => false));
    // A pool leak caught on its timeout counter and pool gauge only (4 s into it, as a CI run
    // caught one: fingerprinted that early, it founds a kind of its own), and a bad config whose
    // opening had the error ratio and the pool gauge but not yet its error (as much like a pool
    // leak as like itself).
    expect(catalog.isAmbiguous('shop', [timeouts, used])).toBe(true);
    expect(catalog.isAmbiguous('shop', [...errors('GET /stock', 'GET /catalog', 'GET /checkout'), used])).toBe(true);
    // The error ratio alone, before the error's shape is in: what three kinds show.
    expect(catalog.isAmbiguous('shop', errors('GET /stock', 'GET /catalog', 'GET /checkout'))).toBe(true);
    // Once the rest of their evidence is in, they are not.
    expect(catalog.isAmbiguous('shop', [timeouts, used, pending, ...errors('GET /checkout'), timeoutLog])).toBe(false);
    expect(catalog.isAmbiguous('shop', [...errors('GET /stock', 'GET /catalog', 'GET /checkout'), used, pricing])).toBe(false);
    // Evidence like nothing known is new, not ambiguous.
    expect(
      catalog.isAmbiguous('shop', [
        s('kafka.consumer.lag', { 'messaging.system': 'kafka' }),
        s('log.template.rate', { template: 't-rebalance' }, 'log'),
      ]),
    ).toBe(false);
  });
});

describe('FingerprintCatalog profiles', () => {
  const a = s('a.only');
  const b = s('b.only');
  const shared = s('shared');

  it('learns a kind from its occurrences, so an untypical first one does not fix it', () => {
    const [u1, u2, rare] = [s('a.usual.1'), s('a.usual.2'), s('a.rare')];
    const fresh = new FingerprintCatalog();
    const first = fresh.assign('t', [a, u1, rare]);
    // Against the first occurrence alone, the usual evidence without `a` is a different kind.
    expect(new FingerprintCatalog().assign('t', [a, u1, rare])).toBe(first);
    const once = new FingerprintCatalog();
    once.assign('t', [a, u1, rare]);
    expect(once.assign('t', [u1, u2])).not.toBe(first);
    // Once the kind has been seen with u2 a few times, it is the same kind.
    for (let i = 0; i < 2; i++) expect(fresh.assign('t', [a, u1, u2])).toBe(first);
    expect(fresh.assign('t', [u1, u2])).toBe(first);
  });

  it('counts what only one side has at half (a weighted Dice index), and a part no kind has shown at the most', () => {
    const catalog = new FingerprintCatalog();
    const kind = catalog.assign('t', [a, s('x'), s('y'), s('z')]);
    const parts = (signals: FingerprintSignal[]): string[] => signals.map(fingerprintPart);
    // One kind known: its parts weigh log(1 + 2 / 1.5), a new part log(1 + 2 / 0.5).
    const known = Math.log(1 + 2 / 1.5);
    const unseen = Math.log(1 + 2 / 0.5);
    expect(catalog.similarity(parts([a]), kind)).toBeCloseTo(known / (known + (3 * known) / 2));
    expect(catalog.similarity(parts([a, s('x'), s('y'), s('z'), b]), kind)).toBeCloseTo((4 * known) / (4 * known + unseen / 2));
  });

  it('forgets the kind seen least recently when full', () => {
    const catalog = new FingerprintCatalog(0.5, 2);
    const first = catalog.assign('t', [a]);
    const second = catalog.assign('t', [b]);
    expect(catalog.assign('t', [a])).toBe(first); // a is now the more recent
    catalog.assign('t', [shared]);
    expect(catalog.snapshot().map((k) => k.fingerprint)).toEqual([first, incidentFingerprint('t', [shared])]);
    expect(catalog.snapshot().map((k) => k.fingerprint)).not.toContain(second);
  });

  it('restores a snapshot from before profiles were kept as a kind seen once', () => {
    const catalog = new FingerprintCatalog();
    catalog.restore([{ fingerprint: 't/old', parts: [a, shared].map(fingerprintPart) }]);
    expect(catalog.snapshot()).toEqual([
      {
        fingerprint: 't/old',
        parts: [a, shared].map(fingerprintPart),
        occurrences: 1,
        counts: { [fingerprintPart(a)]: 1, [fingerprintPart(shared)]: 1 },
      },
    ]);
    expect(catalog.assign('t', [a])).toBe('t/old');
    expect(catalog.snapshot()[0]).toMatchObject({ occurrences: 2, counts: { [fingerprintPart(a)]: 2, [fingerprintPart(shared)]: 1 } });
  });
});

describe("FingerprintCatalog replaying the openings the shop's faults had, in random orders", () => {
  // Every distinct opening each fault had in three learning runs (the analyzer's log), including
  // a pool leak caught before its errors, latency and log line and a retry storm whose failed
  // requests were not yet among the evidence.
  const openings: Record<string, FingerprintSignal[][]> = {
    'pool-leak': [
      [used, pending, ...errors('GET /checkout'), p95('GET /checkout'), timeoutLog, poolTimeout],
      [used, pending, timeouts, ...errors('GET /checkout'), p95('GET /checkout'), timeoutLog, poolTimeout],
      [used, pending, ...errors('GET /checkout'), p95('GET /checkout'), poolTimeout],
      [used, pending, timeouts, ...errors('GET /checkout'), p95('GET /checkout'), poolTimeout],
      [used, pending, poolTimeout],
    ],
    'bad-config': [[...errors('GET /stock', 'GET /catalog', 'GET /checkout'), pricing]],
    'slow-dependency': [
      [p95('GET /catalog'), ...slowCalls],
      [p95('GET /catalog'), ...slowCalls, used],
    ],
    'retry-storm': [
      [...errors('GET /catalog', 'GET /stock'), failedAfterLog, downstream],
      [...errors('GET /catalog', 'GET /stock'), failedAfterLog, used],
    ],
  };

  /** mulberry32: a small seeded generator, so the orders are the same on every run. */
  const generator = (seed: number) => (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  it('keeps each fault to one fingerprint and the four apart in at least 99 % of 500 orders of 4 × 4 incidents', () => {
    let split = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const random = generator(seed);
      const faults = Object.keys(openings).flatMap((f) => [f, f, f, f]);
      for (let i = faults.length - 1; i > 0; i--) {
        const k = Math.floor(random() * (i + 1));
        [faults[i], faults[k]] = [faults[k] as string, faults[i] as string];
      }
      const catalog = new FingerprintCatalog();
      const byFault = new Map<string, Set<string>>();
      for (const fault of faults) {
        const variants = openings[fault] as FingerprintSignal[][];
        const signals = variants[Math.floor(random() * variants.length)] as FingerprintSignal[];
        byFault.set(fault, (byFault.get(fault) ?? new Set()).add(catalog.assign('shop', signals)));
      }
      const all = new Set([...byFault.values()].flatMap((f) => [...f]));
      if ([...byFault.values()].some((f) => f.size > 1) || all.size !== 4) split++;
    }
    expect(split).toBeLessThanOrEqual(5);
  });
});

import { FingerprintCatalog, fingerprintPart, incidentFingerprint, type FingerprintSignal } from './fingerprint';

const s = (name: string, labels: Record<string, string> = {}, kind: 'series' | 'log' = 'series'): FingerprintSignal => ({ kind, name, labels, direction: 'up' });

// What the shop's failures show (generic latency on every one; each its own specific signals).
const generic = [s('http.server.request.duration.p95'), s('http.server.request.duration.mean'), s('span.duration.p95', { route: 'GET /checkout' })];
const poolLeak = [...generic, s('db.client.connection.count', { 'db.client.connection.state': 'used' }), s('db.client.connection.pending_requests'), s('log.template.rate', { template: 't-timeout' }, 'log'), s('span.error.ratio')];
const slowDependency = [...generic, s('http.client.request.duration.p95', { 'peer.service': 'inventory' }), s('http.client.request.duration.mean', { 'peer.service': 'inventory' })];
const retryStorm = [s('span.error.ratio'), s('log.template.rate', { template: 't-failed-after' }, 'log'), s('http.client.request.duration.p95', { 'peer.service': 'inventory' })];

describe('FingerprintCatalog', () => {
  it('gives a recurrence the first occurrence\'s fingerprint when its early evidence differs a little', () => {
    const catalog = new FingerprintCatalog();
    const first = catalog.assign('shop', poolLeak);
    expect(first).toBe(incidentFingerprint('shop', poolLeak));
    // The pending-requests gauge had not crossed yet, and one latency series less.
    const later = poolLeak.filter((x) => x.name !== 'db.client.connection.pending_requests' && x.name !== 'http.server.request.duration.mean');
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
    // Half the slow dependency's parts each time: the generic half is far from it, its own half is close.
    const genericHalf = parts(generic);
    const ownHalf = parts(slowDependency.filter((x) => x.name.startsWith('http.client')));
    expect(genericHalf.length).toBeGreaterThanOrEqual(ownHalf.length);
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
    const byLog = [s('log.template.rate', { template: 't1e002119125f8a' }, 'log'), s('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' }), s('db.client.connection.pending_requests', pool), s('span.duration.p95'), s('span.error.ratio')];
    const first = catalog.assign('shop', byLog);
    catalog.assign('shop', [s('span.error.ratio')]); // bad config
    catalog.assign('shop', [s('log.template.rate', { template: 't16b6796710085f' }, 'log'), s('span.error.ratio')]); // retry storm
    const slow = catalog.assign('shop', [s('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' }), s('http.client.request.duration.p95', { 'peer.service': 'inventory' }), s('http.server.request.duration.p95'), s('span.duration.p95')]);
    const byCounter = [s('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' }), s('db.client.connection.pending_requests', pool), s('db.client.connection.timeouts.rate', pool), s('span.duration.p95'), s('span.error.ratio')];
    expect(catalog.assign('shop', byCounter)).toBe(first);
    expect(slow).not.toBe(first);
  });
});

describe('FingerprintCatalog on the 16 incidents of a learning run (test/e2e/learning.int-spec.ts)', () => {
  // The opening evidence each incident really had, from the analyzer's log, in order; routes and
  // instance labels as they were (the fingerprint leaves them out). The error shapes are what the
  // shop's failed requests record (exception type and masked message).
  const pool = { 'db.client.connection.pool.name': 'shop-db' };
  const used = s('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' });
  const pending = s('db.client.connection.pending_requests', pool);
  const timeouts = s('db.client.connection.timeouts.rate', pool);
  const errors = (...routes: string[]): FingerprintSignal[] => routes.map((route) => s('span.error.ratio', { route }));
  const p95 = (route: string): FingerprintSignal => s('span.duration.p95', { route });
  const timeoutLog = s('log.template.rate', { template: 't1e002119125f8a' }, 'log');
  const failedAfterLog = s('log.template.rate', { template: 't16b6796710085f' }, 'log');
  const client = { 'peer.service': 'inventory', 'url.template': '/items/{id}', 'http.response.status_code': '200' };
  const slowCalls = [s('http.client.request.duration.mean', client), s('http.client.request.duration.p95', client), s('http.server.request.duration.mean', { 'http.route': '/catalog' }), s('http.server.request.duration.p95', { 'http.route': '/catalog' })];
  const error = (shape: string): FingerprintSignal => ({ kind: 'error', name: shape, labels: {}, direction: 'up' });
  const poolTimeout = error('POOL_ACQUIRE_TIMEOUT: timeout acquiring connection after <*> ms (pool shop-db: <*> in use, <*> idle, <*> waiting, <*> leaked)');
  const pricing = error('PRICING_FAILED: pricing v<*>: price rule returned NaN (config version <*>)');
  const downstream = error('DOWNSTREAM_FAILED: inventory GET <*> failed after <*> attempt(s): HTTP <*>');
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
    expect([...byFault].map(([fault, f]) => [fault, f.size])).toEqual([['pool-leak', 1], ['bad-config', 1], ['slow-dependency', 1], ['retry-storm', 1]]);
    expect(new Set([...byFault.values()].flatMap((f) => [...f])).size).toBe(4);
  });

  it('without the error shapes, splits the bad config that also filled the pool (what the run did)', () => {
    const withoutErrors = run.map(([fault, signals]): [string, FingerprintSignal[]] => [fault, signals.filter((x) => x.kind !== 'error')]);
    expect(kinds(new FingerprintCatalog(), withoutErrors).get('bad-config')?.size).toBe(2);
  });

  it('keeps a bad config and a retry storm apart by their errors when the storm\'s log line is late', () => {
    const catalog = new FingerprintCatalog();
    const storm = catalog.assign('shop', [...errors('GET /catalog'), failedAfterLog, downstream]);
    const config = catalog.assign('shop', [...errors('GET /catalog'), pricing]);
    expect(config).not.toBe(storm);
    expect(catalog.assign('shop', [...errors('GET /stock'), downstream])).toBe(storm);
    // Without errors to tell them apart, a storm seen only through its error ratio is ambiguous
    // (with what it shares with each kind the same): it takes neither.
    expect(catalog.assign('shop', errors('GET /stock'))).not.toBe(storm);
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

  it('counts what the incident lacks at half what it shows that the kind lacks', () => {
    const catalog = new FingerprintCatalog();
    const kind = catalog.assign('t', [a, s('x'), s('y'), s('z')]);
    const parts = (signals: FingerprintSignal[]): string[] => signals.map(fingerprintPart);
    // One of four parts shown: 1 / (1 + 0.5 × 3); four shown and one extra: 4 / (4 + 1).
    expect(catalog.similarity(parts([a]), kind)).toBeCloseTo(1 / 2.5);
    expect(catalog.similarity(parts([a, s('x'), s('y'), s('z'), b]), kind)).toBeCloseTo(4 / 5);
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
    expect(catalog.snapshot()).toEqual([{ fingerprint: 't/old', parts: [a, shared].map(fingerprintPart), occurrences: 1, counts: { [fingerprintPart(a)]: 1, [fingerprintPart(shared)]: 1 } }]);
    expect(catalog.assign('t', [a])).toBe('t/old');
    expect(catalog.snapshot()[0]).toMatchObject({ occurrences: 2, counts: { [fingerprintPart(a)]: 2, [fingerprintPart(shared)]: 1 } });
  });
});

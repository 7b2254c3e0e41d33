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
    expect(catalog.similarity(genericHalf, parts(slowDependency))).toBeLessThan(catalog.similarity(ownHalf, parts(slowDependency)));
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

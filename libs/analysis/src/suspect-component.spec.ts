import { onsetSignals, suspectComponents, type ComponentEvidenceInput, type TargetChange } from './suspect-component';

/*
 * The evidence the shop's four faults opened their incidents with in a learning run (the analyzer's
 * "opened incident … evidence: …" lines), signal for signal; scores as the detectors give them.
 */
const ONSET = 1_700_000_000_000;
type Signal = ComponentEvidenceInput['signals'][number];
const series = (name: string, labels: Record<string, string>, direction: 'up' | 'down' = 'up', score = 0.97): Signal => ({
  name,
  labels,
  score,
  direction,
  firstAnomalousMs: ONSET,
  observed: 1,
});
const log = (text: string, sample: string, score = 0.95): Signal => ({
  name: 'log.template.rate',
  labels: { template: 't1' },
  score,
  direction: 'up',
  firstAnomalousMs: ONSET,
  observed: 1.5,
  template: { id: 't1', text, sample, count: 12 },
});
const error = (shape: string) => ({ error: shape, statusMessage: 'HTTP 500' });
const client = {
  'http.request.method': 'GET',
  'peer.service': 'inventory',
  'server.address': '127.0.0.1',
  'server.port': '34483',
  'url.template': '/items/{id}',
  'http.response.status_code': '200',
};

const POOL_LEAK: Pick<ComponentEvidenceInput, 'signals' | 'failingSpans'> = {
  signals: [
    series('db.client.connection.count', { 'db.client.connection.pool.name': 'shop-db', 'db.client.connection.state': 'used' }),
    series('db.client.connection.pending_requests', { 'db.client.connection.pool.name': 'shop-db' }),
    series('span.error.ratio', { route: 'GET /checkout' }),
    series('span.duration.p95', { route: 'GET /checkout' }),
    log(
      'timeout acquiring connection after <*> ms (pool shop-db: <*> in use, <*> idle, <*> waiting, <*> leaked)',
      'timeout acquiring connection after 1000 ms (pool shop-db: 10/10 in use, 0 idle, 4 waiting, 10 leaked)',
    ),
  ],
  failingSpans: [
    error('POOL_ACQUIRE_TIMEOUT: timeout acquiring connection after <*> ms (pool shop-db: <*> in use, <*> idle, <*> waiting, <*> leaked)'),
  ],
};

const SLOW_DEPENDENCY: Pick<ComponentEvidenceInput, 'signals' | 'failingSpans'> = {
  signals: [
    series('span.duration.p95', { route: 'GET /catalog' }),
    series('http.client.request.duration.mean', client),
    series('http.client.request.duration.p95', client),
    series('http.server.request.duration.mean', {
      'http.request.method': 'GET',
      'http.response.status_code': '200',
      'http.route': '/catalog',
    }),
    series('http.server.request.duration.p95', {
      'http.request.method': 'GET',
      'http.response.status_code': '200',
      'http.route': '/catalog',
    }),
  ],
  failingSpans: [],
};

const RETRY_STORM: Pick<ComponentEvidenceInput, 'signals' | 'failingSpans'> = {
  signals: [
    series('span.error.ratio', { route: 'GET /catalog' }),
    series('span.error.ratio', { route: 'GET /stock' }),
    log('inventory GET <*>} failed after <*> attempt(s): HTTP <*>', 'inventory GET /items/{id} failed after 6 attempt(s): HTTP 503'),
  ],
  failingSpans: [error('DOWNSTREAM_FAILED: inventory GET <*>} failed after <*> attempt(s): HTTP <*>')],
};

const BAD_CONFIG: Pick<ComponentEvidenceInput, 'signals' | 'failingSpans'> = {
  signals: [
    series('span.error.ratio', { route: 'GET /stock' }),
    series('span.error.ratio', { route: 'GET /catalog' }),
    series('span.error.ratio', { route: 'GET /checkout' }),
  ],
  failingSpans: [error('PRICING_FAILED: pricing v<*>: price rule returned NaN (config version <*>)')],
};

/** The last config change: the fault's own (a release turning a feature on), or the loop's last fix. */
const change = (beforeOnsetMs: number, to = '7'): TargetChange => ({
  atMs: ONSET - beforeOnsetMs,
  key: 'shop.config.version',
  from: String(Number(to) - 1),
  to,
});

const components = (evidence: Pick<ComponentEvidenceInput, 'signals' | 'failingSpans'>, changes: TargetChange[] = []) =>
  suspectComponents({ ...evidence, dependencies: ['inventory'], changes, onsetSlackMs: 2_000 });

describe('suspectComponents', () => {
  it('given the pool leak: pool gauges and a connection-acquire timeout, then the db pool, and nothing downstream', () => {
    const found = components(POOL_LEAK);
    expect(found[0]).toMatchObject({ name: 'db-pool' });
    expect(found[0]!.score).toBeGreaterThan(0.95);
    expect(found.map((c) => c.name)).not.toContain('downstream');
  });

  it('given a pool leak that also slowed calls to inventory (a loaded run), then the db pool still comes first, far ahead', () => {
    const stock = { ...client, 'url.template': '/stock/{id}' };
    const found = components({
      ...POOL_LEAK,
      signals: [
        ...POOL_LEAK.signals,
        series('http.client.request.duration.mean', stock),
        series('http.client.request.duration.p95', stock),
      ],
    });
    expect(found[0]).toMatchObject({ name: 'db-pool' });
    expect(found.find((c) => c.name === 'downstream')!.score).toBeLessThan(0.4);
  });

  it('given the slow dependency: client latency towards inventory, then downstream inventory, without a retry policy', () => {
    const found = components(SLOW_DEPENDENCY);
    expect(found[0]).toMatchObject({ name: 'downstream', peer: 'inventory' });
    expect(found.map((c) => c.name)).toEqual(['downstream']);
    expect(found[0]!.reasons[0]).toMatch(/client metric http\.client\.request\.duration/);
  });

  it('given the retry storm: errors that name inventory and count attempts, then downstream inventory and the retry policy', () => {
    const found = components(RETRY_STORM);
    expect(found.slice(0, 2).map((c) => c.name)).toEqual(['downstream', 'retry-policy']);
    expect(found[0]).toMatchObject({ peer: 'inventory' });
    expect(found[0]!.reasons.join(' ')).toMatch(/names inventory, a service the target calls/);
    expect(found[1]!.score).toBeGreaterThan(0.9);
    expect(found.map((c) => c.name)).not.toContain('db-pool');
  });

  it('given the bad config: errors that blame a config version, then a config change, stronger when a change came just before', () => {
    const alone = components(BAD_CONFIG);
    expect(alone.map((c) => c.name)).toEqual(['config-change']);
    const afterChange = components(BAD_CONFIG, [change(5 * 60_000, '3'), change(1_500)]);
    expect(afterChange[0]).toMatchObject({ name: 'config-change' });
    expect(afterChange[0]!.score).toBeGreaterThan(alone[0]!.score);
    expect(afterChange[0]!.reasons.join(' ')).toMatch(/shop\.config\.version changed from 6 to 7 2 s before the onset/);
  });

  it('given a change of config just before failures that point elsewhere, then it stays behind the direct evidence', () => {
    // Back to back: the loop's own fix of the last incident (a cache, a retry policy) was a config change.
    for (const evidence of [POOL_LEAK, SLOW_DEPENDENCY, RETRY_STORM]) {
      const found = components(evidence, [change(10_000)]);
      expect(found[0]!.name).toBe(components(evidence)[0]!.name);
      const config = found.find((c) => c.name === 'config-change');
      expect(config?.score).toBeLessThan(0.2);
    }
  });

  it('weighs a change by how long before the onset it came, and ignores one after the onset or long before', () => {
    const score = (changes: TargetChange[]) => components({ signals: BAD_CONFIG.signals, failingSpans: [] }, changes)[0]?.score ?? 0;
    expect(score([change(30_000)])).toBeCloseTo(0.5);
    expect(score([change(5 * 60_000)])).toBeLessThan(0.5);
    expect(score([change(5 * 60_000)])).toBeGreaterThan(0);
    expect(score([change(20 * 60_000)])).toBe(0);
    // After the onset: the loop's own action during the incident, not its cause.
    expect(score([change(-30_000)])).toBe(0);
  });

  it('does not take a dependency it does not know for one, nor a name inside another word', () => {
    const found = suspectComponents({
      signals: [log('inventory-sync job failed', 'inventory-sync job failed')],
      failingSpans: [],
      dependencies: ['inventory'],
      changes: [],
      onsetSlackMs: 0,
    });
    expect(found.map((c) => c.name)).not.toContain('downstream');
  });

  it('names the process when the target went silent or its runtime metrics moved', () => {
    const found = suspectComponents({
      signals: [{ ...series('span.request.rate', { route: 'GET /checkout' }, 'down'), observed: 0 }, series('process.memory.usage', {})],
      failingSpans: [],
      dependencies: [],
      changes: [],
      onsetSlackMs: 0,
    });
    expect(found[0]).toMatchObject({ name: 'process' });
  });

  it('keeps the onset evidence: signals that appear after the incident opened are what the loop did, not what went wrong', () => {
    // A slow dependency, then the loop's recycle of the pool moved the pool gauges.
    const recycled = { ...series('db.client.connection.count', { 'db.client.connection.state': 'idle' }), firstAnomalousMs: ONSET + 9_000 };
    const signals = [...SLOW_DEPENDENCY.signals, recycled];
    const opening = onsetSignals(signals, ONSET + 4_000, 4_000);
    expect(opening).toHaveLength(SLOW_DEPENDENCY.signals.length);
    expect(components({ signals: opening, failingSpans: [] }).map((c) => c.name)).toEqual(['downstream']);
    expect(components({ signals, failingSpans: [] }).map((c) => c.name)).toContain('db-pool');
    // A relapse's evidence, all of it later than the opening, is its own onset.
    const relapse = SLOW_DEPENDENCY.signals.map((s) => ({ ...s, firstAnomalousMs: ONSET + 600_000 }));
    expect(onsetSignals(relapse, ONSET + 4_000, 4_000)).toHaveLength(relapse.length);
  });
});

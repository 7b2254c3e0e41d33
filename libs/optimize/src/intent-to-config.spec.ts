import { parseIntent, type Intent } from '@homeostat/contracts';
import { generateGatewayConfig } from './intent-to-config';

function intent(
  routes: string,
  upstreams = 'catalog:\n      replicas:\n        - url: http://127.0.0.1:4101\n        - url: http://127.0.0.1:4102',
): Intent {
  const text = `apiVersion: homeostat.dev/v1
kind: Intent
metadata:
  name: t
spec:
  upstreams:
    ${upstreams}
  routes:
${routes}`;
  const parsed = parseIntent(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.intent;
}

const route = (name: string, fields: string) =>
  `    ${name}:\n      upstream: catalog\n      slo: { p99: 200ms, errorRatio: 0.01 }\n${fields
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n`;

describe('intent → gateway config', () => {
  it('caches an idempotent GET route that may be stale, for TTL + stale-while-revalidate = maxStaleness', () => {
    const { config } = generateGatewayConfig(
      intent(route('catalog', 'path: /catalog\nmethods: [GET]\nidempotent: true\nmaxStaleness: 40s')),
    );
    expect(config.routes['catalog']?.cache).toEqual({ enabled: true, ttlMs: 30_000, staleWhileRevalidateMs: 10_000, maxEntries: 10_000 });
  });

  it('never caches nor retries a non-idempotent route, and caches no route that must be fresh', () => {
    const { config, reasons } = generateGatewayConfig(
      intent(
        route('orders', 'path: /orders\nmethods: [GET, POST]\nidempotent: false\nmaxStaleness: 0s') +
          route('prices', 'path: /prices\nmethods: [GET]\nidempotent: true\nmaxStaleness: 0s'),
      ),
    );
    expect(config.routes['orders']).toMatchObject({
      cache: { enabled: false },
      retry: { maxAttempts: 1, budgetRatio: null },
      timeoutMs: 400,
    });
    expect(config.routes['prices']).toMatchObject({ cache: { enabled: false }, retry: { maxAttempts: 2, budgetRatio: 0.2 } });
    expect(reasons.find((r) => r.path === 'routes.orders.retry')?.why).toMatch(/never retried/);
    expect(reasons.find((r) => r.path === 'routes.prices.cache')?.why).toMatch(/always be fresh/);
  });

  it('retries an idempotent route once, with backoff from its SLO and a 20 % budget', () => {
    const { config } = generateGatewayConfig(
      intent(route('catalog', 'path: /catalog\nmethods: [GET]\nidempotent: true\nmaxStaleness: 0s')),
    );
    expect(config.routes['catalog']).toMatchObject({
      // 2 × p99: not the p99, past which a retry misses the SLO anyway and the balancer stops learning.
      timeoutMs: 400,
      retry: { maxAttempts: 2, backoffMs: 20, maxBackoffMs: 100, budgetRatio: 0.2, minRetriesPerS: 1 },
    });
  });

  it("sizes each upstream's concurrency by Little's law from its routes' rates and SLOs, at least 8 per replica", () => {
    const busy = generateGatewayConfig(
      intent(route('catalog', 'path: /catalog\nmethods: [GET]\nidempotent: true\nmaxStaleness: 0s\nexpectedRps: 500')),
    );
    // 500/s × 0.2 s = 100 in flight, × 2 headroom.
    expect(busy.config.upstreams['catalog']).toMatchObject({
      concurrencyLimit: 200,
      queueLimit: 200,
      queueTimeoutMs: 200,
      connectionsPerReplica: 100,
    });
    const quiet = generateGatewayConfig(
      intent(route('catalog', 'path: /catalog\nmethods: [GET]\nidempotent: true\nmaxStaleness: 0s\nexpectedRps: 1')),
    );
    expect(quiet.config.upstreams['catalog']?.concurrencyLimit).toBe(16);
  });

  it('balances several replicas with P2C-EWMA, weighted ones by weight, a single one round-robin', () => {
    const r = route('catalog', 'path: /catalog\nmethods: [GET]\nidempotent: true\nmaxStaleness: 0s');
    expect(generateGatewayConfig(intent(r)).config.upstreams['catalog']?.balancer).toBe('p2c-ewma');
    const weighted = generateGatewayConfig(
      intent(r, 'catalog:\n      replicas:\n        - { url: "http://a:1", weight: 3 }\n        - { url: "http://b:1" }'),
    );
    expect(weighted.config.upstreams['catalog']).toMatchObject({
      balancer: 'weighted',
      replicas: [
        { url: 'http://a:1', weight: 3 },
        { url: 'http://b:1', weight: 1 },
      ],
    });
    expect(
      generateGatewayConfig(intent(r, 'catalog:\n      replicas:\n        - url: http://a:1')).config.upstreams['catalog']?.balancer,
    ).toBe('round-robin');
  });

  it('is pure: the same intent gives the same config', () => {
    const i = intent(route('catalog', 'path: /catalog\nmethods: [GET]\nidempotent: true\nmaxStaleness: 10s'));
    expect(generateGatewayConfig(i)).toEqual(generateGatewayConfig(i));
  });
});

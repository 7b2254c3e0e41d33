import { defaultConfig, DEMO_TOPOLOGY } from '../topology';
import { mergeConfigPatch, parseConfig } from './gateway-config.schema';

const urls = {
  catalog: ['http://127.0.0.1:4101', 'http://127.0.0.1:4102', 'http://127.0.0.1:4103'],
  pricing: ['http://127.0.0.1:4201', 'http://127.0.0.1:4202'],
  orders: ['http://127.0.0.1:4301'],
};
const base = defaultConfig(DEMO_TOPOLOGY, urls);

describe('gateway config', () => {
  it("accepts the demo topology's default config", () => {
    expect(parseConfig(base)).toMatchObject({ ok: true });
    expect(Object.keys(base.upstreams)).toEqual(['catalog', 'pricing', 'orders']);
  });

  it('merges a partial PUT key by key and replaces arrays', () => {
    const merged = mergeConfigPatch(base, {
      routes: { catalog: { cache: { enabled: true, ttlMs: 5_000 } } },
      upstreams: { orders: { replicas: [{ url: 'http://127.0.0.1:4302', weight: 2 }] } },
    });
    if (!merged.ok) throw new Error(merged.errors.join('\n'));
    expect(merged.value.routes['catalog']?.cache).toEqual({ ...base.routes['catalog']!.cache, enabled: true, ttlMs: 5_000 });
    expect(merged.value.routes['pricing']).toEqual(base.routes['pricing']);
    expect(merged.value.upstreams['orders']?.replicas).toEqual([{ url: 'http://127.0.0.1:4302', weight: 2 }]);
  });

  it('drains replicas of an upstream by URL, refusing one it does not have and draining them all', () => {
    const drained = mergeConfigPatch(base, { upstreams: { catalog: { drained: ['http://127.0.0.1:4101/'] } } });
    expect(drained).toMatchObject({ ok: true });
    expect(mergeConfigPatch(base, { upstreams: { catalog: { drained: ['http://127.0.0.1:4999'] } } })).toEqual({
      ok: false,
      errors: ['upstreams.catalog.drained.0: http://127.0.0.1:4999 is not a replica of catalog'],
    });
    expect(mergeConfigPatch(base, { upstreams: { orders: { drained: ['http://127.0.0.1:4301'] } } })).toEqual({
      ok: false,
      errors: ['upstreams.orders.drained: drains every replica: at least one must stay in balancing'],
    });
  });

  it('refuses to cache or retry a non-idempotent route, naming the field', () => {
    const result = mergeConfigPatch(base, { routes: { orders: { cache: { enabled: true }, retry: { maxAttempts: 2 } } } });
    expect(result).toEqual({
      ok: false,
      errors: [
        'routes.orders.cache.enabled: a non-idempotent route is never cached',
        'routes.orders.retry.maxAttempts: a non-idempotent route is never retried: must be 1',
      ],
    });
  });

  it('refuses unknown fields, unknown upstreams, reserved paths and out-of-range knobs', () => {
    const errors = (patch: unknown) => {
      const r = mergeConfigPatch(base, patch);
      return r.ok ? [] : r.errors;
    };
    expect(errors({ routes: { catalog: { cach: {} } } })).toEqual(['routes.catalog: unknown field(s) "cach"']);
    expect(errors({ routes: { catalog: { upstream: 'nope' } } })[0]).toMatch(/^routes\.catalog\.upstream: unknown upstream "nope"/);
    expect(errors({ routes: { catalog: { path: '/actuator/x' } } })[0]).toMatch(/^routes\.catalog\.path: .*overlaps/);
    expect(errors({ upstreams: { catalog: { concurrencyLimit: 0 } } })[0]).toMatch(/^upstreams\.catalog\.concurrencyLimit: /);
    expect(errors({ upstreams: { catalog: { balancer: 'random' } } })[0]).toMatch(/^upstreams\.catalog\.balancer: /);
    expect(errors({ routes: { catalog: { retry: { backoffMs: 500, maxBackoffMs: 100 } } } })).toEqual([
      'routes.catalog.retry.maxBackoffMs: must be at least backoffMs',
    ]);
    expect(errors([1])).toEqual(['(body): must be a JSON object such as {"routes":{"catalog":{"cache":{"enabled":true}}}}']);
  });

  it('selects an adaptive concurrency limit per upstream, refuses parameters the algorithm lacks, and merges back to fixed', () => {
    const adaptive = mergeConfigPatch(base, { upstreams: { catalog: { concurrency: { mode: 'gradient2', rttTolerance: 2 } } } });
    if (!adaptive.ok) throw new Error(adaptive.errors.join('\n'));
    // Parameters left out stay out: the algorithm takes its own published defaults (they differ between the two).
    expect(adaptive.value.upstreams['catalog']?.concurrency).toEqual({ mode: 'gradient2', rttTolerance: 2 });
    expect(base.upstreams['catalog']?.concurrency).toBeUndefined(); // absent: fixed, the default
    const back = mergeConfigPatch(adaptive.value, { upstreams: { catalog: { concurrency: { mode: 'fixed' } } } });
    expect(back.ok && back.value.upstreams['catalog']?.concurrency).toEqual({ mode: 'fixed', rttTolerance: 2 });
    const errors = (concurrency: unknown) => {
      const r = mergeConfigPatch(base, { upstreams: { catalog: { concurrency } } });
      return r.ok ? [] : r.errors;
    };
    expect(errors({ mode: 'vegas', probeMultiplier: 10, maxLimit: 300 })).toEqual([]);
    expect(errors({ mode: 'gradient2', minLimit: 50, maxLimit: 10 })).toEqual([
      'upstreams.catalog.concurrency.minLimit: must be at most maxLimit (10)',
    ]);
    expect(errors({ mode: 'gradient2', minLimit: 250 })).toEqual([
      'upstreams.catalog.concurrency.minLimit: must be at most maxLimit (200)',
    ]);
    expect(errors({ mode: 'vegas', rttTolerance: 2 })).toEqual([
      'upstreams.catalog.concurrency.rttTolerance: not a parameter of vegas (gradient2 only)',
    ]);
    expect(errors({ mode: 'gradient2', probeMultiplier: 2 })).toEqual([
      'upstreams.catalog.concurrency.probeMultiplier: not a parameter of gradient2 (vegas only)',
    ]);
    expect(errors({ mode: 'aimd' })[0]).toMatch(/^upstreams\.catalog\.concurrency\.mode: /);
    expect(errors({ mode: 'gradient2', rttTolerance: 0.5 })[0]).toMatch(/^upstreams\.catalog\.concurrency\.rttTolerance: /);
    expect(errors({ mode: 'gradient2', queueSize: 'log' })[0]).toMatch(/^upstreams\.catalog\.concurrency\.queueSize: /);
    expect(errors({ mode: 'gradient2', smoothing: 0 })[0]).toMatch(/^upstreams\.catalog\.concurrency\.smoothing: /);
  });
});

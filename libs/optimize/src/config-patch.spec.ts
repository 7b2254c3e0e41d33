import { changedPaths, isUnchangedConfig, liveConfigView, patchChanges, UNCHANGED_CONFIG_CHECK, unchangedBy } from './config-patch';

const live = {
  routes: {
    catalog: { cache: { enabled: true, ttlMs: 22_500, staleWhileRevalidateMs: 7_500 }, retry: { maxAttempts: 2, budgetRatio: 0.2 } },
  },
  upstreams: { catalog: { balancer: 'p2c-ewma', concurrencyLimit: 100, queueLimit: 100 } },
};

describe('a config patch against the live config', () => {
  it('changes nothing when every leaf it sets is already live, and something when one differs or is unknown', () => {
    expect(patchChanges(live, { upstreams: { catalog: { balancer: 'p2c-ewma' } } })).toBe(false);
    expect(patchChanges(live, { routes: { catalog: { cache: { enabled: true, ttlMs: 22_500, staleWhileRevalidateMs: 7_500 } } } })).toBe(
      false,
    );
    expect(patchChanges(live, { upstreams: { catalog: { balancer: 'round-robin' } } })).toBe(true);
    expect(patchChanges(live, { routes: { catalog: { cache: { enabled: true, ttlMs: 5_000 } } } })).toBe(true);
    // Not in the live view: a change, since it is not known to be none.
    expect(patchChanges(live, { upstreams: { pricing: { balancer: 'p2c-ewma' } } })).toBe(true);
    expect(patchChanges(live, { routes: { catalog: { retry: { budgetRatio: null } } } })).toBe(true);
    expect(changedPaths(live, { routes: { catalog: { cache: { enabled: true, ttlMs: 5_000 } } } })).toEqual(['routes.catalog.cache.ttlMs']);
  });

  it('builds the live view from the knobs the telemetry names, leaving out what it does not', () => {
    expect(liveConfigView('catalog', 'catalog', { balancer: 'p2c-ewma', cacheEnabled: false })).toEqual({
      routes: { catalog: { cache: { enabled: false }, retry: {} } },
      upstreams: { catalog: { balancer: 'p2c-ewma' } },
    });
  });

  it('reads the actuator’s answer: unchanged with its version, or undefined when the patch changes something or there is no config', () => {
    expect(unchangedBy({ version: 7, config: live }, { upstreams: { catalog: { balancer: 'p2c-ewma' } } })).toEqual({ version: 7 });
    expect(unchangedBy(live, { upstreams: { catalog: { concurrencyLimit: 100 } } })).toEqual({ version: null });
    expect(unchangedBy({ version: 7, config: live }, { upstreams: { catalog: { balancer: 'least-loaded' } } })).toBeUndefined();
    expect(unchangedBy('not json', { a: 1 })).toBeUndefined();
  });

  it('tells the executor’s unchanged-config skip from a dry run or a rejection', () => {
    const skipped = {
      status: 'skipped' as const,
      dryRun: false,
      verification: { passed: false, checks: [{ name: UNCHANGED_CONFIG_CHECK, passed: false }] },
    };
    expect(isUnchangedConfig(skipped)).toBe(true);
    expect(isUnchangedConfig({ ...skipped, dryRun: true })).toBe(false);
    expect(isUnchangedConfig({ ...skipped, verification: { passed: false, checks: [] } })).toBe(false);
  });
});

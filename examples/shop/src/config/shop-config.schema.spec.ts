import { applyConfigPatch, DEFAULT_CONFIG, parseConfig, parseConfigPatch } from './shop-config.schema';

describe('shop config', () => {
  it('accepts a partial patch and merges it over the live config', () => {
    const patch = parseConfigPatch({ retry: { maxAttempts: 2, budget: 0.1 } });
    expect(patch.ok).toBe(true);
    if (!patch.ok) return;
    const next = applyConfigPatch(DEFAULT_CONFIG, patch.value);
    expect(next.retry).toEqual({ maxAttempts: 2, backoffMs: 0, budget: 0.1 });
    expect(next.cache).toEqual(DEFAULT_CONFIG.cache);
    expect(parseConfig(next).ok).toBe(true);
  });

  it('names unknown fields, at the top and inside a section', () => {
    const result = parseConfigPatch({ cache: { enabled: true, size: 3 }, turbo: true });
    expect(result).toEqual({
      ok: false,
      errors: expect.arrayContaining(['(body): unknown field(s) "turbo"', 'cache: unknown field(s) "size"']),
    });
  });

  it('says which value is out of range or of the wrong type', () => {
    const result = parseConfigPatch({ retry: { maxAttempts: 0, budget: 'lots' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.some((e) => e.startsWith('retry.maxAttempts:'))).toBe(true);
    expect(result.errors.some((e) => e.startsWith('retry.budget:'))).toBe(true);
  });

  it('refuses a body that is not an object', () => {
    for (const body of [undefined, null, [], 'cache', 3]) {
      expect(parseConfigPatch(body)).toEqual({ ok: false, errors: [expect.stringContaining('must be a JSON object')] });
    }
  });

  it('starts naive: no cache, immediate retries without a budget', () => {
    expect(DEFAULT_CONFIG.cache.enabled).toBe(false);
    expect(DEFAULT_CONFIG.retry).toEqual({ maxAttempts: 6, backoffMs: 0, budget: null });
  });
});

import { backoffDelayMs, isRetryableStatus, RetryBudget } from './retry-policy';

describe('backoff', () => {
  it('doubles per retry, never sooner than the policy says, at most half again with jitter', () => {
    const policy = { maxAttempts: 5, backoffMs: 100, budget: null };
    expect(backoffDelayMs(policy, 1, () => 0)).toBe(100);
    expect(backoffDelayMs(policy, 1, () => 1)).toBe(150);
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(400);
    expect(backoffDelayMs({ ...policy, backoffMs: 4_000 }, 4, () => 0)).toBe(5_000);
  });

  it('retries at once when the policy has no backoff', () => {
    expect(backoffDelayMs({ maxAttempts: 6, backoffMs: 0, budget: null }, 3)).toBe(0);
  });

  it('retries 5xx and 429, not other 4xx', () => {
    expect([500, 502, 503, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 404, 409].some(isRetryableStatus)).toBe(false);
  });
});

describe('RetryBudget', () => {
  it('allows retries up to the ratio of calls in the window', () => {
    let now = 1_000_000;
    const budget = new RetryBudget(10, () => now);
    for (let i = 0; i < 50; i++) budget.recordCall();
    const granted = Array.from({ length: 20 }, () => budget.tryRetry(0.1)).filter(Boolean).length;
    expect(granted).toBe(5);
    now += 11_000;
    expect(budget.tryRetry(0.1)).toBe(false);
    for (let i = 0; i < 10; i++) budget.recordCall();
    expect(budget.tryRetry(0.1)).toBe(true);
    expect(budget.tryRetry(0.1)).toBe(false);
  });

  it('forgets calls and retries older than the window', () => {
    let now = 5_000_000;
    const budget = new RetryBudget(10, () => now);
    for (let i = 0; i < 10; i++) budget.recordCall();
    expect(budget.tryRetry(0.1)).toBe(true);
    now += 5_000;
    for (let i = 0; i < 10; i++) budget.recordCall();
    expect(budget.tryRetry(0.1)).toBe(true);
    expect(budget.tryRetry(0.1)).toBe(false);
    now += 6_000; // the first second's calls and retry left the window
    expect(budget.tryRetry(0.1)).toBe(false);
    budget.recordCall();
    expect(budget.tryRetry(0.15)).toBe(false);
  });

  it('without a budget, every retry is allowed', () => {
    const budget = new RetryBudget();
    expect(Array.from({ length: 100 }, () => budget.tryRetry(null)).every(Boolean)).toBe(true);
  });
});

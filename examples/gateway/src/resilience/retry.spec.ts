import { backoffMs, decideRetry, isRetryable, RetryBudget } from './retry';

const RETRY = { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 1_000, budgetRatio: 0.2, minRetriesPerS: 0 };

describe('retry policy', () => {
  it('retries only failures another attempt may fix', () => {
    expect(isRetryable({ kind: 'error', code: 'ECONNREFUSED' })).toBe(true);
    for (const status of [502, 503, 504]) expect(isRetryable({ kind: 'response', status })).toBe(true);
    for (const status of [200, 400, 404, 409, 500]) expect(isRetryable({ kind: 'response', status })).toBe(false);
  });

  it('never retries a non-idempotent route, whatever its retry config says', () => {
    const budget = new RetryBudget({ budgetRatio: null, minRetriesPerS: 0 });
    const decision = decideRetry({ idempotent: false, retry: { ...RETRY, maxAttempts: 5 } }, 1, { kind: 'response', status: 503 }, budget);
    expect(decision).toEqual({ retry: false, reason: 'not-idempotent' });
  });

  it('stops at maxAttempts', () => {
    const budget = new RetryBudget({ budgetRatio: null, minRetriesPerS: 0 });
    const route = { idempotent: true, retry: RETRY };
    expect(decideRetry(route, 2, { kind: 'response', status: 503 }, budget).retry).toBe(true);
    expect(decideRetry(route, 3, { kind: 'response', status: 503 }, budget)).toEqual({ retry: false, reason: 'attempts' });
  });

  it('backs off exponentially with full jitter under the cap', () => {
    expect(backoffMs(RETRY, 1, () => 0.999)).toBe(100);
    expect(backoffMs(RETRY, 3, () => 0.5)).toBe(200);
    expect(backoffMs(RETRY, 10, () => 1)).toBe(1_000);
    expect(backoffMs(RETRY, 2, () => 0)).toBe(0);
    expect(backoffMs({ backoffMs: 0, maxBackoffMs: 0 }, 4, () => 1)).toBe(0);
  });
});

describe('RetryBudget', () => {
  it('allows retries up to the ratio of requests over the last 10 s, then again as the window slides', () => {
    let now = 0;
    const budget = new RetryBudget({ budgetRatio: 0.2, minRetriesPerS: 0 }, () => now);
    for (let i = 0; i < 100; i++) budget.recordRequest();
    let granted = 0;
    for (let i = 0; i < 100; i++) if (budget.tryWithdraw()) granted++;
    expect(granted).toBe(20);
    now += 11_000;
    for (let i = 0; i < 10; i++) budget.recordRequest();
    granted = 0;
    for (let i = 0; i < 100; i++) if (budget.tryWithdraw()) granted++;
    expect(granted).toBe(2);
  });

  it('adds minRetriesPerS so a quiet route can still retry, and no budget means no limit', () => {
    const quiet = new RetryBudget({ budgetRatio: 0.1, minRetriesPerS: 0.5 }, () => 0);
    let granted = 0;
    for (let i = 0; i < 20; i++) if (quiet.tryWithdraw()) granted++;
    expect(granted).toBe(5);
    const unlimited = new RetryBudget({ budgetRatio: null, minRetriesPerS: 0 }, () => 0);
    for (let i = 0; i < 1_000; i++) expect(unlimited.tryWithdraw()).toBe(true);
  });

  it('a denied retry is reported as budget', () => {
    const budget = new RetryBudget({ budgetRatio: 0.2, minRetriesPerS: 0 }, () => 0);
    expect(decideRetry({ idempotent: true, retry: RETRY }, 1, { kind: 'response', status: 503 }, budget)).toEqual({
      retry: false,
      reason: 'budget',
    });
  });
});

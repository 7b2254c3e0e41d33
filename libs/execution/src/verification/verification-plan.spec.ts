import { planVerification } from './verification-plan';

const ctx = { decisionId: 'd', incidentId: 'i', target: 'shop', fingerprint: 'f', action: 'a', loop: 'l' };

describe('verification plan from the loop spec', () => {
  it('a health check with its templated URL and durations in ms', () => {
    const plan = planVerification(
      {
        healthCheck: { url: '${SHOP_URL:-http://localhost:3000}/health', expectStatus: 200, consecutive: 2, interval: '500ms' },
        deadline: '1m',
      },
      ctx,
      {},
    );
    expect(plan).toEqual({
      kind: 'health-check',
      deadlineMs: 60_000,
      healthCheck: { url: 'http://localhost:3000/health', expectStatus: 200, consecutive: 2, intervalMs: 500 },
    });
  });

  it('a metric next to a health check is noted as not evaluated', () => {
    const plan = planVerification(
      {
        healthCheck: { url: 'http://s/health', expectStatus: 200, consecutive: 1, interval: '1s' },
        metric: { name: 'latency', withinBaseline: true },
        deadline: '10s',
      },
      ctx,
      {},
    );
    expect(plan.kind === 'health-check' && plan.note).toContain('metric latency ignored');
  });

  it('a metric alone cannot be verified yet: the plan says so', () => {
    expect(planVerification({ metric: { name: 'latency', threshold: 1 }, deadline: '10s' }, ctx, {})).toEqual({
      kind: 'unsupported',
      deadlineMs: 10_000,
      detail: expect.stringContaining('metric verification is not supported'),
    });
  });
});

import type { PoolStats } from '../db/connection-pool';
import { evaluateHealth } from './health';
import { DEFAULT_SLO, type SloSnapshot } from './slo-window';

const pool: PoolStats = { name: 'shop-db', max: 10, min: 2, size: 4, used: 1, idle: 3, pending: 0, leaked: 0, leaking: false };
const slo: SloSnapshot = { requests: 200, errors: 2, errorRate: 0.01, p95Ms: 40, inFlight: 1 };
const codes = (input: Parameters<typeof evaluateHealth>[0]) => evaluateHealth(input).reasons.map((r) => r.code);

describe('evaluateHealth', () => {
  it('is ok within the objectives', () => {
    expect(evaluateHealth({ restarting: false, pool, slo, objectives: DEFAULT_SLO })).toMatchObject({ status: 'ok', reasons: [] });
  });

  it('names every objective that is broken', () => {
    const exhausted = { ...pool, used: 10, idle: 0, pending: 7, leaked: 10 };
    expect(codes({ restarting: false, pool: exhausted, slo, objectives: DEFAULT_SLO })).toEqual(['pool_exhausted']);
    expect(codes({ restarting: false, pool, slo: { ...slo, p95Ms: 2_000 }, objectives: DEFAULT_SLO })).toEqual(['latency_slo']);
    expect(codes({ restarting: false, pool, slo: { ...slo, errors: 40, errorRate: 0.2 }, objectives: DEFAULT_SLO })).toEqual([
      'error_rate_slo',
    ]);
    expect(evaluateHealth({ restarting: false, pool: exhausted, slo, objectives: DEFAULT_SLO }).reasons[0]?.message).toMatch(
      /10\/10 in use, 7 waiting/,
    );
  });

  it('does not judge the SLOs on too few requests', () => {
    expect(
      codes({ restarting: false, pool, slo: { requests: 3, errors: 3, errorRate: 1, p95Ms: 3_000, inFlight: 0 }, objectives: DEFAULT_SLO }),
    ).toEqual([]);
  });

  it('says restarting while the shop restarts', () => {
    expect(evaluateHealth({ restarting: true, pool: null, slo, objectives: DEFAULT_SLO })).toMatchObject({
      status: 'restarting',
      reasons: [{ code: 'restarting' }],
    });
  });
});

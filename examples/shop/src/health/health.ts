import type { PoolStats } from '../db/connection-pool';
import type { ServiceLevelObjectives, SloSnapshot } from './slo-window';

export type HealthReasonCode = 'restarting' | 'pool_exhausted' | 'latency_slo' | 'error_rate_slo';

export interface HealthReport {
  status: 'ok' | 'unhealthy' | 'restarting';
  reasons: Array<{ code: HealthReasonCode; message: string }>;
  slo: SloSnapshot & { objectives: ServiceLevelObjectives };
  pool: PoolStats | null;
}

export interface HealthInput {
  restarting: boolean;
  pool: PoolStats | null;
  slo: SloSnapshot;
  objectives: ServiceLevelObjectives;
}

export function evaluateHealth(input: HealthInput): HealthReport {
  const { pool, slo, objectives } = input;
  const reasons: HealthReport['reasons'] = [];
  if (input.restarting) reasons.push({ code: 'restarting', message: 'the shop is restarting' });
  if (pool && pool.used >= pool.max) {
    reasons.push({
      code: 'pool_exhausted',
      message: `connection pool ${pool.name} exhausted: ${pool.used}/${pool.max} in use, ${pool.pending} waiting, ${pool.leaked} never returned`,
    });
  }
  if (slo.requests + slo.inFlight >= objectives.minRequests) {
    if (slo.p95Ms > objectives.p95LatencyMs) {
      reasons.push({
        code: 'latency_slo',
        message: `p95 latency ${Math.round(slo.p95Ms)} ms over the ${objectives.p95LatencyMs} ms objective`,
      });
    }
    if (slo.requests >= objectives.minRequests && slo.errorRate > objectives.maxErrorRate) {
      reasons.push({
        code: 'error_rate_slo',
        message: `error rate ${(slo.errorRate * 100).toFixed(1)} % over the ${(objectives.maxErrorRate * 100).toFixed(1)} % objective (${slo.errors}/${slo.requests})`,
      });
    }
  }
  const status = input.restarting ? 'restarting' : reasons.length > 0 ? 'unhealthy' : 'ok';
  return { status, reasons, slo: { ...slo, objectives }, pool };
}

import { parseLoopSpec, type LoopSpec } from '@homeostat/contracts';
import { inverseOf, nextStep, statusAfterRollback } from './rollback';

const YAML = `
apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: shop-pool, version: 1.0.0 }
spec:
  target: { service: shop }
  signals: [{ kind: metric, name: x }]
  actions:
    - { name: recycle-pool, adapter: http, params: { method: POST, url: "http://s/recycle" }, risk: low }
    - name: raise-limit
      adapter: http
      params: { method: PUT, url: "http://s/config" }
      risk: medium
      timeoutSeconds: 7
      inverse: { adapter: http, params: { method: POST, url: "http://s/config/rollback" } }
    - { name: tune-cache, adapter: http, params: { method: PUT, url: "http://s/config" }, risk: low, inverse: rollback-config }
    - { name: rollback-config, adapter: webhook, params: { url: "http://s/config/rollback" }, risk: low, timeoutSeconds: 3 }
  guardrails:
    budget: { maxActions: 3, window: 10m }
    cooldown: 1m
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: 3 }
    approval: { aboveRisk: never }
    dryRun: false
  verification:
    healthCheck: { url: "http://s/health", consecutive: 1, interval: 1s }
    deadline: 10s
`;

function spec(): LoopSpec {
  const r = parseLoopSpec(YAML);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.spec;
}

describe('rollback', () => {
  it('finds a named inverse in the catalog, with its own params and timeout', () => {
    expect(inverseOf(spec(), 'tune-cache')).toEqual({
      call: { name: 'rollback-config', adapter: 'webhook', params: { url: 'http://s/config/rollback' } },
      timeoutSeconds: 3,
    });
  });

  it('turns an inline inverse into a call named after the action', () => {
    expect(inverseOf(spec(), 'raise-limit')).toEqual({
      call: { name: 'raise-limit-inverse', adapter: 'http', params: { method: 'POST', url: 'http://s/config/rollback' } },
      timeoutSeconds: 7,
    });
  });

  it('has nothing for an action without inverse or unknown to the loop', () => {
    expect(inverseOf(spec(), 'recycle-pool')).toBeUndefined();
    expect(inverseOf(spec(), 'nope')).toBeUndefined();
  });

  it('given an action the target did not accept, when deciding, then it fails and is not rolled back', () => {
    const inverse = inverseOf(spec(), 'tune-cache');
    expect(nextStep(false, false, inverse)).toEqual({ step: 'report', status: 'failed', code: 'ADAPTER_FAILED' });
  });

  it('given a verified action, then it succeeded', () => {
    expect(nextStep(true, true, inverseOf(spec(), 'tune-cache'))).toEqual({ step: 'report', status: 'succeeded' });
  });

  it('given a failed verification, then the inverse runs if there is one, else it failed', () => {
    const inverse = inverseOf(spec(), 'tune-cache')!;
    expect(nextStep(true, false, inverse)).toEqual({ step: 'rollback', inverse });
    expect(nextStep(true, false, undefined)).toEqual({ step: 'report', status: 'failed', code: 'VERIFICATION_FAILED' });
  });

  it('rolled-back only when the target accepted the inverse', () => {
    expect(statusAfterRollback(true)).toEqual({ status: 'rolled-back' });
    expect(statusAfterRollback(false)).toEqual({ status: 'failed', code: 'ROLLBACK_FAILED' });
  });
});

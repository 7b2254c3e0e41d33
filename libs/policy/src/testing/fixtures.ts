import { loopSpecSchema, type KnowledgeUpdated, type LoopSpec, type OutcomeRecorded } from '@homeostat/contracts';
import { evolve } from '../evolve';
import type { DecisionPlan } from '../plan';
import type { IncidentInput, PolicyEvent, PolicyState } from '../policy-state';
import { TestLearner } from './learner';

/** A shop loop with five actions, permissive guardrails unless a test tightens them. */
export function shopLoop(
  overrides: { guardrails?: Record<string, unknown>; autonomy?: Record<string, unknown>; actions?: unknown[] } = {},
): LoopSpec {
  return loopSpecSchema.parse({
    apiVersion: 'homeostat.dev/v1',
    kind: 'Loop',
    metadata: { name: 'shop-heal', version: '1.0.0' },
    spec: {
      target: { service: 'shop' },
      signals: [{ kind: 'metric', name: 'http.server.request.duration' }],
      autonomy: { start: 'auto', promoteAt: 0.8, minOutcomes: 3, demoteBelow: 0.5, ...overrides.autonomy },
      actions: overrides.actions ?? [
        { name: 'recycle-pool', adapter: 'http', params: { url: 'http://shop/actuator/pool/recycle' }, risk: 'low', cost: 1 },
        { name: 'raise-concurrency-limit', adapter: 'http', params: { url: 'http://shop/actuator/config' }, risk: 'medium', cost: 2 },
        { name: 'restart', adapter: 'http', params: { url: 'http://shop/actuator/restart' }, risk: 'high', cost: 5, timeoutSeconds: 60 },
        { name: 'rollback-config', adapter: 'http', params: { url: 'http://shop/actuator/config/rollback' }, risk: 'low' },
        { name: 'tune-cache', adapter: 'http', params: { url: 'http://shop/actuator/config' }, risk: 'medium', cost: 2 },
      ],
      guardrails: {
        budget: { maxActions: 1000, window: '1h', perTarget: true },
        cooldown: '0s',
        blastRadius: { maxConcurrent: 1 },
        circuitBreaker: { consecutiveFailures: 10, pauseFor: '5m' },
        approval: { aboveRisk: 'never' },
        dryRun: false,
        ...overrides.guardrails,
      },
      verification: { healthCheck: { url: 'http://shop/health' }, deadline: '2m' },
    },
  });
}

export function incident(fingerprint: string, incidentId = `inc-${fingerprint}`, target = 'shop'): IncidentInput {
  return {
    incidentId,
    fingerprint,
    target,
    severity: 'high',
    title: `${fingerprint} on ${target}`,
    evidence: {
      series: [
        {
          name: 'http.server.request.duration',
          labels: {},
          score: 0.97,
          window: { start: '2025-01-01T09:55:00.000Z', end: '2025-01-01T10:00:00.000Z' },
          observed: 2.4,
          baseline: 0.12,
        },
      ],
      logTemplates: [{ templateId: 't-1', template: 'timeout acquiring connection after <*> ms', count: 212 }],
      failingSpans: [],
    },
    hypothesis: {
      summary: `${fingerprint} in shop`,
      suspect: { service: 'shop', component: 'db-pool' },
      confidence: 0.8,
      evidenceRefs: ['t-1'],
    },
  };
}

export function outcome(fields: {
  decisionId: string;
  fingerprint: string;
  action: string;
  succeeded: boolean;
  at: number;
  timeToRecoverMs?: number;
  loop?: string;
  target?: string;
  status?: OutcomeRecorded['status'];
  dryRun?: boolean;
  applied?: boolean;
}): OutcomeRecorded {
  const status = fields.status ?? (fields.succeeded ? 'succeeded' : 'failed');
  return {
    decisionId: fields.decisionId,
    incidentId: `inc-${fields.decisionId}`,
    loop: fields.loop ?? 'shop-heal',
    target: fields.target ?? 'shop',
    fingerprint: fields.fingerprint,
    action: { name: fields.action, adapter: 'http', params: {} },
    status,
    dryRun: fields.dryRun ?? false,
    applied: fields.applied ?? !(fields.dryRun ?? false),
    verification: { passed: fields.succeeded, checks: [] },
    timeToRecoverMs: fields.succeeded ? (fields.timeToRecoverMs ?? 15_000) : null,
    startedAt: new Date(fields.at - 1_000).toISOString(),
    finishedAt: new Date(fields.at).toISOString(),
    ...(status === 'rolled-back' ? { rollback: { action: { name: 'undo', adapter: 'http', params: {} }, status: 'succeeded' } } : {}),
  };
}

export const T0 = Date.parse('2025-01-01T10:00:00.000Z');

/** The decision-made event the decider would publish for a plan. */
export function decisionMade(
  loop: LoopSpec,
  plan: DecisionPlan,
  fields: { decisionId: string; fingerprint: string; at: number; target?: string; incidentId?: string },
): PolicyEvent {
  return {
    type: 'homeostat.decision.made.v1',
    loop,
    at: fields.at,
    data: {
      decisionId: fields.decisionId,
      incidentId: fields.incidentId ?? `inc-${fields.decisionId}`,
      loop: loop.metadata.name,
      loopVersion: loop.metadata.version,
      target: fields.target ?? 'shop',
      fingerprint: fields.fingerprint,
      action: plan.action,
      mode: plan.mode,
      autonomyLevel: plan.autonomyLevel,
      attempt: plan.attempt,
      ...(plan.previousDecisionId === undefined ? {} : { previousDecisionId: plan.previousDecisionId }),
      explanation: plan.explanation,
    },
  };
}

/**
 * Folds an outcome as the decider sees it: the outcome itself, then the learner's knowledge
 * recounted with it (the only count of outcomes the decider keeps).
 */
export function withOutcome(state: PolicyState, loop: LoopSpec, learner: TestLearner, o: OutcomeRecorded): PolicyState {
  const next = evolve(state, { type: 'homeostat.outcome.recorded.v1', loop, data: o });
  const knowledge = learner.record(o);
  return knowledge === undefined ? next : evolve(next, { type: 'homeostat.knowledge.updated.v1', loop, data: knowledge });
}

/** Folds outcomes of `action` on `fingerprint` into the state, one per entry (true: succeeded). */
export function withOutcomes(
  state: PolicyState,
  loop: LoopSpec,
  fingerprint: string,
  action: string,
  results: boolean[],
  start = T0 - 3_600_000,
  learner = new TestLearner(),
): PolicyState {
  return results.reduce(
    (s, succeeded, i) =>
      withOutcome(
        s,
        loop,
        learner,
        outcome({ decisionId: `past-${fingerprint}-${action}-${start + i}`, fingerprint, action, succeeded, at: start + i * 60_000 }),
      ),
    state,
  );
}

/** A knowledge update as the learner publishes it, for `successes` and `failures` verified outcomes. */
export function knowledgeUpdate(fields: {
  fingerprint: string;
  action: string;
  successes: number;
  failures: number;
  loop?: string;
  at?: number;
  timeToRecoverMs?: number;
}): KnowledgeUpdated {
  const ttr = fields.successes > 0 ? (fields.timeToRecoverMs ?? 15_000) : null;
  return {
    loop: fields.loop ?? 'shop-heal',
    fingerprint: fields.fingerprint,
    action: fields.action,
    tries: fields.successes + fields.failures,
    successes: fields.successes,
    failures: fields.failures,
    meanTimeToRecoverMs: ttr,
    p50TimeToRecoverMs: ttr,
    lastOutcomeAt: new Date(fields.at ?? T0).toISOString(),
    posterior: { alpha: 1 + fields.successes, beta: 1 + fields.failures },
  };
}

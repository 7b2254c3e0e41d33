import type { BuildFailure } from '../events/build-failure.schema';
import type { EventData } from '../events/registry';

/** Valid event data for tests. */

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const SPAN_ID = '00f067aa0ba902b7';
export const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

export const sampleIncidentOpened = (): EventData<'homeostat.incident.opened.v1'> => ({
  incidentId: 'inc-1',
  loop: 'shop-pool-exhaustion',
  target: 'shop',
  fingerprint: 'shop|pool-exhaustion|db.client.connections.usage',
  severity: 'high',
  title: 'Connection pool exhausted on shop',
  openedAt: '2025-01-01T10:00:00.000Z',
  evidence: {
    series: [
      {
        name: 'db.client.connections.usage',
        labels: { state: 'used' },
        score: 0.97,
        window: { start: '2025-01-01T09:55:00.000Z', end: '2025-01-01T10:00:00.000Z' },
      },
    ],
    logTemplates: [{ templateId: 't-17', template: 'timeout acquiring connection after <*> ms', count: 212 }],
    failingSpans: [{ traceId: TRACE_ID, spanId: SPAN_ID, name: 'GET /checkout', service: 'shop' }],
  },
  hypothesis: {
    summary: 'connections are leaked by the checkout handler',
    suspect: { service: 'shop', component: 'db-pool' },
    confidence: 0.8,
    evidenceRefs: ['db.client.connections.usage', 't-17'],
  },
});

export const sampleSpans = (): EventData<'homeostat.telemetry.spans.v1'> => ({
  resource: { attributes: { 'service.name': 'shop', 'host.name': 'shop-1' } },
  scope: { name: '@opentelemetry/instrumentation-http', version: '0.57.0' },
  spans: [
    {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      name: 'GET /checkout',
      kind: 'server',
      startTimeUnixNano: '1735725600000000000',
      endTimeUnixNano: '1735725600250000000',
      attributes: { 'http.response.status_code': 503, 'http.route': '/checkout' },
      status: { code: 'error', message: 'pool exhausted' },
      events: [],
    },
  ],
});

export const sampleDecisionMade = (): EventData<'homeostat.decision.made.v1'> => ({
  decisionId: 'dec-1',
  incidentId: 'inc-1',
  loop: 'shop-pool-exhaustion',
  loopVersion: '1.2.0',
  target: 'shop',
  fingerprint: 'shop|pool-exhaustion|db.client.connections.usage',
  action: { name: 'recycle-pool', adapter: 'http', params: { method: 'POST', url: 'http://shop:3000/actuator/pool/recycle' } },
  mode: 'execute',
  autonomyLevel: 'auto',
  attempt: 1,
  explanation: {
    evidenceSummary: 'pool usage at 100% for 5m, 212 connection timeouts',
    hypothesis: 'connections are leaked by the checkout handler',
    candidates: [
      {
        action: 'recycle-pool',
        score: 0.82,
        posterior: { alpha: 9, beta: 2, mean: 9 / 11, tries: 9, meanTimeToRecoverMs: 12000 },
        eligible: true,
        reason: 'highest sampled success',
      },
      { action: 'restart', score: 0.4, eligible: false, reason: 'risk high needs approval' },
    ],
    guardrails: [{ name: 'budget', passed: true, detail: '1 of 3 actions used in 10m', values: { used: 1, maxActions: 3 } }],
    chosenBecause: 'best Thompson sample among eligible actions',
  },
});

/** A repair loop's failed build as the analyzer diagnoses it (a TAP test failure); `over` sets any field. */
export const sampleBuildFailure = (over: Partial<BuildFailure> = {}): BuildFailure => ({
  repository: 'https://git.example/acme/app.git',
  branch: 'deps/connector',
  commit: 'c0ffee',
  baseBranch: 'main',
  pipeline: 'ci',
  job: 'test',
  reasonLines: [[3, 3]],
  reasonText: ['not ok 1 - reads the port'],
  category: 'test',
  signature: 'test: not ok <n> - reads the port',
  similar: [],
  fixes: [],
  notes: [],
  ...over,
});

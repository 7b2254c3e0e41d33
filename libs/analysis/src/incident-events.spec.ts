import { eventSchemas } from '@homeostat/contracts';
import { incidentEvent } from './incident-events';
import type { IncidentState } from './incident-tracker';

const incident: IncidentState = {
  incidentId: 'inc-2',
  target: 'shop',
  fingerprint: 'shop/abc',
  openedAtMs: 30_000,
  signals: [
    {
      key: 'k',
      kind: 'series',
      name: 'http.server.request.duration.p95',
      labels: {},
      score: 0.95,
      direction: 'up',
      firstAnomalousMs: 30_000,
      lastAnomalousMs: 31_000,
      observed: 2,
      baseline: 0.1,
      recovered: false,
      symptom: true,
    },
  ],
  failingSpans: [],
};
const hypothesis = (): undefined => undefined;

describe('incidentEvent', () => {
  it('names the incident it resolves, so a ledger that keeps only its latest state still says what it was', () => {
    const resolved = incidentEvent(
      'shop',
      'shop',
      { type: 'resolved', incident, resolvedAtMs: 90_000, resolution: 'self-healed' },
      90_000,
      hypothesis,
    );
    const opened = incidentEvent('shop', 'shop', { type: 'opened', incident }, 40_000, hypothesis);
    expect(resolved.data).toMatchObject({ title: opened.data.title, severity: opened.data.severity, resolution: 'self-healed' });
    expect(eventSchemas[resolved.type].safeParse(resolved.data).success).toBe(true);
  });

  it('links an incident opened while another was open to it, and reports a relapse on the update', () => {
    const opened = incidentEvent(
      'shop',
      'shop',
      { type: 'opened', incident: { ...incident, previousIncidentId: 'inc-1' } },
      40_000,
      hypothesis,
    );
    expect(opened.data).toMatchObject({ incidentId: 'inc-2', previousIncidentId: 'inc-1' });
    expect(eventSchemas[opened.type].safeParse(opened.data).success).toBe(true);

    const updated = incidentEvent('shop', 'shop', { type: 'updated', incident: { ...incident, relapsedAtMs: 60_000 } }, 70_000, hypothesis);
    expect(updated.data).toMatchObject({ relapsedAt: new Date(60_000).toISOString() });
    expect(eventSchemas[updated.type].safeParse(updated.data).success).toBe(true);

    const plain = incidentEvent('shop', 'shop', { type: 'opened', incident }, 40_000, hypothesis);
    expect(plain.data).not.toHaveProperty('previousIncidentId');
  });
});

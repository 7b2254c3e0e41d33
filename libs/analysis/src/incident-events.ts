import type { EventData } from '@homeostat/contracts';
import { DERIVED } from './series';
import type { IncidentState, IncidentTransition } from './incident-tracker';

export type IncidentEvent =
  | { type: 'homeostat.incident.opened.v1'; subject: string; data: EventData<'homeostat.incident.opened.v1'> }
  | { type: 'homeostat.incident.updated.v1'; subject: string; data: EventData<'homeostat.incident.updated.v1'> }
  | { type: 'homeostat.incident.resolved.v1'; subject: string; data: EventData<'homeostat.incident.resolved.v1'> };

export type IncidentHypothesis = EventData<'homeostat.incident.opened.v1'>['hypothesis'];

/**
 * A tracker's transition as the event the analyzer publishes: a resolution names the incident
 * (its title and severity, not its evidence); an opening or an update carries its whole picture (severity, title, evidence and the most
 * likely cause, which `hypothesisOf` works out from every target's evidence).
 */
export function incidentEvent(
  target: string,
  loop: string,
  transition: IncidentTransition,
  nowMs: number,
  hypothesisOf: (incident: IncidentState) => IncidentHypothesis,
): IncidentEvent {
  const incident = transition.incident;
  const openedAt = new Date(incident.openedAtMs).toISOString();
  if (transition.type === 'resolved') {
    return {
      type: 'homeostat.incident.resolved.v1',
      subject: target,
      data: {
        incidentId: incident.incidentId,
        loop,
        target,
        fingerprint: incident.fingerprint,
        openedAt,
        resolvedAt: new Date(transition.resolvedAtMs).toISOString(),
        resolution: transition.resolution,
        title: titleOf(target, incident),
        severity: severityOf(incident),
      },
    };
  }
  const snapshot = {
    incidentId: incident.incidentId,
    loop,
    target,
    fingerprint: incident.fingerprint,
    severity: severityOf(incident),
    title: titleOf(target, incident),
    openedAt,
    evidence: evidenceOf(incident),
    hypothesis: hypothesisOf(incident),
  };
  if (transition.type === 'opened') {
    const previous = incident.previousIncidentId === undefined ? {} : { previousIncidentId: incident.previousIncidentId };
    return { type: 'homeostat.incident.opened.v1', subject: target, data: { ...snapshot, ...previous } };
  }
  const relapsed = incident.relapsedAtMs === undefined ? {} : { relapsedAt: new Date(incident.relapsedAtMs).toISOString() };
  const failing =
    incident.failingAtMs === undefined
      ? {}
      : {
          failingAt: new Date(incident.failingAtMs).toISOString(),
          ...(incident.failingSinceMs === undefined ? {} : { failingSince: new Date(incident.failingSinceMs).toISOString() }),
        };
  return {
    type: 'homeostat.incident.updated.v1',
    subject: target,
    data: { ...snapshot, updatedAt: new Date(nowMs).toISOString(), ...relapsed, ...failing },
  };
}

/** One signal of an incident in words, for a hypothesis' summary. */
export function describeSignal(s: IncidentState['signals'][number]): string {
  if (s.template)
    return `log "${s.template.text.slice(0, 120)}" ${s.direction === 'up' ? 'appeared' : 'dropped'} (${s.observed.toFixed(2)}/s)`;
  const labels = Object.entries(s.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${s.name}${labels ? `{${labels}}` : ''} ${s.direction} (${round(s.observed)} vs ${round(s.baseline)})`;
}

function round(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(2);
}

function severityOf(incident: IncidentState): 'low' | 'medium' | 'high' | 'critical' {
  const errors = incident.signals.some((s) => s.name === DERIVED.errorRate && s.direction === 'up');
  const trafficGone = incident.signals.some((s) => s.name === DERIVED.requestRate && s.direction === 'down' && s.observed === 0);
  if (trafficGone || (errors && incident.signals.length >= 3)) return 'critical';
  if (errors || incident.signals.length >= 3) return 'high';
  return incident.signals.length >= 2 ? 'medium' : 'low';
}

function titleOf(target: string, incident: IncidentState): string {
  const top = [...incident.signals].sort((a, b) => b.score - a.score).slice(0, 2);
  return `${target}: ${top.map((s) => (s.template ? `log "${s.template.text.slice(0, 60)}"` : `${s.name} ${s.direction}`)).join(', ')}`;
}

function evidenceOf(incident: IncidentState): EventData<'homeostat.incident.opened.v1'>['evidence'] {
  return {
    series: incident.signals
      .filter((s) => !s.template)
      .map((s) => ({
        name: s.name,
        labels: s.labels,
        score: Math.min(1, Math.max(0, s.score)),
        window: { start: new Date(s.firstAnomalousMs).toISOString(), end: new Date(s.lastAnomalousMs).toISOString() },
        ...(Number.isFinite(s.observed) ? { observed: s.observed } : {}),
        ...(Number.isFinite(s.baseline) ? { baseline: s.baseline } : {}),
      })),
    logTemplates: incident.signals.flatMap(({ template: t }) =>
      t ? [{ templateId: t.id, template: t.text, count: t.count, ...(t.sample ? { sample: t.sample } : {}) }] : [],
    ),
    failingSpans: incident.failingSpans.map((s) => ({ ...s })),
  };
}

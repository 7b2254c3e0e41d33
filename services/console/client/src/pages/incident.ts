import type { Evidence, Hypothesis } from '@homeostat/contracts';
import { formatDuration, toneOf } from '../../../src/view/format';
import type { IncidentAnswer, IncidentLinks, LedgerEvent } from '../../../src/view/ledger.types';
import { isRepairIncident } from '../../../src/view/repair-view';
import { api } from '../api';
import { badge, html, type Html } from '../html';
import { onOverview } from '../state';
import { drawEvidenceCharts, evidenceHtml } from './evidence';

interface Snapshot {
  evidence: Evidence;
  hypothesis?: Hypothesis;
}

/**
 * How the incident stands to the others on its target: a failure of another kind that came while
 * the one before was open, the ones that came while it was, and its relapses (a fix that did not hold).
 */
function linksHtml(links: IncidentLinks): Html {
  const list = (ids: readonly string[]) =>
    ids.map((id, n) => html`${n > 0 ? ', ' : ''}<a href="#/incidents/${id}" data-testid="incident-link">${id}</a>`);
  const parts = [
    ...(links.follows ? [html`follows ${list([links.follows])}, still open when this kind of failure came`] : []),
    ...(links.followedBy.length > 0 ? [html`followed by ${list(links.followedBy)}`] : []),
    ...(links.relapses.length > 0
      ? [
          html`relapsed ${links.relapses.length === 1 ? 'once' : `${links.relapses.length} times`} after its symptoms had recovered
          (${links.relapses.map((at) => new Date(at).toLocaleTimeString()).join(', ')})`,
        ]
      : []),
  ];
  return parts.length === 0 ? html`` : html`<p data-testid="incident-links">${parts.map((p, n) => html`${n > 0 ? ' · ' : ''}${p}`)}</p>`;
}

/** One incident: its latest evidence and the chain of decisions the loop made about it. */
export function incidentPage(root: HTMLElement, incidentId: string): () => void {
  let drawn = '';
  const render = async (): Promise<void> => {
    const a = await api.get<IncidentAnswer>(`/incidents/${encodeURIComponent(incidentId)}`);
    const json = JSON.stringify(a);
    if (json === drawn) return;
    drawn = json;
    const i = a.incident;
    const snapshot = a.events.filter((e) => e.type !== 'homeostat.incident.resolved.v1').at(-1) as LedgerEvent<Snapshot> | undefined;
    const made = a.decisions.filter((e) => e.type === 'homeostat.decision.made.v1') as LedgerEvent<{
      decisionId: string;
      action: { name: string } | null;
      mode: string;
      attempt: number;
      explanation: { chosenBecause: string };
    }>[];
    root.innerHTML = html`<h1>${i.title} ${badge(i.status, toneOf(i.status), 'incident-status')}</h1>
      <p>
        Loop <b>${i.loop}</b> · target <b>${i.target}</b> · severity ${badge(i.severity, toneOf(i.severity))} · fingerprint
        <span class="mono">${i.fingerprint}</span><br />
        opened
        ${new Date(i.openedAt).toLocaleString()}${i.resolvedAt ? ` · resolved ${new Date(i.resolvedAt).toLocaleString()} (time to recover ${formatDuration(i.timeToRecoverMs)})` : ''}
      </p>
      ${isRepairIncident(a) ? html`<p><a href="#/repairs/${i.incidentId}" data-testid="repair-link">The repair: diagnosis, fixes tried, validation and push</a></p>` : ''}
      ${linksHtml(a.links)}
      <h2>Decisions</h2>
      <section class="panel">
        <table data-testid="incident-decisions">
          <thead>
            <tr>
              <th>attempt</th>
              <th>action</th>
              <th>mode</th>
              <th>because</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${
              made.length === 0
                ? html`<tr>
                    <td colspan="5" class="muted">No decision yet.</td>
                  </tr>`
                : made.map(
                    (d) =>
                      html`<tr>
                        <td>${d.data.attempt}</td>
                        <td><b>${d.data.action?.name ?? '(none)'}</b></td>
                        <td>${d.data.mode}</td>
                        <td>${d.data.explanation.chosenBecause}</td>
                        <td><a href="#/decisions/${d.data.decisionId}" data-testid="decision-link">explain</a></td>
                      </tr>`,
                  )
            }
          </tbody>
        </table>
      </section>
      <h2>Evidence</h2>
      <section class="panel">
        ${snapshot?.data.hypothesis ? html`<p>Hypothesis: <b>${snapshot.data.hypothesis.summary}</b></p>` : ''}${evidenceHtml(snapshot?.data.evidence ?? null)}
      </section>`.text;
    root.dataset['ready'] = 'incident';
    void drawEvidenceCharts(root, snapshot?.data.evidence ?? null, i.target);
  };
  render().catch((error: unknown) => {
    root.innerHTML = html`<div class="notice error">
      Cannot show incident ${incidentId}: ${error instanceof Error ? error.message : String(error)}
    </div>`.text;
  });
  return onOverview(() => void render().catch(() => undefined));
}

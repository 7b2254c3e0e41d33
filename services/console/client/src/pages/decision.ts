import { buildDecisionView, type DecisionView } from '../../../src/view/decision-view';
import { formatDuration, formatNumber, toneOf } from '../../../src/view/format';
import type { DecisionAnswer, IncidentAnswer } from '../../../src/view/ledger.types';
import { api } from '../api';
import { badge, html, Html } from '../html';
import { may, onOverview } from '../state';
import { drawEvidenceCharts, evidenceHtml } from './evidence';

function step(label: string, testid: string, body: Html | string): Html {
  return html`<div class="step" data-testid="${testid}">
    <div class="label">${label}</div>
    ${body}
  </div>`;
}

function headHtml(v: DecisionView): Html {
  return html`<h1>Decision <span class="mono">${v.decisionId}</span> ${badge(v.progress, toneOf(v.progress), 'decision-progress')}</h1>
    <p>
      Loop <b>${v.loop}</b> v${v.loopVersion} · target <b>${v.target}</b> · attempt ${v.attempt}
      ${v.previousDecisionId ? html` (retry after <a href="#/decisions/${v.previousDecisionId}">the previous decision</a>)` : ''} · decided
      ${new Date(v.decidedAt).toLocaleString()}<br />
      Incident
      <a href="#/incidents/${v.incidentId}">${v.incident?.title ?? v.incidentId}</a>
      ${v.incident ? badge(v.incident.status, toneOf(v.incident.status)) : ''} · fingerprint <span class="mono">${v.fingerprint}</span
      ><br />
      Trace of this loop iteration: <span class="mono" data-testid="trace-id">${v.traceId ?? '(none)'}</span>
      ${
        v.kind === 'repair'
          ? html`<br /><a href="#/repairs/${v.incidentId}" data-testid="repair-link"
                >The repair: diagnosis, fixes tried, validation and push</a
              >`
          : v.kind === 'optimize'
            ? html`<br /><a href="#/experiments/${v.loop}" data-testid="experiments-link">The loop's experiments, kept and rolled back</a>`
            : ''
      }
    </p>`;
}

/** Everything after the evidence; redrawn when the decision moves on (approved, started, verified). */
function restHtml(v: DecisionView): Html {
  const waiting = v.progress === 'awaiting-approval';
  return html` ${step(
    '2 · Root-cause hypothesis',
    'hypothesis',
    v.hypothesis
      ? html`<p>
          <b>${v.hypothesis.summary}</b><br />suspect:
          ${v.hypothesis.suspect.service}${v.hypothesis.suspect.component ? ` / ${v.hypothesis.suspect.component}` : ''} · confidence
          ${formatNumber(v.hypothesis.confidence)} <br /><span class="muted">supported by ${v.hypothesis.evidenceRefs.join(', ')}</span>
        </p>`
      : html`<p>${v.hypothesisText ?? '(no hypothesis)'}</p>`,
  )}
  ${step(
    '3 · Candidates',
    'candidates',
    html`<table>
      <thead>
        <tr>
          <th>action</th>
          <th>score</th>
          <th>success mean</th>
          <th>tries</th>
          <th>verdict</th>
          <th>why</th>
        </tr>
      </thead>
      <tbody>
        ${v.candidates.map(
          (c) =>
            html`<tr data-testid="candidate" data-verdict="${c.verdict}">
              <td><b>${c.action}</b></td>
              <td>${c.score.toFixed(3)}</td>
              <td>${formatNumber(c.mean)}</td>
              <td>${c.tries ?? '—'}</td>
              <td>${badge(c.verdict, c.verdict === 'chosen' ? 'ok' : c.verdict === 'ineligible' ? 'bad' : '')}</td>
              <td>${c.why}</td>
            </tr>`,
        )}
      </tbody>
    </table>`,
  )}
  ${step(
    '4 · Guardrails',
    'guardrails',
    html`<table>
      <thead>
        <tr>
          <th>check</th>
          <th></th>
          <th>detail</th>
          <th>values</th>
        </tr>
      </thead>
      <tbody>
        ${v.guardrails.map(
          (g) =>
            html`<tr data-testid="guardrail" data-name="${g.name}" data-passed="${g.passed ? 'true' : 'false'}">
              <td><b>${g.name}</b></td>
              <td>${badge(g.passed ? 'pass' : 'FAIL', g.passed ? 'ok' : 'bad')}</td>
              <td>${g.detail}</td>
              <td class="mono">${g.values.map((x) => html`${x.key}=${x.value} `)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`,
  )}
  ${step(
    '5 · Autonomy and action',
    'action',
    html`<p>
        Autonomy level ${badge(v.autonomyLevel, toneOf(v.autonomyLevel), 'autonomy')} · mode <b data-testid="mode">${v.mode}</b><br />
        ${v.action ? html`Action <b>${v.action.name}</b> via ${v.action.adapter} <span class="mono muted">${v.action.params}</span>` : 'No action: escalated to people.'}<br />
        Because: <span data-testid="chosen-because">${v.chosenBecause}</span>
      </p>
      ${v.people.map((p) => html`<p data-testid="person">${badge(p.verdict, toneOf(p.verdict))} by <b>${p.actor}</b> at ${new Date(p.at).toLocaleTimeString()}: ${p.reason}</p>`)}
      ${
        waiting
          ? html`<p>
              <button
                class="primary"
                data-command="approve"
                data-decision="${v.decisionId}"
                data-testid="approve"
                ${may('operator') ? '' : 'disabled'}
              >
                Approve
              </button>
              <button data-command="reject" data-decision="${v.decisionId}" data-testid="reject" ${may('operator') ? '' : 'disabled'}>
                Reject
              </button>
            </p>`
          : ''
      }`,
  )}
  ${step(
    '6 · Verification and outcome',
    'outcome',
    v.outcome
      ? html`<p>
            Outcome ${badge(v.outcome.status, toneOf(v.outcome.status), 'outcome-status')} ·
            ${v.outcome.timeToRecoverMs === null ? 'did not recover' : `recovered in ${formatDuration(v.outcome.timeToRecoverMs)}`} ·
            verification
            ${v.outcome.verification.passed ? 'passed' : 'failed'}${v.outcome.verification.detail ? `: ${v.outcome.verification.detail}` : ''}
          </p>
          <table>
            <tbody>
              ${v.outcome.verification.checks.map(
                (c) =>
                  html`<tr>
                    <td>${badge(c.passed ? 'pass' : 'FAIL', c.passed ? 'ok' : 'bad')}</td>
                    <td>${c.name}</td>
                    <td>${c.observed ?? ''}</td>
                    <td class="muted">${c.detail ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
          ${v.outcome.rollback ? html`<p>Rolled back with ${v.outcome.rollback.action}: ${v.outcome.rollback.status} ${v.outcome.rollback.detail ?? ''}</p>` : ''}
          ${v.outcome.error ? html`<p>Error ${v.outcome.error.code}: ${v.outcome.error.message}</p>` : ''}`
      : v.started
        ? html`<p>
            Running since ${new Date(v.started.at).toLocaleTimeString()}${v.started.dryRun ? ' (dry run)' : ''}; verification deadline
            ${new Date(v.started.deadline).toLocaleTimeString()}.
          </p>`
        : html`<p class="muted">
            ${v.progress === 'not-acted-on' ? 'Not acted on: the loop escalated to people.' : v.progress === 'rejected' ? 'Rejected: nothing ran.' : 'Not known yet.'}
          </p>`,
  )}`;
}

export function decisionPage(root: HTMLElement, decisionId: string): () => void {
  let incident: IncidentAnswer | undefined;
  let lastJson = '';
  let alive = true;
  const load = async (): Promise<DecisionView> => {
    const answer = await api.get<DecisionAnswer>(`/decisions/${encodeURIComponent(decisionId)}`);
    incident ??= await api.get<IncidentAnswer>(`/incidents/${encodeURIComponent(answer.decision.data.incidentId)}`).catch(() => undefined);
    return buildDecisionView(answer, incident);
  };
  const refresh = async (): Promise<void> => {
    const v = await load();
    const json = JSON.stringify(v);
    if (!alive || json === lastJson) return;
    const first = lastJson === '';
    lastJson = json;
    if (first) {
      root.innerHTML = html`<div id="head"></div>
        <section class="panel">
          ${step(
            '1 · Evidence',
            'evidence',
            html`<p data-testid="evidence-summary">${v.evidenceSummary}</p>
              ${evidenceHtml(v.evidence)}`,
          )}
          <div id="rest"></div>
        </section>`.text;
      void drawEvidenceCharts(root, v.evidence, v.target);
    }
    const head = root.querySelector<HTMLElement>('#head');
    if (head) head.innerHTML = headHtml(v).text;
    const rest = root.querySelector<HTMLElement>('#rest');
    if (rest) rest.innerHTML = restHtml(v).text;
    root.dataset['ready'] = 'decision';
  };
  refresh().catch((error: unknown) => {
    root.innerHTML = html`<div class="notice error">
      Cannot show decision ${decisionId}: ${error instanceof Error ? error.message : String(error)}
    </div>`.text;
  });
  // The overview changes when a decision moves on: look again then.
  const off = onOverview(() => void refresh().catch(() => undefined));
  return () => {
    alive = false;
    off();
  };
}

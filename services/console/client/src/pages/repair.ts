import { formatDuration, formatNumber, toneOf } from '../../../src/view/format';
import type { IncidentAnswer } from '../../../src/view/ledger.types';
import { buildRepairView, type RepairAttemptView, type RepairView } from '../../../src/view/repair-view';
import { api } from '../api';
import { badge, html, Html } from '../html';
import { onOverview } from '../state';

const RESULT_TONE: Record<RepairView['result']['state'], string> = {
  fixed: 'ok',
  'not-fixed': 'bad',
  trying: 'info',
  proposed: 'info',
  escalated: 'warn',
};

function diagnosisHtml(v: RepairView): Html {
  const d = v.diagnosis;
  return html`<section class="panel" data-testid="repair-diagnosis">
    <h2>Diagnosis</h2>
    <p>
      Category <b data-testid="repair-category">${d.category}</b> · signature
      <span class="mono" data-testid="repair-signature">${d.signature}</span>
    </p>
    ${
      d.culprit
        ? html`<p data-testid="repair-culprit">
              Culprit <b>${d.culprit.name}</b> <span class="mono">${d.culprit.from ?? '?'} → ${d.culprit.to ?? '?'}</span>
            </p>
            <ul>
              ${d.culprit.evidence.map((e) => html`<li data-testid="culprit-evidence">${e}</li>`)}
            </ul>`
        : html`<p class="muted">No culprit change found.</p>`
    }
    <h3>
      Lines of the log that explain
      it${d.reasonLines.length > 0 ? ` (${d.reasonLines.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ')})` : ''}
    </h3>
    <pre class="mono" data-testid="reason-lines" style="white-space:pre-wrap;background:#f2f4f7;padding:8px;border-radius:6px">
${d.reasonText.join('\n')}</pre>
    ${d.similar.length > 0 ? html`<p>Similar past failures: ${d.similar.map((s, i) => html`${i > 0 ? ', ' : ''}<a href="#/repairs/${s.incidentId}">${s.incidentId}</a> (${formatNumber(s.score)})`)}</p>` : ''}
    ${d.notes.length > 0 ? html`<p class="muted">${d.notes.join('; ')}</p>` : ''}
  </section>`;
}

function candidatesHtml(v: RepairView): Html {
  return html`<section class="panel" data-testid="repair-candidates">
    <h2>Candidates</h2>
    ${
      v.proposed.length === 0
        ? ''
        : html`<table>
            <thead>
              <tr>
                <th>fix proposed</th>
                <th>recipe</th>
                <th>prior</th>
                <th>why</th>
              </tr>
            </thead>
            <tbody>
              ${v.proposed.map(
                (p) =>
                  html`<tr data-testid="repair-proposed">
                    <td><b>${p.title}</b><br /><span class="mono muted">${p.id}</span></td>
                    <td>${p.recipe}</td>
                    <td>${formatNumber(p.prior)}</td>
                    <td>${p.explanation.join('; ')}<br /><span class="muted">changes ${p.files.join(', ') || 'nothing'}</span></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${
      v.ranking.length > 0
        ? html`<h3>How the decider ranked them for the first try</h3>
            <table>
              <tbody>
                ${v.ranking.map(
                  (c) =>
                    html`<tr data-testid="repair-ranking" data-verdict="${c.verdict}">
                      <td><b>${c.action}</b></td>
                      <td>${c.score.toFixed(3)}</td>
                      <td>${badge(c.verdict, c.verdict === 'chosen' ? 'ok' : c.verdict === 'ineligible' ? 'bad' : '')}</td>
                      <td>${c.why}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : ''
    }
  </section>`;
}

/** A unified diff with its added and removed lines coloured (built outside a template: its newlines are the content). */
function diffHtml(diff: string): Html {
  const tone = (line: string): string =>
    line.startsWith('+') && !line.startsWith('+++')
      ? 'color:var(--ok)'
      : line.startsWith('-') && !line.startsWith('---')
        ? 'color:var(--bad)'
        : '';
  return new Html(
    diff
      .split('\n')
      .map((line) => html`<span style="${tone(line)}">${line}</span>`.text)
      .join('\n'),
  );
}

function attemptHtml(a: RepairAttemptView): Html {
  const v = a.validation;
  return html`<section class="panel" data-testid="repair-attempt" data-progress="${a.progress}">
    <h3>
      Attempt ${a.attempt}: ${a.fixTitle ?? a.recipe} ${badge(a.progress, toneOf(a.progress), 'attempt-progress')}
      <a href="#/decisions/${a.decisionId}" class="muted" style="font-weight:400">decision</a>
    </h3>
    <p>
      Recipe <b>${a.recipe}</b>${a.fixId ? html` · <span class="mono">${a.fixId}</span>` : ''} · mode
      ${a.mode}${a.durationMs !== null ? ` · ${formatDuration(a.durationMs)}` : ''}<br />
      <span class="muted">${a.chosenBecause}</span>
    </p>
    ${
      a.diff
        ? html`<pre class="mono" data-testid="repair-diff" style="white-space:pre-wrap;background:#f2f4f7;padding:8px;border-radius:6px">
${diffHtml(a.diff)}</pre>`
        : a.files.length > 0
          ? html`<details data-testid="repair-files">
              <summary>The files the fix writes (no diff recorded)</summary>
              ${a.files.map(
                (f) =>
                  html`<p class="mono">${f.path}</p>
                    <pre class="mono" style="white-space:pre-wrap">${f.content}</pre>`,
              )}
            </details>`
          : ''
    }
    ${
      v
        ? html`<table data-testid="repair-validation">
              <thead>
                <tr>
                  <th>command</th>
                  <th>exit</th>
                  <th>duration</th>
                  <th>output (end)</th>
                </tr>
              </thead>
              <tbody>
                ${v.commands.map(
                  (c) =>
                    html`<tr data-testid="validation-step">
                      <td class="mono">${c.command}</td>
                      <td>${badge(c.timedOut ? 'timed out' : String(c.exitCode ?? '—'), c.exitCode === 0 ? 'ok' : 'bad')}</td>
                      <td>${formatDuration(c.durationMs)}</td>
                      <td>
                        <pre class="mono" style="white-space:pre-wrap;max-height:180px;overflow:auto;margin:0">
${c.outputTail.slice(-1500)}</pre>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <p>${v.passed ? 'Validation passed' : 'Validation failed'}${v.detail ? `: ${v.detail}` : ''}</p>`
        : html`<p class="muted">Not validated${a.mode === 'dry-run' ? ' (proposed only)' : ' yet'}.</p>`
    }
    ${a.pushed ? html`<p data-testid="repair-pushed">Pushed <span class="mono">${a.pushed.commit}</span> to <b>${a.pushed.branch}</b> of <span class="mono">${a.remote ?? ''}</span></p>` : ''}
    ${a.error ? html`<p>Error ${a.error.code}: ${a.error.message}</p>` : ''}
  </section>`;
}

function repairHtml(v: RepairView): Html {
  const b = v.build;
  const r = v.result;
  return html`<h1>
      Repair of ${b.pipeline ? html`<span class="mono">${b.pipeline}/${b.job ?? ''}</span>` : 'the build'} on ${b.branch}
      ${badge(r.state, RESULT_TONE[r.state], 'repair-state')}
    </h1>
    <p>
      Loop <b>${v.loop}</b> · incident <a href="#/incidents/${v.incidentId}">${v.incidentId}</a> ${badge(v.status, toneOf(v.status))} ·
      repository <span class="mono">${b.repository}</span> · commit
      <span class="mono">${b.commit}</span>${b.baseBranch ? ` (base ${b.baseBranch})` : ''}
      ${b.pullRequest ? html` · pull request ${b.pullRequest.url ? html`<a href="${b.pullRequest.url}">#${b.pullRequest.number}</a>` : `#${b.pullRequest.number}`}` : ''}
      ${b.url ? html` · <a href="${b.url}">build</a>` : ''}
    </p>
    ${
      v.source === 'decisions'
        ? html`<p class="notice" data-testid="repair-source">
            The ledger keeps only this incident's latest state (its resolution): the diagnosis below is what the decisions carried of it (no
            log line numbers, culprit evidence or proposed fixes with their priors).
          </p>`
        : ''
    }
    <section class="panel" data-testid="repair-outcome">
      <h2>Outcome</h2>
      ${
        r.state === 'fixed'
          ? html`<p>
              Fixed at attempt ${v.attempts.find((a) => a.decisionId === r.fixedBy)?.attempt ?? '?'} after trying
              ${r.candidatesTried.length}: ${r.candidatesTried.join(' → ')}; time to a validated fix
              <b data-testid="time-to-fix">${formatDuration(r.timeToValidatedFixMs)}</b>.
              ${r.pushed ? html`Pushed <span class="mono">${r.pushed.commit}</span> to <b>${r.pushed.branch}</b> of <span class="mono">${r.pushed.remote}</span>.` : 'Validated; nothing pushed (the loop only validates).'}
            </p>`
          : html`<p>
              ${r.state === 'trying' ? 'Still trying' : r.state === 'proposed' ? 'Proposed only (shadow): nothing validated or pushed' : r.state === 'escalated' ? 'Handed over to people' : 'Not fixed'}${r.candidatesTried.length > 0 ? `; tried ${r.candidatesTried.join(' → ')}` : ''}.
            </p>`
      }
    </section>
    ${diagnosisHtml(v)} ${candidatesHtml(v)}
    <h2>Tried, in order</h2>
    ${v.attempts.length === 0 ? html`<p class="muted">No decision yet.</p>` : v.attempts.map(attemptHtml)}`;
}

/** A failed build and its repair: diagnosis, candidates, each validation run, the diff and where the fix went. */
export function repairPage(root: HTMLElement, incidentId: string): () => void {
  let drawn = '';
  const render = async (): Promise<void> => {
    const answer = await api.get<IncidentAnswer>(`/incidents/${encodeURIComponent(incidentId)}`);
    const v = buildRepairView(answer);
    const json = JSON.stringify(v);
    if (json === drawn) return;
    drawn = json;
    root.innerHTML = v
      ? repairHtml(v).text
      : html`<div class="notice" data-testid="not-a-repair">
          Incident <a href="#/incidents/${incidentId}">${incidentId}</a> is not a failed build: it has no repair view.
        </div>`.text;
    root.dataset['ready'] = 'repair';
  };
  render().catch((error: unknown) => {
    root.innerHTML = html`<div class="notice error">
      Cannot show the repair of ${incidentId}: ${error instanceof Error ? error.message : String(error)}
    </div>`.text;
  });
  return onOverview(() => void render().catch(() => undefined));
}

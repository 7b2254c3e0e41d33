import { formatAgo, formatDuration, toneOf } from '../../../src/view/format';
import type { Overview } from '../../../src/view/overview';
import type { LoopState } from '../../../src/view/loop-state';
import { badge, html, Html } from '../html';
import { may, onOverview } from '../state';

const short = (id: string): string => id.slice(-12);

function loopCard(l: LoopState): Html {
  const details: Html[] = [];
  if (l.killSwitch.on)
    details.push(html`<div>Kill switch (${l.killSwitch.scope}) by <b>${l.killSwitch.by}</b>: ${l.killSwitch.reason}</div>`);
  if (l.circuit.open) details.push(html`<div>Circuit breaker open: ${l.circuit.detail}</div>`);
  else if (l.circuit.consecutiveFailures !== null)
    details.push(
      html`<div class="muted">Circuit closed: ${l.circuit.consecutiveFailures} of ${l.circuit.threshold} consecutive failures</div>`,
    );
  if (l.paused) details.push(html`<div>Paused by <b>${l.paused.by}</b> ${formatAgo(l.paused.at, Date.now())}: ${l.paused.reason}</div>`);
  const ownKill = l.killSwitch.on && l.killSwitch.scope === 'loop';
  return html`<div class="loop" data-testid="loop-${l.loop}" data-state="${l.state}">
    <div style="display:flex;justify-content:space-between;align-items:center">
      <span class="name">${l.loop}</span>${badge(l.state, toneOf(l.state), `loop-state-${l.loop}`)}
    </div>
    <div class="muted">last decision ${formatAgo(l.lastDecisionAt, Date.now())}</div>
    ${details}
    <div class="actions">
      ${
        l.paused || l.circuit.open
          ? html`<button data-command="resume" data-loop="${l.loop}" data-testid="resume-${l.loop}" ${may('operator') ? '' : 'disabled'}>
              Resume
            </button>`
          : html`<button data-command="pause" data-loop="${l.loop}" data-testid="pause-${l.loop}" ${may('operator') ? '' : 'disabled'}>
              Pause
            </button>`
      }
      <button
        class="${ownKill ? '' : 'danger'}"
        data-command="${ownKill ? 'kill-off' : 'kill-on'}"
        data-loop="${l.loop}"
        ${may('admin') ? '' : 'disabled'}
      >
        ${ownKill ? 'Loop kill switch off' : 'Kill switch for this loop'}
      </button>
    </div>
  </div>`;
}

export function overviewHtml(o: Overview): Html {
  const now = Date.now();
  const ks = o.globalKillSwitch;
  return html` <h1>Overview</h1>
    <section class="panel" data-testid="kill-switch" data-on="${ks.on ? 'true' : 'false'}" style="display:flex;align-items:center;gap:12px">
      <b>Kill switch</b> ${ks.on ? badge('ON: no loop acts', 'bad', 'kill-switch-state') : badge('off', 'ok', 'kill-switch-state')}
      ${ks.on ? html`<span class="muted">by ${ks.by} ${formatAgo(ks.at, now)}: ${ks.reason}</span>` : ''}
      <span style="margin-left:auto"></span>
      ${
        ks.on
          ? html`<button data-command="kill-off" data-testid="kill-switch-off" ${may('admin') ? '' : 'disabled'}>Turn off</button>`
          : html`<button class="danger" data-command="kill-on" data-testid="kill-switch-on" ${may('admin') ? '' : 'disabled'}>
              Stop every loop
            </button>`
      }
    </section>
    <h2>Loops</h2>
    <div class="loops">
      ${o.loops.length === 0 ? html`<p class="muted">No loop yet: start with <span class="mono">--loops DIR</span>.</p>` : o.loops.map(loopCard)}
    </div>
    ${
      o.approvals.length > 0
        ? html`<section class="panel" style="margin-top:14px" data-testid="approvals-banner">
            <b>${o.approvals.length} decision(s) wait for approval.</b> <a href="#/approvals">Open the approvals queue</a>
          </section>`
        : ''
    }
    <h2>Open incidents</h2>
    <section class="panel">
      <table data-testid="open-incidents">
        <thead>
          <tr>
            <th>opened</th>
            <th>loop</th>
            <th>incident</th>
            <th>severity</th>
            <th>status</th>
            <th>fingerprint</th>
          </tr>
        </thead>
        <tbody>
          ${
            o.openIncidents.length === 0
              ? html`<tr>
                  <td colspan="6" class="muted">None: every loop's target is within its baseline.</td>
                </tr>`
              : o.openIncidents.map(
                  (i) =>
                    html`<tr data-testid="incident-row" data-incident="${i.incidentId}">
                      <td>${formatAgo(i.openedAt, now)}</td>
                      <td>${i.loop}</td>
                      <td><a href="#/incidents/${i.incidentId}">${i.title}</a></td>
                      <td>${badge(i.severity, toneOf(i.severity))}</td>
                      <td>${badge(i.status, toneOf(i.status))}</td>
                      <td class="mono">${i.fingerprint}</td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </section>
    <h2>Last decisions</h2>
    <section class="panel">
      <table data-testid="decisions">
        <thead>
          <tr>
            <th>decided</th>
            <th>loop</th>
            <th>action</th>
            <th>mode</th>
            <th>autonomy</th>
            <th>attempt</th>
            <th>where it stands</th>
            <th>recovered in</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${
            o.decisions.length === 0
              ? html`<tr>
                  <td colspan="9" class="muted">No decision yet.</td>
                </tr>`
              : o.decisions.map(
                  (d) =>
                    html`<tr data-testid="decision-row" data-decision="${d.decision_id}" data-progress="${d.progress}">
                      <td>${formatAgo(d.decided_at, now)}</td>
                      <td>${d.loop}</td>
                      <td><b>${d.action || '(none)'}</b></td>
                      <td>${d.mode}</td>
                      <td>${badge(d.autonomy, toneOf(d.autonomy))}</td>
                      <td>${d.attempt}</td>
                      <td>${badge(d.progress, toneOf(d.progress))}</td>
                      <td>${formatDuration(d.time_to_recover_ms)}</td>
                      <td><a href="#/decisions/${d.decision_id}" data-testid="decision-link">explain …${short(d.decision_id)}</a></td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </section>
    <h2>People's commands</h2>
    <section class="panel">
      <table data-testid="commands">
        <thead>
          <tr>
            <th>when</th>
            <th>who</th>
            <th>command</th>
            <th>on</th>
            <th>reason</th>
          </tr>
        </thead>
        <tbody>
          ${
            o.commands.length === 0
              ? html`<tr>
                  <td colspan="5" class="muted">Nobody intervened yet.</td>
                </tr>`
              : o.commands.map(
                  (c) =>
                    html`<tr data-testid="command-row">
                      <td>${formatAgo(c.issued_at, now)}</td>
                      <td><b>${c.actor}</b></td>
                      <td>${c.command}${c.state ? ` ${c.state}` : ''}</td>
                      <td>
                        ${c.decision_id ? html`<a href="#/decisions/${c.decision_id}">decision …${short(c.decision_id)}</a>` : c.loop || 'every loop'}
                      </td>
                      <td>${c.reason}</td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </section>`;
}

export function overviewPage(root: HTMLElement): () => void {
  return onOverview((o) => {
    root.innerHTML = overviewHtml(o).text;
    root.dataset['ready'] = 'overview';
  });
}

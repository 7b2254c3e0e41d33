import { buildExperimentsView, type ExperimentView, type ExperimentsView } from '../../../src/view/experiments-view';
import { formatDuration, formatPercent } from '../../../src/view/format';
import type { ExperimentRecord } from '../../../src/view/ledger.types';
import { api } from '../api';
import { badge, html, type Html } from '../html';
import { app, onOverview } from '../state';

const VERDICT_TONE: Record<ExperimentView['verdict'], string> = {
  kept: 'ok',
  'rolled-back': 'bad',
  running: 'info',
  'awaiting-approval': 'warn',
  'dry-run': 'info',
  'not-run': '',
};

/** Milliseconds to a tenth: the buckets' medians are not more exact than that. */
const tenth = (x: number): string => String(Math.round(x * 10) / 10);
const ms = (x: number | null): string => (x === null ? '—' : `${tenth(x)} ms`);

/** "60 ms [52, 66] (75 %)": the shift baseline − trial with its interval and relative size. */
function shiftText(x: ExperimentView): string {
  if (x.shiftMs === null) return '—';
  const interval = x.shiftLowMs !== null && x.shiftHighMs !== null ? ` [${tenth(x.shiftLowMs)}, ${tenth(x.shiftHighMs)}]` : '';
  return `${tenth(x.shiftMs)} ms${interval}${x.relativeShift !== null ? ` (${formatPercent(x.relativeShift)})` : ''}`;
}

function experimentRow(x: ExperimentView): Html {
  return html`<tr data-testid="experiment" data-verdict="${x.verdict}" data-decision="${x.decisionId}">
    <td>${new Date(x.decidedAt).toLocaleTimeString()}</td>
    <td>
      <b>${x.knob}</b>: ${x.change}${x.knownGood ? html` ${badge('known-good', 'ok', 'known-good')}` : ''}<br /><span class="mono muted"
        >${x.regime}</span
      >
    </td>
    <td>${x.objective}: ${ms(x.baselineMs)} → ${ms(x.trialMs)}</td>
    <td data-testid="experiment-shift">${shiftText(x)}</td>
    <td>${x.pValue === null ? '—' : x.pValue.toPrecision(2)} <span class="muted">(α ${x.alpha})</span></td>
    <td>
      ${x.guards.map(
        (g) =>
          html`<span data-testid="guard" data-state="${g.state}" title="${g.limit}"
            >${badge(`${g.name} ${g.state === 'held' ? '✓' : g.state === 'broke' ? '✗' : '?'}`, g.state === 'held' ? 'ok' : g.state === 'broke' ? 'bad' : '')}</span
          > `,
      )}
    </td>
    <td>
      ${badge(x.verdict, VERDICT_TONE[x.verdict], 'experiment-verdict')}<br /><span class="muted">${x.reason}</span
      >${x.rollback ? html`<br /><span class="muted">rollback ${x.rollback.status}</span>` : ''}
    </td>
    <td><a href="#/decisions/${x.decisionId}">explain</a></td>
  </tr>`;
}

const HEAD = html`<thead>
  <tr>
    <th>at</th>
    <th>change · regime</th>
    <th>baseline → trial</th>
    <th>shift [interval]</th>
    <th>p</th>
    <th>guards</th>
    <th>verdict</th>
    <th></th>
  </tr>
</thead>`;

function changesTable(list: ExperimentView[], testid: string, empty: string): Html {
  return list.length === 0
    ? html`<p class="muted" data-testid="${testid}-empty">${empty}</p>`
    : html`<table data-testid="${testid}">
        <thead>
          <tr>
            <th>route</th>
            <th>change</th>
            <th>measured effect</th>
            <th>why</th>
            <th>took</th>
          </tr>
        </thead>
        <tbody>
          ${list.map(
            (x) =>
              html`<tr data-testid="${testid}-row">
                <td class="mono">${x.route}</td>
                <td><b>${x.knob}</b>: ${x.change}${x.knownGood ? html` ${badge('known-good', 'ok')}` : ''}</td>
                <td>${x.objective} ${ms(x.baselineMs)} → ${ms(x.trialMs)}, shift ${shiftText(x)}</td>
                <td class="muted">${x.reason}</td>
                <td>${x.finishedAt ? formatDuration(Date.parse(x.finishedAt) - Date.parse(x.decidedAt)) : '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>`;
}

function experimentsHtml(v: ExperimentsView, loops: string[]): Html {
  return html`<h1>Experiments</h1>
    <p>
      Loop
      <select id="loop-select" data-testid="loop-select">
        ${loops.map((l) => html`<option ${l === v.loop ? 'selected' : ''}>${l}</option>`)}
      </select>
      <span class="muted" data-testid="experiment-totals"
        >${v.totals.experiments} experiment(s): ${v.totals.kept} kept, ${v.totals.rolledBack} rolled back, ${v.totals.knownGood} from a
        regime's known-good config</span
      >
    </p>
    ${
      v.routes.length === 0
        ? html`<p class="muted" data-testid="experiments-empty">No experiment in loop ${v.loop}: only optimize loops run them.</p>`
        : v.routes.map(
            (r) =>
              html`<section class="panel" data-testid="route" data-route="${r.route}">
                <h2>
                  <span class="mono">${r.route}</span>
                  <span class="muted" style="font-weight:400">${r.kept} kept · ${r.rolledBack} rolled back</span>
                </h2>
                ${r.current ? html`<p>Runs with: <b data-testid="route-current">${r.current}</b></p>` : ''}
                <table>
                  ${HEAD}
                  <tbody>
                    ${r.experiments.map(experimentRow)}
                  </tbody>
                </table>
              </section>`,
          )
    }
    <section class="panel">
      <h2>Kept changes</h2>
      ${changesTable(v.kept, 'kept', 'No change kept yet.')}
      <h2>Rolled back</h2>
      ${changesTable(v.rolledBack, 'rolled-back', 'Nothing rolled back.')}
    </section>`;
}

/** An optimize loop's experiments per route and its kept and rolled-back changes, live. */
export function experimentsPage(root: HTMLElement, loop: string | undefined): () => void {
  const loops = (): string[] => app.overview?.loops.map((l) => l.loop) ?? [];
  const optimize = app.overview?.loops.find((l) => l.kind === 'optimize')?.loop;
  const chosen = loop ?? optimize ?? loops()[0] ?? '';
  let drawn = '';
  const render = async (): Promise<void> => {
    if (chosen === '') {
      root.innerHTML = html`<p class="muted" data-testid="experiments-empty">No loop yet.</p>`.text;
      root.dataset['ready'] = 'experiments';
      return;
    }
    const records = await api.get<ExperimentRecord[]>(`/experiments?loop=${encodeURIComponent(chosen)}`);
    const v = buildExperimentsView(chosen, records);
    const json = JSON.stringify(v);
    if (json === drawn) return;
    drawn = json;
    root.innerHTML = experimentsHtml(v, [...new Set([chosen, ...loops()])]).text;
    root.dataset['ready'] = 'experiments';
    root.querySelector<HTMLSelectElement>('#loop-select')?.addEventListener('change', (e) => {
      location.hash = `#/experiments/${encodeURIComponent((e.target as HTMLSelectElement).value)}`;
    });
  };
  render().catch((error: unknown) => {
    root.innerHTML = html`<div class="notice error">
      Cannot show experiments: ${error instanceof Error ? error.message : String(error)}
    </div>`.text;
  });
  return onOverview(() => void render().catch(() => undefined));
}

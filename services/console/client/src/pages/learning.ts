import { learningCurveSpec } from '../../../src/view/chart-specs';
import { formatDuration, formatPercent, toneOf } from '../../../src/view/format';
import { configText, groupByFingerprint, learningLabels } from '../../../src/view/learning-view';
import type { EffectivenessRow, LearningCurvePoint } from '../../../src/view/ledger.types';
import { api } from '../api';
import { drawChart } from '../charts';
import { badge, html } from '../html';
import { app } from '../state';

/** Per loop: time to recover per incident by fingerprint, and what each action achieved against each fingerprint. */
export function learningPage(root: HTMLElement, loop: string | undefined): () => void {
  const loops = app.overview?.loops.map((l) => l.loop) ?? [];
  const chosen = loop ?? loops[0] ?? '';
  let alive = true;
  void (async () => {
    const q = chosen ? `?loop=${encodeURIComponent(chosen)}` : '';
    const [curve, table] = await Promise.all([
      api.get<LearningCurvePoint[]>(`/analytics/learning-curve${q}`),
      api.get<EffectivenessRow[]>(`/analytics/effectiveness${q}`),
    ]);
    if (!alive) return;
    const groups = groupByFingerprint(table);
    const kind = app.overview?.loops.find((l) => l.loop === chosen)?.kind ?? null;
    const labels = learningLabels(kind);
    root.innerHTML = html`<h1>Learning</h1>
      <p>
        Loop
        <select id="loop-select" data-testid="loop-select">
          ${[...new Set([chosen, ...loops])].filter(Boolean).map((l) => html`<option ${l === chosen ? 'selected' : ''}>${l}</option>`)}
        </select>
        <span class="muted">${curve.length} incident(s); a loop that learns recovers faster each time a fingerprint comes back.</span>
      </p>
      <section class="panel">
        <h2>Time to recover per incident, by fingerprint</h2>
        ${curve.some((p) => p.timeToRecoverMs !== null) ? html`<div id="curve" class="chart" data-testid="learning-curve" style="width:100%"></div>` : html`<p class="muted" data-testid="learning-curve-empty">No recovered incident yet.</p>`}
      </section>
      <section class="panel">
        <h2 data-testid="effectiveness-title">${labels.title}</h2>
        ${kind === 'optimize' ? html`<p class="muted">Each experiment's changes and verdicts: <a href="#/experiments/${chosen}">experiments</a>.</p>` : ''}
        ${
          groups.length === 0
            ? html`<p class="muted" data-testid="effectiveness-empty">No verified outcome yet.</p>`
            : html`<table data-testid="effectiveness">
                <thead>
                  <tr>
                    <th>${labels.key}</th>
                    <th>${labels.action}</th>
                    <th>tries</th>
                    <th>success rate</th>
                    <th>${labels.ttr}</th>
                    <th>autonomy</th>
                  </tr>
                </thead>
                <tbody>
                  ${groups.map((g) =>
                    g.rows.map(
                      (r, i) =>
                        html`<tr data-testid="effectiveness-row">
                          ${i === 0 ? html`<td rowspan="${g.rows.length}" class="mono">${g.fingerprint}</td>` : ''}
                          <td>
                            <b>${r.action}</b>${r.action === g.best ? html` ${badge('best', 'ok')}` : ''}
                            ${configText(r.params) ? html`<br /><span class="mono muted" data-testid="known-config">${configText(r.params)}</span>` : ''}
                          </td>
                          <td>${r.tries}</td>
                          <td>${formatPercent(r.successRate)}</td>
                          <td>${formatDuration(r.medianTimeToRecoverMs)}</td>
                          <td>${r.autonomy ? badge(r.autonomy, toneOf(r.autonomy)) : '—'}</td>
                        </tr>`,
                    ),
                  )}
                </tbody>
              </table>`
        }
      </section>`.text;
    root.dataset['ready'] = 'learning';
    root.querySelector<HTMLSelectElement>('#loop-select')?.addEventListener('change', (e) => {
      location.hash = `#/learning/${encodeURIComponent((e.target as HTMLSelectElement).value)}`;
    });
    const el = root.querySelector<HTMLElement>('#curve');
    if (el) await drawChart(el, learningCurveSpec(curve));
  })().catch((error: unknown) => {
    root.innerHTML = html`<div class="notice error">
      Cannot show learning: ${error instanceof Error ? error.message : String(error)}
    </div>`.text;
  });
  return () => {
    alive = false;
  };
}

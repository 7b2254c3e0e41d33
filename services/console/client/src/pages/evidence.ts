import type { Evidence } from '@homeostat/contracts';
import { observedVsBaselineSpec, seriesChartSpec, seriesRange } from '../../../src/view/chart-specs';
import { formatLabels, formatNumber } from '../../../src/view/format';
import type { SeriesAnswer } from '../../../src/view/ledger.types';
import { api } from '../api';
import { drawChart } from '../charts';
import { html, Html } from '../html';

const SHOWN_SPANS = 5;

/** The evidence of an incident: each anomalous series with a small chart, the log templates, the failing spans. */
export function evidenceHtml(evidence: Evidence | null): Html {
  if (!evidence) return html`<p class="muted">The incident's evidence is not in the ledger.</p>`;
  return html` <h3>Anomalous series</h3>
    <div class="charts">
      ${evidence.series.map(
        (s, i) =>
          html`<div
            class="panel"
            style="padding:8px 10px;border:1px solid var(--line);border-radius:6px;background:#fff"
            data-testid="series"
          >
            <div><b>${s.name}</b> <span class="muted">${formatLabels(s.labels)}</span></div>
            <div class="muted">
              score ${formatNumber(s.score)} · observed ${formatNumber(s.observed)} · baseline ${formatNumber(s.baseline)}
            </div>
            <div class="chart" data-series="${i}" data-testid="series-chart" style="width:100%"></div>
          </div>`,
      )}
    </div>
    <h3>Log templates</h3>
    ${
      evidence.logTemplates.length === 0
        ? html`<p class="muted">No unusual log template.</p>`
        : html`<table data-testid="log-templates">
            <thead>
              <tr>
                <th>template</th>
                <th>count</th>
                <th>sample</th>
              </tr>
            </thead>
            <tbody>
              ${evidence.logTemplates.map(
                (t) =>
                  html`<tr>
                    <td class="mono">${t.template}</td>
                    <td>${t.count}</td>
                    <td class="mono muted">${t.sample ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <h3>Failing spans</h3>
    ${
      evidence.failingSpans.length === 0
        ? html`<p class="muted">No failing span.</p>`
        : html`<table data-testid="failing-spans">
              <thead>
                <tr>
                  <th>service</th>
                  <th>span</th>
                  <th>status</th>
                  <th>error</th>
                  <th>trace</th>
                </tr>
              </thead>
              <tbody>
                ${evidence.failingSpans.slice(0, SHOWN_SPANS).map(
                  (s) =>
                    html`<tr>
                      <td>${s.service}</td>
                      <td>${s.name}</td>
                      <td>${s.statusMessage ?? ''}</td>
                      <td class="mono">${s.error ?? ''}</td>
                      <td class="mono">${s.traceId}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${evidence.failingSpans.length > SHOWN_SPANS ? html`<p class="muted">and ${evidence.failingSpans.length - SHOWN_SPANS} more failing span(s) of the same kind.</p>` : ''}`
    }`;
}

/** Fills the chart placeholders: the stored values when the learner has them, else observed against baseline. */
export async function drawEvidenceCharts(root: HTMLElement, evidence: Evidence | null, target: string): Promise<void> {
  if (!evidence) return;
  await Promise.all(
    [...root.querySelectorAll<HTMLElement>('[data-series]')].map(async (el) => {
      const s = evidence.series[Number(el.dataset['series'])];
      if (!s) return;
      try {
        const range = seriesRange(s);
        const q = new URLSearchParams({
          service: target,
          name: s.name,
          labels: JSON.stringify(s.labels),
          from: range.from,
          to: range.to,
          step: String(range.stepMs),
        });
        const answer = await api.get<SeriesAnswer>(`/telemetry/series?${q.toString()}`);
        await drawChart(el, answer.points.length > 1 ? seriesChartSpec(s, answer.points) : observedVsBaselineSpec(s));
      } catch (error) {
        el.textContent = `chart unavailable: ${error instanceof Error ? error.message : String(error)}`;
      }
    }),
  );
}

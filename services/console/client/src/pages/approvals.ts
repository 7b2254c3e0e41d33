import { formatAgo } from '../../../src/view/format';
import { html } from '../html';
import { may, onOverview } from '../state';

export function approvalsPage(root: HTMLElement): () => void {
  return onOverview((o) => {
    const now = Date.now();
    root.innerHTML = html`<h1>Approvals</h1>
      <p class="muted">
        Decisions whose action needs a person: its risk is above the loop's approval level, or its autonomy is <i>propose</i>. Approve runs
        it now; reject records why, and the loop tries the next best action.
      </p>
      <section class="panel">
        <table data-testid="approvals">
          <thead>
            <tr>
              <th>decided</th>
              <th>loop</th>
              <th>target</th>
              <th>action</th>
              <th>autonomy</th>
              <th>incident fingerprint</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${
              o.approvals.length === 0
                ? html`<tr>
                    <td colspan="7" class="muted" data-testid="approvals-empty">Nothing waits for approval.</td>
                  </tr>`
                : o.approvals.map(
                    (d) =>
                      html`<tr data-testid="approval-row" data-decision="${d.decision_id}">
                        <td>${formatAgo(d.decided_at, now)}</td>
                        <td>${d.loop}</td>
                        <td>${d.target}</td>
                        <td><b>${d.action}</b></td>
                        <td>${d.autonomy}</td>
                        <td class="mono">${d.fingerprint}</td>
                        <td style="white-space:nowrap">
                          <a href="#/decisions/${d.decision_id}">explain</a>
                          <button
                            class="primary"
                            data-command="approve"
                            data-decision="${d.decision_id}"
                            data-testid="approve"
                            ${may('operator') ? '' : 'disabled'}
                          >
                            Approve
                          </button>
                          <button
                            data-command="reject"
                            data-decision="${d.decision_id}"
                            data-testid="reject"
                            ${may('operator') ? '' : 'disabled'}
                          >
                            Reject
                          </button>
                        </td>
                      </tr>`,
                  )
            }
          </tbody>
        </table>
      </section>`.text;
    root.dataset['ready'] = 'approvals';
  });
}

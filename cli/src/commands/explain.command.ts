import { formatExplanation } from '@homeostat/policy';
import type { EventData } from '@homeostat/contracts';
import { apiBase, callApi } from './control.command';

interface DecisionView {
  decision: { data: EventData<'homeostat.decision.made.v1'> };
  /** People's commands about the decision (approve, reject) as recorded from loop.control, oldest first. */
  commands: { data: EventData<'homeostat.control.v1'> }[];
  outcomes: { type: string; data: unknown }[];
}

/** Prints a decision as the loop thought it: evidence, hypothesis, candidates, guardrails, outcome. */
export async function explainCommand(decisionId: string, options: { api?: string; json?: boolean }): Promise<void> {
  const view = (await callApi(apiBase(options), 'GET', `/decisions/${encodeURIComponent(decisionId)}`)) as DecisionView;
  if (options.json) {
    process.stdout.write(JSON.stringify(view, null, 2) + '\n');
    return;
  }
  const outcome = view.outcomes.find((o) => o.type === 'homeostat.outcome.recorded.v1')?.data as
    EventData<'homeostat.outcome.recorded.v1'> | undefined;
  process.stdout.write(formatExplanation(view.decision.data, outcome) + '\n');
  for (const { data: c } of view.commands) {
    if (c.command === 'approve' || c.command === 'reject')
      process.stdout.write(`${c.command === 'approve' ? 'Approved' : 'Rejected'} by ${c.actor}: ${c.reason}\n`);
  }
}

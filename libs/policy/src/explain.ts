import type { DecisionMade, GuardrailCheck, OutcomeRecorded } from '@homeostat/contracts';
import type { DecisionPlan } from './plan';

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(3));

function valuesText(values: GuardrailCheck['values']): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : String(v)}`)
    .join(' ');
}

/**
 * A decision as people read it (`homeostat explain <decision-id>`): what was seen, what was
 * suspected, every candidate with its score and why, every guardrail with its numbers, what was
 * chosen and why, and what happened when the outcome is known.
 */
export function formatExplanation(decision: DecisionPlan | DecisionMade, outcome?: OutcomeRecorded): string {
  const { explanation: e } = decision;
  const lines: string[] = [];
  if ('decisionId' in decision) {
    lines.push(
      `Decision ${decision.decisionId} for incident ${decision.incidentId} (loop ${decision.loop} v${decision.loopVersion}, target ${decision.target})`,
    );
    lines.push(`Fingerprint: ${decision.fingerprint}`);
  }
  const chain = decision.previousDecisionId === undefined ? '' : ` (retry after ${decision.previousDecisionId})`;
  lines.push(`Attempt ${decision.attempt}${chain}`);
  lines.push('', `Evidence: ${e.evidenceSummary}`);
  lines.push(`Hypothesis: ${e.hypothesis ?? '(none)'}`);

  lines.push('', 'Candidates:');
  const width = Math.max(6, ...e.candidates.map((c) => c.action.length));
  lines.push(`  ${'action'.padEnd(width)}  score   mean   tries  eligible  reason`);
  for (const c of [...e.candidates].sort((a, b) => b.score - a.score)) {
    const mean = c.posterior === undefined ? '  -  ' : c.posterior.mean.toFixed(3);
    const tries = c.posterior === undefined ? '-' : String(c.posterior.tries);
    lines.push(
      `  ${c.action.padEnd(width)}  ${c.score.toFixed(3)}  ${mean}  ${tries.padStart(5)}  ${(c.eligible ? 'yes' : 'no').padEnd(8)}  ${c.reason}`,
    );
  }

  lines.push('', 'Guardrails:');
  for (const g of e.guardrails) {
    lines.push(
      `  [${g.passed ? 'pass' : 'FAIL'}] ${g.name}: ${g.detail}${Object.keys(g.values).length > 0 ? ` {${valuesText(g.values)}}` : ''}`,
    );
  }

  lines.push('', `Autonomy: ${decision.autonomyLevel}`);
  lines.push(`Decision: ${decision.mode}${decision.action === null ? '' : ` ${decision.action.name} (${decision.action.adapter})`}`);
  lines.push(`Because: ${e.chosenBecause}`);

  if (outcome !== undefined) {
    const ttr = outcome.timeToRecoverMs === null ? 'did not recover' : `recovered in ${Math.round(outcome.timeToRecoverMs / 100) / 10}s`;
    lines.push(
      '',
      `Outcome: ${outcome.status}${outcome.dryRun ? ' (dry-run)' : ''}, ${ttr}; verification ${outcome.verification.passed ? 'passed' : 'failed'}`,
    );
    for (const c of outcome.verification.checks) {
      lines.push(
        `  [${c.passed ? 'pass' : 'FAIL'}] ${c.name}${c.observed === undefined ? '' : ` observed=${String(c.observed)}`}${c.detail === undefined ? '' : `: ${c.detail}`}`,
      );
    }
    if (outcome.rollback !== undefined) lines.push(`  rollback ${outcome.rollback.action.name}: ${outcome.rollback.status}`);
    if (outcome.error !== undefined) lines.push(`  error ${outcome.error.code}: ${outcome.error.message}`);
  } else {
    lines.push('', 'Outcome: not known yet');
  }
  return lines.join('\n');
}

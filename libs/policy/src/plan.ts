import type { ActionParams, Adapter, AutonomyLevel, Candidate, Explanation, Hypothesis, LoopSpec } from '@homeostat/contracts';
import { describeGuardrails, escalation, guardrailGate } from './gate';
import type { Attempt, AttemptStatus, IncidentInput, PolicyState } from './policy-state';
import type { Rng } from './rng';
import { estimate, thompsonSample, utility, type ActionEstimate } from './scoring';

export interface PlanInput {
  state: PolicyState;
  loop: LoopSpec;
  incident: IncidentInput;
  /** This incident's decisions so far, oldest first. */
  attempts: Attempt[];
  /** Epoch ms. */
  now: number;
  rng: Rng;
  /** Per action, a prior chance to fix this incident that replaces its risk's default (a repair loop's recipe priors). */
  priors?: Readonly<Record<string, number>>;
}

export type PlanMode = 'execute' | 'dry-run' | 'approval-required' | 'escalate';

export interface DecisionPlan {
  action: { name: string; adapter: Adapter; params: ActionParams } | null;
  mode: PlanMode;
  autonomyLevel: AutonomyLevel;
  attempt: number;
  previousDecisionId?: string;
  explanation: Explanation;
  /** When an escalation only waits for time (cooldown, budget, blast radius): when to decide again. */
  retryAt?: number;
  /** An escalation because the loop was stopped (kill switch, pause, circuit breaker), not because of the incident. */
  blocked?: true;
}

/** Statuses that rule an action out for the rest of the incident: it was tried and did not help, or a person said no. */
export const RULED_OUT: ReadonlySet<AttemptStatus> = new Set(['failed', 'rolled-back', 'timed-out', 'rejected']);

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/**
 * Chooses the next action for an incident: a Thompson sample per candidate (see scoring.ts), the
 * highest eligible score wins, then the guardrails decide whether it runs, waits for a person, is
 * only recorded, or the incident goes to people.
 */
export function planDecision(input: PlanInput): DecisionPlan {
  const { state, loop, incident, attempts, now, rng } = input;
  const last = attempts[attempts.length - 1];
  const attempt = attempts.length + 1;
  const chain = last === undefined ? {} : { previousDecisionId: last.decisionId };
  const ruledOut = new Map<string, Attempt[]>();
  for (const a of attempts) {
    if (a.action !== null && RULED_OUT.has(a.status)) ruledOut.set(a.action, [...(ruledOut.get(a.action) ?? []), a]);
  }

  const scored = loop.spec.actions.map((action) => {
    const est = estimate(state, loop, incident.fingerprint, action, incident.hypothesis, input.priors?.[action.name]);
    const tried = ruledOut.get(action.name);
    if (tried !== undefined) {
      const how = tried.map((t) => `attempt ${attempts.indexOf(t) + 1} ${t.status}`).join(', ');
      const candidate: Candidate = {
        action: action.name,
        score: 0,
        posterior: est.posterior,
        eligible: false,
        reason: `already tried for this incident (${how})`,
      };
      return { action, candidate, theta: 0, utility: 0, est };
    }
    const theta = thompsonSample(rng, est.posterior);
    const u = utility(loop, action, est.timeToRecoverMs);
    const { spec, hypothesis, similar, observed } = est.parts;
    const raised =
      hypothesis.weight > 0
        ? ` raised by the hypothesis (it addresses ${hypothesis.matched.join(', ')}; fit ${round(hypothesis.fit, 2)} × confidence ${round(hypothesis.confidence, 2)})`
        : '';
    const reason =
      `θ=${round(theta)} from Beta(${round(est.posterior.alpha, 2)}, ${round(est.posterior.beta, 2)}): ` +
      `${input.priors?.[action.name] === undefined ? `spec prior (risk ${spec.risk})` : `the fix's prior for this failure ${round(input.priors[action.name] ?? 0, 2)}`}${raised} ${round(spec.alpha, 2)}/${round(spec.beta, 2)}, ` +
      `similar fingerprints ${similar.successes}✓ ${similar.failures}✗ over ${similar.fingerprints}, ` +
      `this fingerprint ${observed.successes}✓ ${observed.failures}✗ (×${observed.weight}); ` +
      `utility ${round(u.value)} (time to recover ~${Math.round(u.timeMs / 1000)}s ${est.timeSource === 'unknown' ? 'assumed' : `from ${est.timeSource}`}, cost ${round(u.cost, 2)})`;
    const candidate: Candidate = {
      action: action.name,
      score: round(theta * u.value, 6),
      posterior: est.posterior,
      eligible: true,
      reason,
    };
    return { action, candidate, theta, utility: u.value, est };
  });

  const eligible = scored.filter((s) => s.candidate.eligible);
  const best = eligible.reduce<(typeof eligible)[number] | undefined>(
    (b, s) => (b === undefined || s.candidate.score > b.candidate.score ? s : b),
    undefined,
  );

  const gate = guardrailGate({ state, loop, incident, attempts, now, action: best?.action });
  const level = gate.level;

  const explanationBase = {
    evidenceSummary: summarizeEvidence(incident),
    ...(incident.hypothesis === undefined ? {} : { hypothesis: describeHypothesis(incident.hypothesis) }),
    candidates: scored.map((s) => (s === best ? { ...s.candidate, reason: `chosen: highest score; ${s.candidate.reason}` } : s.candidate)),
    guardrails: gate.checks.map((c) => c.check),
  };
  const escalate = escalation({ autonomyLevel: level, attempt, ...chain }, explanationBase);

  const { blocking, waiting, mode } = gate;
  const wouldChoose = best === undefined ? '' : ` (would have chosen ${best.action.name})`;
  if (blocking.length > 0) {
    return { ...escalate(`escalated to people: ${describeGuardrails(blocking)}${wouldChoose}`), blocked: true };
  }
  if (best === undefined) {
    const tried = [...ruledOut.keys()].join(', ');
    return escalate(
      `escalated to people: no candidate left for this incident after ${attempts.length} attempt(s) (ruled out: ${tried || 'none'})`,
    );
  }
  if (gate.retryAt !== undefined)
    return escalate(
      `escalated: ${describeGuardrails(waiting)}; allowed again at ${new Date(gate.retryAt).toISOString()}${wouldChoose}`,
      gate.retryAt,
    );

  const why =
    `${best.action.name} has the highest score ${best.candidate.score} among ${eligible.length} eligible candidate(s) ` +
    `(sampled success ${round(best.theta)} × utility ${round(best.utility)}; posterior mean ${round(best.candidate.posterior?.mean ?? 0)})` +
    (attempt > 1 ? `; attempt ${attempt} after ${[...ruledOut.keys()].join(', ') || 'an earlier decision'}` : '') +
    hypothesisRanking(incident.hypothesis, best, eligible);
  return {
    action: { name: best.action.name, adapter: best.action.adapter, params: best.action.params },
    mode,
    autonomyLevel: level,
    attempt,
    ...chain,
    explanation: { ...explanationBase, chosenBecause: why + gate.modeWhy },
  };
}

/**
 * Which hypothesis ranked what: the actions whose prior it raised, and whether the chosen one is
 * among them, ranked by it alone (no outcome on this fingerprint yet) or by outcomes as well.
 */
function hypothesisRanking(
  hypothesis: Hypothesis | undefined,
  best: { action: { name: string }; est: ActionEstimate },
  eligible: readonly { action: { name: string }; est: ActionEstimate }[],
): string {
  if (hypothesis === undefined) return '';
  const raised = eligible
    .filter((s) => s.est.parts.hypothesis.weight > 0)
    .sort((a, b) => b.est.parts.hypothesis.weight - a.est.parts.hypothesis.weight);
  const suspect = `hypothesis ${describeSuspect(hypothesis)} (confidence ${round(hypothesis.confidence, 2)})`;
  if (raised.length === 0) return `; the ${suspect} matched no eligible action's addresses`;
  const list = raised.map((s) => `${s.action.name} (${s.est.parts.hypothesis.matched.join(', ')})`).join(', ');
  const { observed } = best.est.parts;
  const outcomes = observed.successes + observed.failures;
  const byOutcomes = outcomes > 0 ? ` and by ${outcomes} outcome(s) on this fingerprint` : ', before any outcome on this fingerprint';
  const sampled = `sampled higher${outcomes > 0 ? ' on its outcomes' : ' (exploration)'}`;
  if (raised[0] === best) return `; ranked first by the ${suspect}${byOutcomes}: it raised the prior of ${list}`;
  if (raised.includes(best)) return `; the ${suspect} raised the prior of ${list}; ${best.action.name}, not its first, ${sampled}`;
  return `; the ${suspect} raised ${list}, but ${best.action.name} ${sampled}`;
}

function describeSuspect(h: Hypothesis): string {
  return h.suspect.component === undefined ? h.suspect.service : `${h.suspect.service}/${h.suspect.component}`;
}

export function summarizeEvidence(incident: IncidentInput): string {
  const { series, logTemplates, failingSpans } = incident.evidence;
  const parts = [`${incident.severity} incident on ${incident.target}: ${incident.title}`];
  const topSeries = [...series].sort((a, b) => b.score - a.score).slice(0, 3);
  if (topSeries.length > 0) {
    const list = topSeries.map((s) => {
      const vs = s.observed === undefined ? '' : ` observed ${s.observed}${s.baseline === undefined ? '' : ` vs baseline ${s.baseline}`}`;
      return `${s.name} (score ${s.score}${vs})`;
    });
    parts.push(`${series.length} anomalous series: ${list.join(', ')}`);
  }
  const topLogs = [...logTemplates].sort((a, b) => b.count - a.count).slice(0, 3);
  if (topLogs.length > 0)
    parts.push(`${logTemplates.length} log template(s): ${topLogs.map((t) => `"${t.template}" ×${t.count}`).join(', ')}`);
  if (failingSpans.length > 0) {
    const names = [...new Set(failingSpans.map((s) => `${s.service} ${s.name}`))].slice(0, 3);
    const errors = [...new Set(failingSpans.flatMap((s) => (s.error ? [`"${s.error}"`] : [])))].slice(0, 3);
    parts.push(
      `${failingSpans.length} failing span(s): ${names.join(', ')}${errors.length > 0 ? `, failing with ${errors.join(', ')}` : ''}`,
    );
  }
  return parts.join('; ');
}

function describeHypothesis(h: Hypothesis): string {
  return `${h.summary} (suspect ${describeSuspect(h)}, confidence ${h.confidence})`;
}

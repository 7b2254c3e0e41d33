import type { Evidence, GuardrailCheck, Hypothesis } from '@homeostat/contracts';
import type { DecisionAnswer, DecisionMade, IncidentAnswer, IncidentSnapshot, LedgerEvent, OutcomeRecorded } from './ledger.types';
import { decisionProgress, type DecisionProgress } from './overview';

export interface CandidateView {
  action: string;
  score: number;
  mean: number | null;
  tries: number | null;
  eligible: boolean;
  verdict: 'chosen' | 'lost' | 'ineligible';
  /** Why it won or lost, in words. */
  why: string;
}

export interface GuardrailView {
  name: string;
  passed: boolean;
  detail: string;
  values: { key: string; value: string }[];
}

/** One decision, top to bottom as the loop thought it. */
export interface DecisionView {
  decisionId: string;
  incidentId: string;
  loop: string;
  loopVersion: string;
  target: string;
  fingerprint: string;
  attempt: number;
  previousDecisionId: string | null;
  decidedAt: string;
  /** The loop iteration's trace (from the decision's traceparent). */
  traceId: string | null;
  incident: { title: string; severity: string; status: string; openedAt: string; resolvedAt: string | null } | null;
  evidence: Evidence | null;
  evidenceSummary: string;
  hypothesis: Hypothesis | null;
  hypothesisText: string | null;
  candidates: CandidateView[];
  guardrails: GuardrailView[];
  autonomyLevel: string;
  mode: string;
  action: { name: string; adapter: string; params: string } | null;
  chosenBecause: string;
  people: { verdict: 'approved' | 'rejected'; actor: string; reason: string; at: string }[];
  started: { at: string; deadline: string; dryRun: boolean } | null;
  outcome: {
    status: string;
    timeToRecoverMs: number | null;
    verification: {
      passed: boolean;
      detail: string | null;
      checks: { name: string; passed: boolean; observed: string | null; detail: string | null }[];
    };
    rollback: { action: string; status: string; detail: string | null } | null;
    error: { code: string; message: string } | null;
  } | null;
  progress: DecisionProgress;
  /** repair or optimize when the decision is one of theirs: the console has a view of its own for those. */
  kind: 'repair' | 'optimize' | null;
}

export function traceIdOf(traceparent: string | undefined): string | null {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return m?.[1] ?? null;
}

const fmt = (v: unknown): string =>
  v === null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v);

function guardrailView(g: GuardrailCheck): GuardrailView {
  return {
    name: g.name,
    passed: g.passed,
    detail: g.detail,
    values: Object.entries(g.values).map(([key, value]) => ({ key, value: fmt(value) })),
  };
}

/** The candidates best first, each with why it won or lost. */
export function candidateViews(d: DecisionMade): CandidateView[] {
  const chosen = d.action?.name;
  const sorted = [...d.explanation.candidates].sort((a, b) => b.score - a.score);
  const winner = sorted.find((c) => c.action === chosen);
  return sorted.map((c) => {
    const verdict: CandidateView['verdict'] = c.action === chosen ? 'chosen' : c.eligible ? 'lost' : 'ineligible';
    const why =
      verdict === 'chosen'
        ? `won with the highest score among the eligible (${c.score.toFixed(3)}): ${c.reason}`
        : verdict === 'ineligible'
          ? `not eligible: ${c.reason}`
          : winner
            ? `lost to ${winner.action} (${c.score.toFixed(3)} < ${winner.score.toFixed(3)}): ${c.reason}`
            : `not chosen (${d.mode}): ${c.reason}`;
    return {
      action: c.action,
      score: c.score,
      mean: c.posterior?.mean ?? null,
      tries: c.posterior?.tries ?? null,
      eligible: c.eligible,
      verdict,
      why,
    };
  });
}

/** The incident as the decider saw it: its last snapshot at or before the decision. */
function snapshotAt(incident: IncidentAnswer | undefined, at: string): IncidentSnapshot | null {
  const snapshots = (incident?.events ?? []).filter(
    (e): e is LedgerEvent<IncidentSnapshot> => e.type === 'homeostat.incident.opened.v1' || e.type === 'homeostat.incident.updated.v1',
  );
  const before = snapshots.filter((e) => Date.parse(e.time) <= Date.parse(at));
  return (before.at(-1) ?? snapshots[0])?.data ?? null;
}

export function buildDecisionView(answer: DecisionAnswer, incident?: IncidentAnswer): DecisionView {
  const event = answer.decision;
  const d = event.data;
  const snapshot = snapshotAt(incident, event.time);
  const people = answer.commands
    .filter((c) => c.data.command === 'approve' || c.data.command === 'reject')
    .map((c) => ({
      verdict: c.data.command === 'approve' ? ('approved' as const) : ('rejected' as const),
      actor: c.data.actor,
      reason: c.data.reason,
      at: c.time,
    }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const startedEvent = answer.outcomes.find((o) => o.type === 'homeostat.action.started.v1') as
    LedgerEvent<{ startedAt: string; deadline: string; dryRun: boolean }> | undefined;
  const outcomeEvent = answer.outcomes.find((o) => o.type === 'homeostat.outcome.recorded.v1') as LedgerEvent<OutcomeRecorded> | undefined;
  const o = outcomeEvent?.data;
  const lastPerson = people.at(-1);
  const progress = decisionProgress({
    mode: d.mode,
    status: lastPerson?.verdict ?? 'made',
    outcome: o?.status ?? (startedEvent ? 'started' : ''),
  });
  return {
    decisionId: d.decisionId,
    incidentId: d.incidentId,
    loop: d.loop,
    loopVersion: d.loopVersion,
    target: d.target,
    fingerprint: d.fingerprint,
    attempt: d.attempt,
    previousDecisionId: d.previousDecisionId ?? null,
    decidedAt: event.time,
    traceId: traceIdOf(event.traceparent),
    incident: incident
      ? {
          title: incident.incident.title,
          severity: incident.incident.severity,
          status: incident.incident.status,
          openedAt: incident.incident.openedAt,
          resolvedAt: incident.incident.resolvedAt,
        }
      : null,
    evidence: snapshot?.evidence ?? null,
    evidenceSummary: d.explanation.evidenceSummary,
    hypothesis: snapshot?.hypothesis ?? null,
    hypothesisText: d.explanation.hypothesis ?? null,
    candidates: candidateViews(d),
    guardrails: d.explanation.guardrails.map(guardrailView),
    autonomyLevel: d.autonomyLevel,
    mode: d.mode,
    action: d.action ? { name: d.action.name, adapter: d.action.adapter, params: JSON.stringify(d.action.params) } : null,
    chosenBecause: d.explanation.chosenBecause,
    people,
    started: startedEvent
      ? { at: startedEvent.data.startedAt, deadline: startedEvent.data.deadline, dryRun: startedEvent.data.dryRun }
      : null,
    outcome: o
      ? {
          status: o.status,
          timeToRecoverMs: o.timeToRecoverMs,
          verification: {
            passed: o.verification.passed,
            detail: o.verification.detail ?? null,
            checks: o.verification.checks.map((c) => ({
              name: c.name,
              passed: c.passed,
              observed: c.observed === undefined ? null : String(c.observed),
              detail: c.detail ?? null,
            })),
          },
          rollback: o.rollback ? { action: o.rollback.action.name, status: o.rollback.status, detail: o.rollback.detail ?? null } : null,
          error: o.error ?? null,
        }
      : null,
    progress,
    kind: d.experiment !== undefined ? 'optimize' : snapshot?.buildFailure !== undefined || isFix(d) ? 'repair' : null,
  };
}

function isFix(d: DecisionMade): boolean {
  const params = d.action?.params as { fix?: unknown; repository?: unknown } | undefined;
  return params?.fix !== undefined && typeof params.repository === 'string';
}

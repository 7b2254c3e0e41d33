import type { EventData } from '@homeostat/contracts';

/*
 * What the learner's read API answers (services/learner ledger-query.service.ts), as the console
 * and its web UI read it. Pure types: the browser bundle imports them too.
 */

export type DecisionMade = EventData<'homeostat.decision.made.v1'>;
export type OutcomeRecorded = EventData<'homeostat.outcome.recorded.v1'>;
export type IncidentSnapshot = EventData<'homeostat.incident.opened.v1'>;

/** A CloudEvent as the ledger keeps it. */
export interface LedgerEvent<T = unknown> {
  id: string;
  type: string;
  time: string;
  subject: string;
  traceparent?: string;
  data: T;
}

export interface IncidentSummary {
  incidentId: string;
  loop: string;
  target: string;
  fingerprint: string;
  status: string;
  severity: string;
  title: string;
  openedAt: string;
  resolvedAt: string | null;
  timeToRecoverMs: number | null;
}

export interface DecisionSummary {
  decision_id: string;
  incident_id: string;
  loop: string;
  target: string;
  fingerprint: string;
  action: string;
  status: string;
  decided_at: string;
  mode: string;
  autonomy: string;
  attempt: number;
  trace_id: string;
  outcome: string;
  time_to_recover_ms: number | null;
}

export interface ControlCommandRow {
  event_id: string;
  command: string;
  actor: string;
  loop: string;
  decision_id: string;
  reason: string;
  issued_at: string;
  state: string;
}

export interface LoopStatusAnswer {
  standing: ControlCommandRow[];
  lastDecisions: LedgerEvent<DecisionMade>[];
}

export interface DecisionAnswer {
  decision: LedgerEvent<DecisionMade>;
  approvals: LedgerEvent<{ actor?: string; reason?: string }>[];
  /** People's commands about this decision (approve, reject) as recorded from loop.control. */
  commands?: LedgerEvent<{ command: string; actor: string; reason: string }>[];
  outcomes: LedgerEvent[];
}

export interface IncidentAnswer {
  incident: IncidentSummary;
  events: LedgerEvent[];
  decisions: LedgerEvent[];
  outcomes: LedgerEvent[];
}

export interface LearningCurvePoint {
  incidentId: string;
  fingerprint: string;
  openedAt: string;
  actions: string[];
  timeToDetectMs: number | null;
  timeToActMs: number | null;
  timeToRecoverMs: number | null;
}

export interface EffectivenessRow {
  loop: string;
  fingerprint: string;
  action: string;
  tries: number;
  successes: number;
  failures: number;
  successRate: number | null;
  medianTimeToRecoverMs: number | null;
  meanTimeToRecoverMs: number | null;
  lastOutcomeAt: string | null;
  autonomy: string | null;
  decisions: number;
}

export interface SeriesAnswer {
  name: string;
  labels: Record<string, string>;
  source: string | null;
  points: { t: string; value: number }[];
}

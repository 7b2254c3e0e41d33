/*
 * The learner's read API as the console and its web UI read it: the row types are the contract's
 * (libs/contracts ledger-api.ts); the answers that bundle them are the console's. Pure types: the
 * browser bundle imports them too.
 */
import type { ControlCommandRow, EventData, IncidentLinks, IncidentSummary } from '@homeostat/contracts';

export type {
  ControlCommandRow,
  DecisionSummary,
  EffectivenessRow,
  IncidentLinks,
  IncidentSummary,
  LearningCurvePoint,
  SeriesAnswer,
} from '@homeostat/contracts';

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

export interface LoopStatusAnswer {
  standing: ControlCommandRow[];
  lastDecisions: LedgerEvent<DecisionMade>[];
}

export interface DecisionAnswer {
  decision: LedgerEvent<DecisionMade>;
  /** People's commands about this decision (approve, reject) as recorded from loop.control. */
  commands: LedgerEvent<{ command: string; actor: string; reason: string }>[];
  outcomes: LedgerEvent[];
}

export interface IncidentAnswer {
  incident: IncidentSummary;
  links: IncidentLinks;
  events: LedgerEvent[];
  decisions: LedgerEvent[];
  outcomes: LedgerEvent[];
}

/** An optimize loop's experiment as the learner's /api/experiments answers it: null outcome while it runs. */
export interface ExperimentRecord {
  decision: LedgerEvent<DecisionMade>;
  outcome: LedgerEvent<OutcomeRecorded> | null;
}

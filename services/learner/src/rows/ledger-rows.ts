import { isVerifiedOutcome, type AnyEnvelope, type Envelope } from '@homeostat/contracts';
import { LEDGER_TABLES } from '@homeostat/store';
import { isoToDateTime64, isoToUnixMillis, isoToUnixNanos, nonEmpty, traceContextOf, type TableRows } from './row-values';

/*
 * Ledger rows (deploy/clickhouse/migrations/0004_ledger.sql). Every table is a ReplacingMergeTree
 * whose `version` is the event's time in Unix milliseconds, so a redelivered event collapses with
 * itself and a later state of the same entity wins. Each row is built from its own event alone
 * (no state), so a later event that carries fewer fields (incident resolved) writes '' into the
 * columns it cannot know; the full history stays in `event`. People's approvals and rejections are
 * control commands: they land in control_audit, and reads derive a decision's verdict from there.
 */

export type IncidentRow = {
  incident_id: string;
  version: number;
  event_id: string;
  event_type: string;
  loop: string;
  target: string;
  fingerprint: string;
  status: 'opened' | 'updated' | 'resolved';
  severity: string;
  summary: string;
  opened_at: string;
  updated_at: string;
  resolved_at: string | null;
  time_to_recover_ms: number | null;
  trace_id: string;
  event: string;
};

/** incident_links (migration 0007): an incident's opening after another, or a relapse. */
export type IncidentLinkRow = {
  incident_id: string;
  link: 'follows' | 'relapse';
  other_incident_id: string;
  at: string;
  loop: string;
  target: string;
  event_id: string;
};

/** Every event of an incident (migration 0009): its history, which `incidents` keeps only the latest of. */
export type IncidentEventRow = {
  incident_id: string;
  event_id: string;
  version: number;
  event_type: string;
  loop: string;
  target: string;
  opened_at: string;
  event: string;
};

/** A repair failure with its features (migration 0010), for the similar ones of later failures in any loop. */
export type RepairFailureRow = {
  incident_id: string;
  version: number;
  event_id: string;
  loop: string;
  target: string;
  signature: string;
  category: string;
  opened_at: string;
  feature_keys: string[];
  feature_weights: number[];
};

/** One feature of a repair failure (migration 0010): the failures that share a feature are found by it. */
export type RepairFailureFeatureRow = {
  feature: string;
  incident_id: string;
  version: number;
  weight: number;
  /** The norm of the failure's weights alone, the same on each of its features (a bound on its score). */
  weight_norm: number;
  /** Its IDF-weighted norm, weighed when written (failure-norms.ts); without it, weight_norm. */
  norm?: number;
  loop: string;
  target: string;
};

export type DecisionRow = {
  decision_id: string;
  version: number;
  event_id: string;
  event_type: string;
  incident_id: string;
  loop: string;
  target: string;
  fingerprint: string;
  action: string;
  /** Always 'made': people's verdicts are in control_audit (approve / reject commands). */
  status: 'made';
  risk: string;
  dry_run: boolean;
  explanation: string;
  decided_at: string;
  updated_at: string;
  trace_id: string;
  event: string;
};

export type OutcomeRow = {
  event_id: string;
  version: number;
  event_type: string;
  decision_id: string;
  incident_id: string;
  loop: string;
  target: string;
  fingerprint: string;
  action: string;
  /** 'started' for an action that began, else the outcome status (succeeded, failed, ...). */
  status: string;
  success: boolean;
  /** The outcome teaches whether the action works (contracts' isVerifiedOutcome); what knowledge counts. */
  verified: boolean;
  rolled_back: boolean;
  time_to_recover_ms: number | null;
  started_at: string;
  finished_at: string;
  trace_id: string;
  event: string;
};

export type KnowledgeRow = {
  loop: string;
  fingerprint: string;
  action: string;
  version: number;
  attempts: number;
  successes: number;
  failures: number;
  alpha: number;
  beta: number;
  mean_time_to_recover_ms: number | null;
  last_outcome_at: string | null;
  updated_at: string;
  event: string;
};

export type ControlAuditRow = {
  event_id: string;
  version: number;
  event_type: string;
  command: string;
  actor: string;
  loop: string;
  target: string;
  decision_id: string;
  incident_id: string;
  reason: string;
  issued_at: string;
  trace_id: string;
  event: string;
};

/** The ledger rows of a loop event; other events have none. */
export function ledgerRows(event: AnyEnvelope): TableRows[] {
  switch (event.type) {
    case 'homeostat.incident.opened.v1':
    case 'homeostat.incident.updated.v1':
    case 'homeostat.incident.resolved.v1':
      return nonEmpty([
        { table: LEDGER_TABLES.incidents, rows: [incidentRow(event)] },
        { table: LEDGER_TABLES.incidentLinks, rows: incidentLinkRows(event) },
        { table: LEDGER_TABLES.incidentEvents, rows: [incidentEventRow(event)] },
        ...(event.type === 'homeostat.incident.opened.v1' ? repairFailureRows(event) : []),
      ]);
    case 'homeostat.decision.made.v1':
      return [{ table: LEDGER_TABLES.decisions, rows: [decisionRow(event)] }];
    case 'homeostat.action.started.v1':
    case 'homeostat.outcome.recorded.v1':
      return [{ table: LEDGER_TABLES.outcomes, rows: [outcomeRow(event)] }];
    case 'homeostat.knowledge.updated.v1':
      return [{ table: LEDGER_TABLES.knowledge, rows: [knowledgeRow(event)] }];
    case 'homeostat.control.v1':
      return [{ table: LEDGER_TABLES.controlAudit, rows: [controlAuditRow(event)] }];
    default:
      return [];
  }
}

/** Columns every ledger row with an event id carries. */
function eventColumns(event: AnyEnvelope): { version: number; event_id: string; event_type: string; trace_id: string; event: string } {
  return {
    version: isoToUnixMillis(event.time),
    event_id: event.id,
    event_type: event.type,
    trace_id: traceContextOf(event.traceparent)?.traceId ?? '',
    event: JSON.stringify(event),
  };
}

const ms = (iso: string): string => isoToDateTime64(iso, 3);

/** Whole milliseconds from `from` to `to`, never negative (UInt64). */
function millisBetween(from: string, to: string): number {
  const nanos = isoToUnixNanos(to) - isoToUnixNanos(from);
  return nanos > 0n ? Number(nanos / 1_000_000n) : 0;
}

type EventOf<T extends AnyEnvelope['type']> = Extract<AnyEnvelope, { type: T }>;

function incidentRow(
  event: EventOf<'homeostat.incident.opened.v1' | 'homeostat.incident.updated.v1' | 'homeostat.incident.resolved.v1'>,
): IncidentRow {
  const base = {
    incident_id: event.data.incidentId,
    ...eventColumns(event),
    loop: event.data.loop,
    target: event.data.target,
    fingerprint: event.data.fingerprint,
    opened_at: ms(event.data.openedAt),
  };
  switch (event.type) {
    case 'homeostat.incident.opened.v1':
      return {
        ...base,
        status: 'opened',
        severity: event.data.severity,
        summary: event.data.title,
        updated_at: ms(event.data.openedAt),
        resolved_at: null,
        time_to_recover_ms: null,
      };
    case 'homeostat.incident.updated.v1':
      return {
        ...base,
        status: 'updated',
        severity: event.data.severity,
        summary: event.data.title,
        updated_at: ms(event.data.updatedAt),
        resolved_at: null,
        time_to_recover_ms: null,
      };
    case 'homeostat.incident.resolved.v1':
      return {
        ...base,
        status: 'resolved',
        severity: event.data.severity ?? '',
        summary: event.data.title ?? '',
        updated_at: ms(event.data.resolvedAt),
        resolved_at: ms(event.data.resolvedAt),
        time_to_recover_ms: millisBetween(event.data.openedAt, event.data.resolvedAt),
      };
  }
}

function incidentEventRow(
  event: EventOf<'homeostat.incident.opened.v1' | 'homeostat.incident.updated.v1' | 'homeostat.incident.resolved.v1'>,
): IncidentEventRow {
  const { version, event_id, event_type, event: json } = eventColumns(event);
  return {
    incident_id: event.data.incidentId,
    event_id,
    version,
    event_type,
    loop: event.data.loop,
    target: event.data.target,
    opened_at: ms(event.data.openedAt),
    event: json,
  };
}

/**
 * A repair failure's rows, from its opening (the only event that carries its features); none for
 * other incidents, and for repair failures from an analyzer that did not send features.
 */
export function repairFailureRows(event: Envelope<'homeostat.incident.opened.v1'>): TableRows[] {
  const d = event.data;
  const failure = d.buildFailure;
  if (failure?.features === undefined) return [];
  const entries = Object.entries(failure.features);
  const common = { incident_id: d.incidentId, version: isoToUnixMillis(event.time), loop: d.loop, target: d.target };
  const weightNorm = Math.sqrt(entries.reduce((sum, [, w]) => sum + w * w, 0));
  const failureRow: RepairFailureRow = {
    ...common,
    event_id: event.id,
    signature: failure.signature,
    category: failure.category,
    opened_at: ms(d.openedAt),
    feature_keys: entries.map(([key]) => key),
    feature_weights: entries.map(([, w]) => w),
  };
  const featureRows: RepairFailureFeatureRow[] = entries.map(([feature, weight]) => ({
    ...common,
    feature,
    weight,
    weight_norm: weightNorm,
  }));
  return nonEmpty([
    { table: LEDGER_TABLES.repairFailures, rows: [failureRow] },
    { table: LEDGER_TABLES.repairFailureFeatures, rows: featureRows },
  ]);
}

function incidentLinkRows(
  event: EventOf<'homeostat.incident.opened.v1' | 'homeostat.incident.updated.v1' | 'homeostat.incident.resolved.v1'>,
): IncidentLinkRow[] {
  const d = event.data;
  const common = { incident_id: d.incidentId, loop: d.loop, target: d.target, event_id: event.id };
  switch (event.type) {
    case 'homeostat.incident.opened.v1':
      return event.data.previousIncidentId === undefined
        ? []
        : [{ ...common, link: 'follows', other_incident_id: event.data.previousIncidentId, at: ms(event.data.openedAt) }];
    case 'homeostat.incident.updated.v1':
      return event.data.relapsedAt === undefined
        ? []
        : [{ ...common, link: 'relapse', other_incident_id: '', at: ms(event.data.relapsedAt) }];
    case 'homeostat.incident.resolved.v1':
      return [];
  }
}

function decisionRow(event: Envelope<'homeostat.decision.made.v1'>): DecisionRow {
  const at = ms(event.time);
  const d = event.data;
  return {
    decision_id: d.decisionId,
    ...eventColumns(event),
    incident_id: d.incidentId,
    loop: d.loop,
    target: d.target,
    fingerprint: d.fingerprint,
    action: d.action?.name ?? '',
    status: 'made',
    // The decision carries no risk level of its own; the loop spec has it per action.
    risk: '',
    dry_run: d.mode === 'dry-run',
    explanation: JSON.stringify(d.explanation),
    decided_at: at,
    updated_at: at,
  };
}

function outcomeRow(event: EventOf<'homeostat.action.started.v1' | 'homeostat.outcome.recorded.v1'>): OutcomeRow {
  const d = event.data;
  const base = {
    ...eventColumns(event),
    decision_id: d.decisionId,
    incident_id: d.incidentId,
    loop: d.loop,
    target: d.target,
    fingerprint: d.fingerprint,
    action: d.action.name,
    started_at: ms(d.startedAt),
  };
  if (event.type === 'homeostat.action.started.v1') {
    // Nothing has finished yet; finished_at (the partition key) takes the start.
    return {
      ...base,
      status: 'started',
      success: false,
      verified: false,
      rolled_back: false,
      time_to_recover_ms: null,
      finished_at: ms(event.data.startedAt),
    };
  }
  const o = event.data;
  return {
    ...base,
    status: o.status,
    success: o.status === 'succeeded',
    verified: isVerifiedOutcome(o),
    rolled_back: o.status === 'rolled-back' || o.rollback !== undefined,
    time_to_recover_ms: o.timeToRecoverMs === null ? null : Math.round(o.timeToRecoverMs),
    finished_at: ms(o.finishedAt),
  };
}

function knowledgeRow(event: Envelope<'homeostat.knowledge.updated.v1'>): KnowledgeRow {
  const k = event.data;
  return {
    loop: k.loop,
    fingerprint: k.fingerprint,
    action: k.action,
    version: isoToUnixMillis(event.time),
    attempts: k.tries,
    successes: k.successes,
    failures: k.failures,
    alpha: k.posterior.alpha,
    beta: k.posterior.beta,
    mean_time_to_recover_ms: k.meanTimeToRecoverMs,
    last_outcome_at: ms(k.lastOutcomeAt),
    updated_at: ms(event.time),
    event: JSON.stringify(event),
  };
}

function controlAuditRow(event: Envelope<'homeostat.control.v1'>): ControlAuditRow {
  const c = event.data;
  return {
    ...eventColumns(event),
    command: c.command,
    actor: c.actor,
    loop: 'loop' in c && c.loop !== undefined ? c.loop : '',
    target: event.subject,
    decision_id: 'decisionId' in c ? c.decisionId : '',
    incident_id: '',
    reason: c.reason,
    issued_at: ms(event.time),
  };
}

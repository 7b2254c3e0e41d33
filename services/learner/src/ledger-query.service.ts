import { Injectable } from '@nestjs/common';
import { LEDGER_TABLES } from '@homeostat/store';
import { LearnerStore } from './learner-store.service';

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

export interface LearningCurvePoint {
  incidentId: string;
  fingerprint: string;
  openedAt: string;
  actions: string[];
  /** From the first anomalous signal to the incident being opened. */
  timeToDetectMs: number | null;
  /** From the incident being opened to the first action starting. */
  timeToActMs: number | null;
  /** From the first anomalous signal to the incident being resolved. */
  timeToRecoverMs: number | null;
}

const ISO = (col: string) => `formatDateTime(${col}, '%Y-%m-%dT%H:%i:%S.%fZ')`;

/**
 * Reads of the ledger for people and other services (the learner owns ClickHouse). Rows of one
 * entity are folded with argMax over the version, so a later event that knows fewer fields (a
 * resolution, an approval) does not hide what an earlier one said.
 */
@Injectable()
export class LedgerQueryService {
  constructor(private readonly store: LearnerStore) {}

  private async rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const result = await this.store.store.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }

  async incidents(filter: { status?: string; limit: number }): Promise<IncidentSummary[]> {
    const rows = await this.rows<Record<string, string | number | null>>(
      `SELECT incident_id, argMax(loop, version) AS loop, argMax(target, version) AS target, argMax(fingerprint, version) AS fingerprint,
              argMax(status, version) AS status, argMaxIf(severity, version, severity != '') AS severity, argMaxIf(summary, version, summary != '') AS title,
              ${ISO('min(opened_at)')} AS opened_at, ${ISO('maxOrNull(resolved_at)')} AS resolved_at, maxOrNull(time_to_recover_ms) AS ttr
       FROM ${LEDGER_TABLES.incidents}
       GROUP BY incident_id
       HAVING {status:String} = '' OR status = {status:String}
       ORDER BY opened_at DESC
       LIMIT {limit:UInt32}`,
      { status: filter.status ?? '', limit: filter.limit },
    );
    return rows.map((r) => ({
      incidentId: String(r['incident_id']),
      loop: String(r['loop']),
      target: String(r['target']),
      fingerprint: String(r['fingerprint']),
      status: String(r['status']),
      severity: String(r['severity']),
      title: String(r['title']),
      openedAt: String(r['opened_at']),
      resolvedAt: r['resolved_at'] === null ? null : String(r['resolved_at']),
      timeToRecoverMs: r['ttr'] === null ? null : Number(r['ttr']),
    }));
  }

  /** Every event of an incident, its decisions and their outcomes, oldest first. */
  async incident(incidentId: string): Promise<{ incident: IncidentSummary; events: unknown[]; decisions: unknown[]; outcomes: unknown[] } | undefined> {
    const [incident] = (await this.incidents({ limit: 100_000 })).filter((i) => i.incidentId === incidentId);
    if (!incident) return undefined;
    const events = await this.events(LEDGER_TABLES.incidents, 'incident_id', incidentId);
    const decisions = await this.events(LEDGER_TABLES.decisions, 'incident_id', incidentId);
    const outcomes = await this.events(LEDGER_TABLES.outcomes, 'incident_id', incidentId);
    return { incident, events, decisions, outcomes };
  }

  async decisions(limit: number): Promise<unknown[]> {
    return this.rows(
      `SELECT decision_id, argMaxIf(incident_id, version, incident_id != '') AS incident_id, argMaxIf(loop, version, loop != '') AS loop,
              argMaxIf(target, version, target != '') AS target, argMaxIf(fingerprint, version, fingerprint != '') AS fingerprint,
              argMaxIf(action, version, action != '') AS action, argMax(status, version) AS status, ${ISO('min(decided_at)')} AS decided_at
       FROM ${LEDGER_TABLES.decisions} GROUP BY decision_id ORDER BY decided_at DESC LIMIT {limit:UInt32}`,
      { limit },
    );
  }

  /** The decision as made (with its explanation), what people said about it, and its outcome. */
  async decision(decisionId: string): Promise<{ decision: unknown; approvals: unknown[]; outcomes: unknown[] } | undefined> {
    const events = await this.events(LEDGER_TABLES.decisions, 'decision_id', decisionId);
    const made = events.find((e) => (e as { type?: string }).type === 'homeostat.decision.made.v1');
    if (!made) return undefined;
    return {
      decision: made,
      approvals: events.filter((e) => e !== made),
      outcomes: await this.events(LEDGER_TABLES.outcomes, 'decision_id', decisionId),
    };
  }

  async learningCurve(loop: string | undefined): Promise<LearningCurvePoint[]> {
    const rows = await this.rows<{ incident_id: string; fingerprint: string; opened_at: string; detected_at: string; resolved_at: string | null; actions: string[]; first_action_at: string | null }>(
      `SELECT i.incident_id AS incident_id, i.fingerprint AS fingerprint, ${ISO('i.opened_at')} AS opened_at, ${ISO('i.detected_at')} AS detected_at,
              if(i.resolved_at IS NULL, NULL, ${ISO('assumeNotNull(i.resolved_at)')}) AS resolved_at,
              o.actions AS actions, if(o.first_action_at IS NULL, NULL, ${ISO('assumeNotNull(o.first_action_at)')}) AS first_action_at
       FROM (
         SELECT incident_id, argMax(fingerprint, version) AS fingerprint, argMax(loop, version) AS loop, min(opened_at) AS opened_at,
                minIf(updated_at, status = 'opened') AS detected_at, maxOrNull(resolved_at) AS resolved_at
         FROM ${LEDGER_TABLES.incidents} GROUP BY incident_id
       ) AS i
       LEFT JOIN (
         SELECT incident_id, groupArray(action) AS actions, minOrNull(started_at) AS first_action_at
         FROM (SELECT incident_id, action, started_at FROM ${LEDGER_TABLES.outcomes} FINAL WHERE status = 'started' ORDER BY started_at)
         GROUP BY incident_id
       ) AS o ON o.incident_id = i.incident_id
       WHERE {loop:String} = '' OR i.loop = {loop:String}
       ORDER BY i.opened_at`,
      { loop: loop ?? '' },
    );
    const t = (s: string | null): number | null => (s === null ? null : Date.parse(s));
    const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.max(0, a - b));
    return rows.map((r) => ({
      incidentId: r.incident_id,
      fingerprint: r.fingerprint,
      openedAt: r.opened_at,
      actions: r.actions ?? [],
      timeToDetectMs: diff(t(r.detected_at), t(r.opened_at)),
      timeToActMs: diff(t(r.first_action_at), t(r.detected_at)),
      timeToRecoverMs: diff(t(r.resolved_at), t(r.opened_at)),
    }));
  }

  private async events(table: string, column: string, id: string): Promise<unknown[]> {
    const rows = await this.rows<{ event: string }>(`SELECT event FROM ${table} WHERE ${column} = {id:String} ORDER BY version, event_id LIMIT 1 BY event_id`, { id });
    return rows.map((r) => JSON.parse(r.event) as unknown);
  }
}

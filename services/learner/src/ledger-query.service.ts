import { Injectable } from '@nestjs/common';
import { LEDGER_TABLES } from '@homeostat/store';
import type {
  ControlCommandRow,
  DecisionSummary,
  EffectivenessRow,
  IncidentLinks,
  IncidentSummary,
  LearningCurvePoint,
  SimilarFailuresAnswer,
} from '@homeostat/contracts';
import { LearnerStore } from './learner-store.service';
import { findSimilarFailures, type SimilarFailuresQuery } from './similar-failures.query';

const MADE = 'homeostat.decision.made.v1';
const RECORDED = 'homeostat.outcome.recorded.v1';

const ISO = (col: string) => `formatDateTime(${col}, '%Y-%m-%dT%H:%i:%S.%fZ')`;

/**
 * Reads of the ledger for people and other services (the learner owns ClickHouse). Rows of one
 * entity are folded with argMax over the version, so a later event that knows fewer fields (a
 * resolution) does not hide what an earlier one said.
 */
@Injectable()
export class LedgerQueryService {
  constructor(private readonly store: LearnerStore) {}

  private async rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const result = await this.store.store.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }

  async incidents(filter: { status?: string; limit: number; incidentId?: string }): Promise<IncidentSummary[]> {
    const rows = await this.rows<Record<string, string | number | null>>(
      `SELECT incident_id, argMax(loop, version) AS loop, argMax(target, version) AS target, argMax(fingerprint, version) AS fingerprint,
              argMax(status, version) AS status, argMaxIf(severity, version, severity != '') AS severity, argMaxIf(summary, version, summary != '') AS title,
              ${ISO('min(opened_at)')} AS opened_at, ${ISO('maxOrNull(resolved_at)')} AS resolved_at, maxOrNull(time_to_recover_ms) AS ttr
       FROM ${LEDGER_TABLES.incidents}
       WHERE {id:String} = '' OR incident_id = {id:String}
       GROUP BY incident_id
       HAVING {status:String} = '' OR status = {status:String}
       ORDER BY opened_at DESC
       LIMIT {limit:UInt32}`,
      { status: filter.status ?? '', limit: filter.limit, id: filter.incidentId ?? '' },
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

  /**
   * An incident: every event of it (incident_events, which keeps what `incidents` merges away), how it stands to
   * the incidents before and after it, its decisions and their outcomes, oldest first.
   */
  async incident(
    incidentId: string,
  ): Promise<
    { incident: IncidentSummary; links: IncidentLinks; events: unknown[]; decisions: unknown[]; outcomes: unknown[] } | undefined
  > {
    const [incident] = await this.incidents({ limit: 1, incidentId });
    if (!incident) return undefined;
    const events = await this.events(LEDGER_TABLES.incidentEvents, 'incident_id', incidentId);
    const links = await this.links(incidentId);
    const decisions = await this.events(LEDGER_TABLES.decisions, 'incident_id', incidentId);
    const outcomes = await this.events(LEDGER_TABLES.outcomes, 'incident_id', incidentId);
    return { incident, links, events, decisions, outcomes };
  }

  private async links(incidentId: string): Promise<IncidentLinks> {
    const rows = await this.rows<{ incident_id: string; link: string; other_incident_id: string; at: string }>(
      `SELECT DISTINCT incident_id, link, other_incident_id, ${ISO('at')} AS at
       FROM ${LEDGER_TABLES.incidentLinks}
       WHERE incident_id = {id:String} OR (link = 'follows' AND other_incident_id = {id:String})
       ORDER BY at`,
      { id: incidentId },
    );
    const own = rows.filter((r) => r.incident_id === incidentId);
    return {
      follows: own.find((r) => r.link === 'follows')?.other_incident_id ?? null,
      followedBy: rows.filter((r) => r.link === 'follows' && r.other_incident_id === incidentId).map((r) => r.incident_id),
      relapses: own.filter((r) => r.link === 'relapse').map((r) => r.at),
    };
  }

  /**
   * The latest decisions with what people and the executor made of them: how it was to run (mode,
   * autonomy), whether a person approved or rejected it (their commands on loop.control), and the
   * last outcome status ('' for none).
   */
  async decisions(limit: number, filter: { loop?: string; mode?: string } = {}): Promise<DecisionSummary[]> {
    return this.rows<DecisionSummary>(
      `SELECT d.decision_id AS decision_id, d.incident_id AS incident_id, d.loop AS loop, d.target AS target, d.fingerprint AS fingerprint,
              d.action AS action, multiIf(p.verdict = 'approve', 'approved', p.verdict = 'reject', 'rejected', d.status) AS status, ${ISO('d.decided_at')} AS decided_at, d.mode AS mode, d.autonomy AS autonomy,
              d.attempt AS attempt, d.trace_id AS trace_id, o.outcome AS outcome, o.ttr AS time_to_recover_ms
       FROM (
         SELECT decision_id, argMaxIf(incident_id, version, incident_id != '') AS incident_id, argMaxIf(loop, version, loop != '') AS loop,
                argMaxIf(target, version, target != '') AS target, argMaxIf(fingerprint, version, fingerprint != '') AS fingerprint,
                argMaxIf(action, version, action != '') AS action, argMax(status, version) AS status, min(decided_at) AS decided_at,
                anyIf(JSONExtractString(event, 'data', 'mode'), event_type = '${MADE}') AS mode,
                anyIf(JSONExtractString(event, 'data', 'autonomyLevel'), event_type = '${MADE}') AS autonomy,
                anyIf(JSONExtractUInt(event, 'data', 'attempt'), event_type = '${MADE}') AS attempt,
                anyIf(trace_id, event_type = '${MADE}') AS trace_id
         FROM ${LEDGER_TABLES.decisions}
         GROUP BY decision_id
         HAVING ({loop:String} = '' OR loop = {loop:String}) AND ({mode:String} = '' OR mode = {mode:String})
         ORDER BY decided_at DESC LIMIT {limit:UInt32}
       ) AS d
       LEFT JOIN (
         SELECT decision_id, argMax(status, version) AS outcome, argMax(time_to_recover_ms, version) AS ttr
         FROM ${LEDGER_TABLES.outcomes} GROUP BY decision_id
       ) AS o ON o.decision_id = d.decision_id
       LEFT JOIN (
         SELECT decision_id, argMax(command, issued_at) AS verdict
         FROM ${LEDGER_TABLES.controlAudit} FINAL WHERE command IN ('approve', 'reject') AND decision_id != '' GROUP BY decision_id
       ) AS p ON p.decision_id = d.decision_id
       ORDER BY d.decided_at DESC`,
      { limit, loop: filter.loop ?? '', mode: filter.mode ?? '' },
    ).then((rows) =>
      rows.map((r) => ({
        ...r,
        attempt: Number(r.attempt),
        time_to_recover_ms: r.time_to_recover_ms === null ? null : Number(r.time_to_recover_ms),
      })),
    );
  }

  /** People's commands, newest first: the audit trail of who did what. */
  async controlCommands(limit: number): Promise<ControlCommandRow[]> {
    return this.rows<ControlCommandRow>(
      `SELECT event_id, command, actor, loop, decision_id, reason, ${ISO('issued_at')} AS issued_at, JSONExtractString(event, 'data', 'state') AS state
       FROM ${LEDGER_TABLES.controlAudit} FINAL ORDER BY issued_at DESC, event_id DESC LIMIT {limit:UInt32}`,
      { limit },
    );
  }

  /**
   * What still stands of people's switches, however old: the last kill-switch command globally and
   * per loop, and the last pause or resume per loop. With each loop's latest decision (its
   * guardrail checks say whether the circuit breaker is open) this is a loop's state.
   */
  async loopStatus(): Promise<{ standing: ControlCommandRow[]; lastDecisions: unknown[] }> {
    const standing = await this.rows<ControlCommandRow>(
      `SELECT event_id, command, actor, loop, decision_id, reason, ${ISO('issued_at')} AS issued_at, JSONExtractString(event, 'data', 'state') AS state
       FROM ${LEDGER_TABLES.controlAudit} FINAL
       WHERE command IN ('kill-switch', 'pause-loop', 'resume-loop')
       ORDER BY issued_at DESC, event_id DESC
       LIMIT 1 BY command = 'kill-switch', loop`,
    );
    const last = await this.rows<{ event: string }>(
      `SELECT event FROM ${LEDGER_TABLES.decisions} WHERE event_type = '${MADE}' ORDER BY decided_at DESC, decision_id DESC LIMIT 1 BY loop`,
    );
    return { standing, lastDecisions: last.map((r) => JSON.parse(r.event) as unknown) };
  }

  /**
   * Per fingerprint × action what the loop learned (the learner's knowledge table: verified tries,
   * successes, median time to recover) and the autonomy level its latest decision ran at.
   */
  async effectiveness(loop: string | undefined): Promise<EffectivenessRow[]> {
    const rows = await this.rows<Record<string, string | number | null>>(
      `SELECT k.loop AS loop, k.fingerprint AS fingerprint, k.action AS action, k.attempts AS tries, k.successes AS successes, k.failures AS failures,
              k.p50 AS p50, k.mean_ttr AS mean_ttr, k.last_at AS last_at, k.params AS params, a.autonomy AS autonomy, a.decisions AS decisions
       FROM (
         SELECT loop, fingerprint, action, attempts, successes, failures, mean_time_to_recover_ms AS mean_ttr,
                JSONExtract(event, 'data', 'p50TimeToRecoverMs', 'Nullable(Float64)') AS p50,
                if(last_outcome_at IS NULL, '', ${ISO('assumeNotNull(last_outcome_at)')}) AS last_at,
                JSONExtractRaw(event, 'data', 'params') AS params
         FROM ${LEDGER_TABLES.knowledge} FINAL
         WHERE {loop:String} = '' OR loop = {loop:String}
       ) AS k
       LEFT JOIN (
         SELECT loop, fingerprint, action, argMax(JSONExtractString(event, 'data', 'autonomyLevel'), version) AS autonomy, count() AS decisions
         FROM ${LEDGER_TABLES.decisions} WHERE event_type = '${MADE}' GROUP BY loop, fingerprint, action
       ) AS a ON a.loop = k.loop AND a.fingerprint = k.fingerprint AND a.action = k.action
       ORDER BY fingerprint, successes / greatest(tries, 1) DESC, action`,
      { loop: loop ?? '' },
    );
    const num = (v: string | number | null | undefined): number | null =>
      v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v);
    return rows.map((r) => ({
      loop: String(r['loop']),
      fingerprint: String(r['fingerprint']),
      action: String(r['action']),
      tries: Number(r['tries']),
      successes: Number(r['successes']),
      failures: Number(r['failures']),
      successRate: Number(r['tries']) > 0 ? Number(r['successes']) / Number(r['tries']) : null,
      medianTimeToRecoverMs: num(r['p50']),
      meanTimeToRecoverMs: num(r['mean_ttr']),
      lastOutcomeAt: r['last_at'] ? String(r['last_at']) : null,
      autonomy: r['autonomy'] ? String(r['autonomy']) : null,
      decisions: Number(r['decisions'] ?? 0),
      ...(r['params'] ? { params: JSON.parse(String(r['params'])) as Record<string, unknown> } : {}),
    }));
  }

  /**
   * An optimize loop's experiments, oldest first (the latest `limit`): each decision that started
   * one (its `experiment`) with the outcome that judged it (null while it runs).
   */
  async experiments(loop: string, limit: number): Promise<{ decision: unknown; outcome: unknown }[]> {
    const rows = await this.rows<{ decision: string; outcome: string }>(
      `SELECT d.made AS decision, o.recorded AS outcome
       FROM (
         SELECT decision_id, any(event) AS made, min(decided_at) AS first_at
         FROM ${LEDGER_TABLES.decisions}
         WHERE event_type = '${MADE}' AND loop = {loop:String} AND JSONHas(event, 'data', 'experiment')
         GROUP BY decision_id ORDER BY first_at DESC, decision_id DESC LIMIT {limit:UInt32}
       ) AS d
       LEFT JOIN (
         SELECT decision_id, argMax(event, version) AS recorded
         FROM ${LEDGER_TABLES.outcomes} WHERE event_type = '${RECORDED}' AND loop = {loop:String} GROUP BY decision_id
       ) AS o ON o.decision_id = d.decision_id
       ORDER BY d.first_at, d.decision_id`,
      { loop, limit },
    );
    return rows.map((r) => ({
      decision: JSON.parse(r.decision) as unknown,
      outcome: r.outcome ? (JSON.parse(r.outcome) as unknown) : null,
    }));
  }

  /**
   * The decision as made (with its explanation), what people said about it (their approve/reject
   * commands as recorded from loop.control), and its outcome.
   */
  async decision(decisionId: string): Promise<{ decision: unknown; commands: unknown[]; outcomes: unknown[] } | undefined> {
    const events = await this.events(LEDGER_TABLES.decisions, 'decision_id', decisionId);
    const made = events.find((e) => (e as { type?: string }).type === MADE);
    if (!made) return undefined;
    const commands = await this.rows<{ event: string }>(
      `SELECT event FROM ${LEDGER_TABLES.controlAudit} FINAL WHERE decision_id = {id:String} ORDER BY issued_at, event_id`,
      { id: decisionId },
    );
    return {
      decision: made,
      commands: commands.map((r) => JSON.parse(r.event) as unknown),
      outcomes: await this.events(LEDGER_TABLES.outcomes, 'decision_id', decisionId),
    };
  }

  async learningCurve(loop: string | undefined): Promise<LearningCurvePoint[]> {
    const rows = await this.rows<{
      incident_id: string;
      fingerprint: string;
      opened_at: string;
      detected_at: string;
      resolved_at: string | null;
      actions: string[];
      first_action_at: string | null;
    }>(
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

  /** The stored repair failures (any loop, or the loops named) most similar to a failure's features: similar-failures.query.ts. */
  similarFailures(query: SimilarFailuresQuery): Promise<SimilarFailuresAnswer> {
    return findSimilarFailures(this.store.store.client, query);
  }

  private async events(table: string, column: string, id: string): Promise<unknown[]> {
    const rows = await this.rows<{ event: string }>(
      `SELECT event FROM ${table} WHERE ${column} = {id:String} ORDER BY version, event_id LIMIT 1 BY event_id`,
      { id },
    );
    return rows.map((r) => JSON.parse(r.event) as unknown);
  }
}

import { Injectable } from '@nestjs/common';
import { EventPublisher } from '@homeostat/bus';
import { isVerifiedOutcome, knowledgeKey, type EventData } from '@homeostat/contracts';
import { LEDGER_TABLES } from '@homeostat/store';
import { LearnerStore } from './learner-store.service';

interface KnowledgeRow {
  tries: string | number;
  successes: string | number;
  failures: string | number;
  mean_ttr: number | null;
  p50_ttr: number | null;
  last_at: string;
  params: string;
}

/**
 * An optimize loop's regime → config memory: the params (the config patch) of the action's latest
 * kept experiment against the regime. Other loops' outcomes carry no experiment: nothing is added.
 */
function knownGoodParams(raw: string | undefined): { params?: Record<string, JsonValue> } {
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? { params: parsed as Record<string, JsonValue> } : {};
  } catch {
    return {};
  }
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * What the loop knows about one action against one kind of failure, recomputed from the outcome
 * ledger after each verified outcome (with FINAL, so a redelivered outcome counts once) and
 * published on the compacted loop.knowledge, keyed by fingerprint|action: the decider's view.
 * The posterior is Beta(1 + successes, 1 + failures); the decider adds its own priors.
 *
 * A fix the incident relapsed after (a later decision names it as `relapseOf`) did not hold: it
 * counts as a failure, and its time to recover is not a time to recover. So a fix that only holds
 * for a moment stops winning; a relapse decision recomputes the knowledge of the fix it names.
 */
@Injectable()
export class KnowledgeService {
  constructor(
    private readonly store: LearnerStore,
    private readonly publisher: EventPublisher,
  ) {}

  async refresh(outcome: EventData<'homeostat.outcome.recorded.v1'>): Promise<void> {
    if (!isVerifiedOutcome(outcome)) return;
    const k = await this.compute(outcome.loop, outcome.fingerprint, outcome.action.name);
    if (!k) return;
    await this.publisher.publish('homeostat.knowledge.updated.v1', {
      subject: outcome.target,
      key: knowledgeKey(outcome.fingerprint, outcome.action.name),
      data: k,
    });
  }

  /** A decision taken because an earlier fix did not hold: that fix's action is known a little better. */
  async relapse(decision: EventData<'homeostat.decision.made.v1'>): Promise<void> {
    if (decision.relapseOf === undefined) return;
    const result = await this.store.store.client.query({
      query: `SELECT action, target FROM ${LEDGER_TABLES.outcomes} FINAL WHERE decision_id = {id:String} AND verified LIMIT 1`,
      query_params: { id: decision.relapseOf },
      format: 'JSONEachRow',
    });
    const [fix] = await result.json<{ action: string; target: string }>();
    if (!fix) return;
    const k = await this.compute(decision.loop, decision.fingerprint, fix.action);
    if (!k) return;
    await this.publisher.publish('homeostat.knowledge.updated.v1', {
      subject: fix.target,
      key: knowledgeKey(decision.fingerprint, fix.action),
      data: k,
    });
  }

  async compute(loop: string, fingerprint: string, action: string): Promise<EventData<'homeostat.knowledge.updated.v1'> | undefined> {
    const result = await this.store.store.client.query({
      query: `SELECT count() AS tries, countIf(held) AS successes, countIf(NOT held) AS failures,
                     avgIf(time_to_recover_ms, held AND time_to_recover_ms IS NOT NULL) AS mean_ttr,
                     quantileIf(0.5)(time_to_recover_ms, held AND time_to_recover_ms IS NOT NULL) AS p50_ttr,
                     formatDateTime(max(finished_at), '%Y-%m-%dT%H:%i:%S.%fZ') AS last_at,
                     argMaxIf(params, finished_at, held AND experiment) AS params
              FROM (
                SELECT success AND decision_id NOT IN (
                         SELECT JSONExtractString(event, 'data', 'relapseOf') FROM ${LEDGER_TABLES.decisions} FINAL
                         WHERE loop = {loop:String} AND fingerprint = {fingerprint:String}
                           AND JSONExtractString(event, 'data', 'relapseOf') != ''
                       ) AS held,
                       time_to_recover_ms, finished_at,
                       JSONHas(event, 'data', 'experiment') AS experiment,
                       JSONExtractRaw(event, 'data', 'action', 'params') AS params
                FROM ${LEDGER_TABLES.outcomes} FINAL
                WHERE loop = {loop:String} AND fingerprint = {fingerprint:String} AND action = {action:String}
                  AND verified
              )`,
      query_params: { loop, fingerprint, action },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<KnowledgeRow>();
    const tries = Number(row?.tries ?? 0);
    if (!row || tries === 0) return undefined;
    const successes = Number(row.successes);
    const failures = Number(row.failures);
    const finite = (x: number | null): number | null => (x === null || !Number.isFinite(Number(x)) ? null : Number(x));
    return {
      loop,
      fingerprint,
      action,
      tries,
      successes,
      failures,
      meanTimeToRecoverMs: finite(row.mean_ttr),
      p50TimeToRecoverMs: finite(row.p50_ttr),
      lastOutcomeAt: new Date(row.last_at.replace(/(\.\d{3})\d*Z$/, '$1Z')).toISOString(),
      posterior: { alpha: 1 + successes, beta: 1 + failures },
      ...knownGoodParams(row.params),
    };
  }
}

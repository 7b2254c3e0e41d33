/**
 * What the learner's read API answers (services/learner: ledger-query.service.ts and
 * telemetry-query.service.ts), as the console and its web UI read it. Types only: the browser
 * bundle imports them too.
 */

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

/**
 * How an incident stands to the others on its target (the ledger's incident_links): the one it
 * followed while that was still open (another kind of failure), the ones that followed it, and when
 * its symptoms relapsed after they had recovered.
 */
export interface IncidentLinks {
  follows: string | null;
  followedBy: string[];
  relapses: string[];
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

export interface DecisionSummary {
  decision_id: string;
  incident_id: string;
  loop: string;
  target: string;
  fingerprint: string;
  action: string;
  /** made, or approved/rejected: what people said last (their approve/reject commands on loop.control). */
  status: string;
  decided_at: string;
  mode: string;
  autonomy: string;
  attempt: number;
  trace_id: string;
  /** The last outcome event's status: started, succeeded, failed, ... ('' when none yet). */
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
  /** on or off for the kill switch, '' otherwise. */
  state: string;
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
  /** The autonomy level of the latest decision for this action against this fingerprint. */
  autonomy: string | null;
  decisions: number;
  /** An optimize loop's regime → config memory: the params of the action's latest success (knowledge's `params`). */
  params?: Record<string, unknown>;
}

export interface SeriesAnswer {
  name: string;
  labels: Record<string, string>;
  /** Where the values come from (a table), or null when this kind of series is not stored as such. */
  source: string | null;
  points: { t: string; value: number }[];
}

/**
 * `POST /api/repair/similar-failures`: the stored repair failures (any loop, any repository, or
 * the `loops` named) most similar to a failure's features, as libs/repair's similarity compares
 * them, with the document frequencies of every stored failure.
 */
export interface SimilarFailuresRequest {
  features: Record<string, number>;
  /** How many to answer (default 5, at most 50). */
  k?: number;
  /** Only failures of these loops; every loop when absent. */
  loops?: string[];
  /** Failures not to answer (the failure itself, when it is stored already). */
  exclude?: string[];
}

export interface StoredSimilarFailure {
  incidentId: string;
  loop: string;
  target: string;
  signature: string;
  category: string;
  openedAt: string;
  /** Cosine in [0, 1], rounded to 3 decimals as libs/repair's similarFailures rounds it. */
  score: number;
}

export interface SimilarFailuresAnswer {
  /** Most similar first; ties by incident id. */
  similar: StoredSimilarFailure[];
  /**
   * Whether no stored failure left out of the exact scoring could be in the answer. The learner
   * scores exactly the failures that share the query's rarer features, the best by an upper bound
   * of their score; when that bound cannot prove the rest out, the answer is the best of those.
   */
  exact: boolean;
  /** The failures that shared a searched feature, and how many of them were scored exactly. */
  candidates: number;
  scored: number;
}

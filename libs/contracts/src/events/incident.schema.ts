import { z } from 'zod';
import { buildFailureSchema } from './build-failure.schema';
import { routeObservationSchema } from './optimize.schema';
import { id, labels, nonEmpty, nonNegativeInt, probability, severity, spanId, timestamp, traceId } from './common.schema';

/** A metric series whose detector score left the normal range. */
export const anomalousSeriesSchema = z
  .object({
    name: nonEmpty,
    labels,
    /** Detector score in [0, 1]; higher is more anomalous. */
    score: probability,
    window: z.object({ start: timestamp, end: timestamp }).strict(),
    observed: z.number().optional(),
    baseline: z.number().optional(),
  })
  .strict();

/** A mined log template (Drain-style) seen unusually often. */
export const logTemplateEvidenceSchema = z
  .object({
    templateId: id,
    template: nonEmpty,
    count: nonNegativeInt,
    sample: z.string().optional(),
  })
  .strict();

export const failingSpanSchema = z
  .object({
    traceId,
    spanId,
    name: nonEmpty,
    service: nonEmpty,
    statusMessage: z.string().optional(),
    /**
     * What went wrong, the same each time the same error recurs: the recorded exception's type and
     * message (else the status message) with numbers, ids and paths masked. Part of the fingerprint.
     */
    error: z.string().max(1000).optional(),
  })
  .strict();

export const evidenceSchema = z
  .object({
    series: z.array(anomalousSeriesSchema),
    logTemplates: z.array(logTemplateEvidenceSchema),
    failingSpans: z.array(failingSpanSchema),
  })
  .strict();
export type Evidence = z.infer<typeof evidenceSchema>;

export const hypothesisSchema = z
  .object({
    summary: nonEmpty,
    suspect: z.object({ service: nonEmpty, component: z.string().optional() }).strict(),
    confidence: probability,
    /**
     * What inside the suspect the evidence points at, strongest first, each in the vocabulary loop
     * actions say they address (COMPONENTS: db-pool, downstream, retry-policy, config-change, …),
     * with how strongly the evidence points there and why. `suspect.component` is the first.
     */
    components: z
      .array(
        z
          .object({
            name: nonEmpty,
            score: probability,
            /** For `downstream`: the dependency the evidence names. */
            peer: nonEmpty.optional(),
            reasons: z.array(z.string()).max(10),
          })
          .strict(),
      )
      .max(10)
      .optional(),
    /** Series names, template ids or span ids from the evidence that support the hypothesis. */
    evidenceRefs: z.array(nonEmpty),
  })
  .strict();
export type Hypothesis = z.infer<typeof hypothesisSchema>;

/** The whole current state of an incident: opened and updated events carry it so a consumer can just replace. */
const incidentSnapshot = {
  incidentId: id,
  loop: nonEmpty,
  target: nonEmpty,
  /** Stable across occurrences of the same kind of failure; the key of what the learner knows. */
  fingerprint: nonEmpty,
  severity,
  title: nonEmpty,
  openedAt: timestamp,
  evidence: evidenceSchema,
  hypothesis: hypothesisSchema.optional(),
  /** Incidents of repair loops: the failed build's diagnosis and the fixes proposed. */
  buildFailure: buildFailureSchema.optional(),
  /** An optimize loop's incident: the route and what was seen on it. */
  optimize: routeObservationSchema.optional(),
};

export const incidentOpenedSchema = z
  .object({
    ...incidentSnapshot,
    /**
     * The incident this one follows on the same target without the target having been healthy for
     * long in between: it was still open when evidence of another kind of failure came, and this
     * one's opening resolved it.
     */
    previousIncidentId: id.optional(),
  })
  .strict();
export type IncidentOpened = z.infer<typeof incidentOpenedSchema>;

export const incidentUpdatedSchema = z
  .object({
    ...incidentSnapshot,
    updatedAt: timestamp,
    /**
     * The incident's symptoms came back after all of them had recovered, with evidence of the same
     * kind: when they were last seen failing in that relapse. Whatever fixed it before did not hold.
     */
    relapsedAt: timestamp.optional(),
    /**
     * While any of the incident's symptoms is failing: when one was last seen failing. Absent once
     * all have recovered. A symptom still failing well after a verified fix means the fix did not
     * take (or the failure came straight back), which the decider treats like a relapse.
     */
    failingAt: timestamp.optional(),
    /**
     * With failingAt: since when the symptoms have been failing without a calm of half a gathering
     * window (the opening, or the start of the last relapse). A fix verified after this, while
     * they kept failing, did not take.
     */
    failingSince: timestamp.optional(),
  })
  .strict();
export type IncidentUpdated = z.infer<typeof incidentUpdatedSchema>;

export const INCIDENT_RESOLUTIONS = ['recovered', 'self-healed', 'manual', 'expired'] as const;

export const incidentResolvedSchema = z
  .object({
    incidentId: id,
    loop: nonEmpty,
    target: nonEmpty,
    fingerprint: nonEmpty,
    openedAt: timestamp,
    resolvedAt: timestamp,
    /** recovered: after one of our actions; self-healed: without one; expired: no signal for too long. */
    resolution: z.enum(INCIDENT_RESOLUTIONS),
    decisionId: id.optional(),
    /**
     * What the incident was (as its last update said): a ledger that keeps only an incident's
     * latest state, as ClickHouse's ReplacingMergeTree does once parts merge, still names it.
     */
    title: nonEmpty.optional(),
    severity: severity.optional(),
  })
  .strict();
export type IncidentResolved = z.infer<typeof incidentResolvedSchema>;

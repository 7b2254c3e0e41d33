import { z } from 'zod';
import { actionParams, adapter, component, labels, nonEmpty, RISK_LEVELS, riskLevel, type RiskLevel } from '../events/common.schema';
import { DURATION_HINT, isDuration, parseDuration } from './duration';
import { optimizeSpecSchema } from './optimize-spec.schema';
import { repairSpecSchema } from './repair-spec.schema';
import { urlTemplate } from './url-template';

export const LOOP_API_VERSION = 'homeostat.dev/v1';

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const INTEGER = /^\d+$/;

const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and "-", at most 63');
/** A loop's name (`metadata.name`): what commands name a loop by, and the key they travel under. */
export const loopNameSchema = dnsLabel;
export const durationSchema = z.string({ error: `must be ${DURATION_HINT}` }).refine(isDuration, { message: `must be ${DURATION_HINT}` });

/** `version: 3` in YAML is a number; accept it and keep the spec's version a string. */
const version = z.union([z.string().regex(SEMVER).or(z.string().regex(INTEGER)), z.number().int().nonnegative().transform(String)], {
  error: 'must be a semantic version (1.2.0) or an integer',
});

export const SIGNAL_KINDS = ['metric', 'log', 'span', 'build'] as const;
export const LOG_SEVERITIES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export const signalSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('metric'),
      /** OTel metric name, e.g. http.server.request.duration */
      name: nonEmpty,
      labels: labels.optional(),
      /** A fixed bound in addition to the learned baseline. */
      threshold: z.number().optional(),
      window: durationSchema.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('log'),
      name: nonEmpty.optional(),
      /** Substring or /regex/ matched against the log body. */
      query: nonEmpty,
      severityAtLeast: z.enum(LOG_SEVERITIES).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('span'),
      /** Span name; `*` for every span of the target. */
      name: nonEmpty,
      errorsOnly: z.boolean().optional(),
      latencyThresholdMs: z.number().positive().optional(),
      /**
       * Routes (`METHOD /route`, `*` matches anything) that are not the service's work: health
       * probes, admin and actuator calls. Their spans are neither series nor failing-span evidence.
       */
      ignoreRoutes: z.array(nonEmpty).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('build'),
      pipeline: nonEmpty,
      job: nonEmpty.optional(),
      repository: nonEmpty.optional(),
    })
    .strict(),
]);
export type SignalSpec = z.infer<typeof signalSchema>;

/** An inline rollback call, for an inverse that is not itself in the catalog. */
const inlineCall = z.object({ adapter, params: actionParams.default({}) }).strict();

export const AUTONOMY = ['shadow', 'propose', 'auto'] as const;

/**
 * The three kinds of loop over the same five stages (DESIGN.md, "Three kinds of loop, one
 * pipeline"): production incidents, CI failures, a running API platform's knobs.
 */
export const LOOP_KINDS = ['remediate', 'repair', 'optimize'] as const;
export type LoopKind = (typeof LOOP_KINDS)[number];

export const actionSpecSchema = z
  .object({
    name: dnsLabel,
    description: z.string().optional(),
    adapter,
    params: actionParams.default({}),
    risk: riskLevel,
    /** Where this action's autonomy starts for a new kind of failure (the loop's default otherwise). */
    autonomy: z.enum(AUTONOMY).optional(),
    /**
     * What the action remedies, in the analyzer's vocabulary (COMPONENTS): for a kind of failure
     * the loop has no outcomes for yet, an action that addresses what the incident's hypothesis
     * suspects is tried first. Optional: without it the action is ranked by its risk and outcomes.
     */
    addresses: z
      .array(component)
      .min(1, 'must name at least one component, or be left out')
      .refine((list) => new Set(list).size === list.length, { message: 'names a component twice' })
      .optional(),
    /** Relative cost, used to break ties between equally good actions. */
    cost: z.number().nonnegative().optional(),
    inverse: z
      .union([nonEmpty, inlineCall], {
        error: 'must be the name of another action or an inline call { adapter, params }',
      })
      .optional(),
    timeoutSeconds: z.number().int().positive().optional(),
  })
  .strict();
export type ActionSpec = z.infer<typeof actionSpecSchema>;

/** Action names are unique and a named inverse must exist: the executor looks rollbacks up by name. */
export const actionCatalogSchema = z
  .array(actionSpecSchema)
  .min(1, 'must list at least one action')
  .superRefine((actions, ctx) => {
    const firstIndex = new Map<string, number>();
    actions.forEach((action, i) => {
      const seen = firstIndex.get(action.name);
      if (seen === undefined) firstIndex.set(action.name, i);
      else
        ctx.addIssue({ code: 'custom', message: `duplicate action name "${action.name}" (first at actions[${seen}])`, path: [i, 'name'] });
    });
    actions.forEach((action, i) => {
      if (typeof action.inverse !== 'string') return;
      if (action.inverse === action.name) {
        ctx.addIssue({ code: 'custom', message: 'an action cannot be its own inverse', path: [i, 'inverse'] });
      } else if (!firstIndex.has(action.inverse)) {
        ctx.addIssue({ code: 'custom', message: `references unknown action "${action.inverse}"`, path: [i, 'inverse'] });
      }
    });
  });

export const APPROVAL_THRESHOLDS = [...RISK_LEVELS, 'never'] as const;
export type ApprovalThreshold = (typeof APPROVAL_THRESHOLDS)[number];

export const guardrailsSchema = z
  .object({
    budget: z
      .object({
        maxActions: z.number().int().nonnegative(),
        window: durationSchema,
        perTarget: z.boolean().default(true),
      })
      .strict(),
    cooldown: durationSchema,
    blastRadius: z.object({ maxConcurrent: z.number().int().positive() }).strict(),
    circuitBreaker: z
      .object({
        consecutiveFailures: z.number().int().positive(),
        pauseFor: durationSchema.optional(),
      })
      .strict(),
    /** Actions with a risk above this level wait for a person; `never` asks no one. */
    approval: z.object({ aboveRisk: z.enum(APPROVAL_THRESHOLDS) }).strict(),
    dryRun: z.boolean(),
  })
  .strict();
export type Guardrails = z.infer<typeof guardrailsSchema>;

export const verificationSpecSchema = z
  .object({
    healthCheck: z
      .object({
        url: urlTemplate,
        expectStatus: z.number().int().min(100).max(599).default(200),
        consecutive: z.number().int().positive().default(3),
        interval: durationSchema.default('5s'),
      })
      .strict()
      .optional(),
    metric: z
      .object({
        name: nonEmpty,
        withinBaseline: z.boolean().optional(),
        threshold: z.number().optional(),
      })
      .strict()
      .refine((m) => m.withinBaseline === true || m.threshold !== undefined, {
        message: 'needs withinBaseline: true or a threshold',
      })
      .optional(),
    deadline: durationSchema,
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.healthCheck !== undefined && isDuration(v.deadline) && isDuration(v.healthCheck.interval)) {
      const needed = v.healthCheck.consecutive * parseDuration(v.healthCheck.interval);
      if (parseDuration(v.deadline) < needed) {
        ctx.addIssue({
          code: 'custom',
          message: `is shorter than the ${v.healthCheck.consecutive} x ${v.healthCheck.interval} the health check needs`,
          path: ['deadline'],
        });
      }
    }
  });
export type VerificationSpec = z.infer<typeof verificationSpecSchema>;

/**
 * How eagerly the analyzer opens incidents for the loop's target. Defaults suit most services;
 * a noisy target raises `sensitivity` (fewer, surer incidents), a critical one lowers it.
 */
export const detectionSpecSchema = z
  .object({
    /** Detector score at or above which a signal counts as anomalous, in (0, 1). */
    sensitivity: z.number().gt(0).lt(1).default(0.9),
    /** Anomalous signals needed (within the gathering window) to open an incident. */
    minSignals: z.number().int().positive().default(1),
    /** How long evidence is gathered after the first anomaly before the incident opens. */
    gatherFor: durationSchema.default('20s'),
    /** How long every signal must stay back within its baseline before the incident resolves. */
    resolveAfter: durationSchema.default('30s'),
  })
  .strict();
export type DetectionSpec = z.infer<typeof detectionSpecSchema>;

export const DEFAULT_DETECTION: DetectionSpec = detectionSpecSchema.parse({});

/**
 * Autonomy per action × fingerprint: it starts at `start` (or the action's own `autonomy`), is
 * promoted one level once at least `minOutcomes` verified outcomes succeed at `promoteAt` or
 * better, and demoted one level when the success rate falls below `demoteBelow`.
 */
export const autonomySpecSchema = z
  .object({
    start: z.enum(AUTONOMY).default('auto'),
    promoteAt: z.number().gt(0).max(1).default(0.8),
    minOutcomes: z.number().int().positive().default(3),
    demoteBelow: z.number().min(0).lt(1).default(0.5),
  })
  .strict()
  .refine((a) => a.demoteBelow < a.promoteAt, { message: 'demoteBelow must be below promoteAt', path: ['demoteBelow'] });
export type AutonomySpec = z.infer<typeof autonomySpecSchema>;
export const DEFAULT_AUTONOMY: AutonomySpec = autonomySpecSchema.parse({});

export const loopSpecSchema = z
  .object({
    apiVersion: z.literal(LOOP_API_VERSION),
    kind: z.literal('Loop'),
    metadata: z
      .object({
        name: dnsLabel,
        version,
        labels: labels.optional(),
        description: z.string().optional(),
      })
      .strict(),
    spec: z
      .object({
        /** A spec without a kind is a `remediate` loop. */
        kind: z.enum(LOOP_KINDS).default('remediate'),
        target: z.object({ service: nonEmpty, selector: labels.optional() }).strict(),
        signals: z.array(signalSchema).min(1, 'must list at least one signal'),
        detection: detectionSpecSchema.default(DEFAULT_DETECTION),
        autonomy: autonomySpecSchema.default(DEFAULT_AUTONOMY),
        actions: actionCatalogSchema,
        guardrails: guardrailsSchema,
        verification: verificationSpecSchema,
        repair: repairSpecSchema.optional(),
        optimize: optimizeSpecSchema.optional(),
      })
      .strict()
      .superRefine((spec, ctx) => {
        // A repair loop verifies a fix by the project's own tests (its `repair` section); other kinds by health or a metric.
        if (spec.kind !== 'repair' && spec.verification.healthCheck === undefined && spec.verification.metric === undefined) {
          ctx.addIssue({ code: 'custom', message: 'needs a healthCheck or a metric to verify with', path: ['verification'] });
        }
        if (spec.kind === 'repair' && spec.repair === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: 'a loop of kind repair needs a repair section (its install and test commands)',
            path: ['repair'],
          });
        }
        if (spec.kind !== 'repair' && spec.repair !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `only a loop of kind repair takes a repair section (this one is ${spec.kind})`,
            path: ['repair'],
          });
        }
        if ((spec.kind === 'optimize') !== (spec.optimize !== undefined)) {
          ctx.addIssue({
            code: 'custom',
            message: 'an optimize loop needs an optimize section, and only an optimize loop has one',
            path: ['optimize'],
          });
        }
      }),
  })
  .strict();

export type LoopSpec = z.infer<typeof loopSpecSchema>;

const RISK_ORDER: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** Whether an action of `risk` waits for a person under `approval.aboveRisk`. */
export function needsApproval(risk: RiskLevel, aboveRisk: ApprovalThreshold): boolean {
  return aboveRisk !== 'never' && RISK_ORDER[risk] > RISK_ORDER[aboveRisk];
}

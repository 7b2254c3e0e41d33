import { z } from 'zod';

/** Building blocks shared by the event schemas and the loop spec. */

export const nonEmpty = z.string().min(1, 'must not be empty');
export const id = nonEmpty;
export const timestamp = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp' });

/** Nanoseconds since the Unix epoch as a decimal string: they exceed Number.MAX_SAFE_INTEGER. */
export const unixNano = z.string().regex(/^\d{1,20}$/, 'must be a decimal string of nanoseconds since the epoch');

export const traceId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters')
  .refine((s) => !/^0+$/.test(s), 'must not be all zeros');
export const spanId = z
  .string()
  .regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex characters')
  .refine((s) => !/^0+$/.test(s), 'must not be all zeros');

/** OTel attribute values, flattened: nested maps become dotted keys upstream. */
export const attributeValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
export const attributes = z.record(z.string(), attributeValue);
export type Attributes = z.infer<typeof attributes>;

export const labels = z.record(nonEmpty, z.string());
export type Labels = z.infer<typeof labels>;

export const probability = z.number().min(0).max(1);
export const nonNegativeInt = z.number().int().nonnegative();
export const durationMs = z.number().nonnegative();

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const riskLevel = z.enum(RISK_LEVELS);

/** Incident severity, on the same four-step scale as action risk. */
export const SEVERITIES = RISK_LEVELS;
export type Severity = RiskLevel;
export const severity = z.enum(SEVERITIES);

/**
 * What a root-cause hypothesis can name inside a target, and so what a loop's action can say it
 * addresses: its database connection pool, its database, a dependency it calls, its retry policy
 * towards those, a change of its configuration (or a deploy), its process as a whole (memory,
 * event loop, a wedged state only a restart clears). One vocabulary for the analyzer, the loop
 * specs and the decider, so a hypothesis can rank a catalog nobody linked to it by hand.
 */
export const COMPONENTS = ['db-pool', 'database', 'downstream', 'retry-policy', 'config-change', 'process'] as const;
export type Component = (typeof COMPONENTS)[number];
export const component = z.enum(COMPONENTS);

export const ADAPTERS = ['http', 'webhook', 'kubernetes', 'ci'] as const;
export type Adapter = (typeof ADAPTERS)[number];
export const adapter = z.enum(ADAPTERS);

/** Action parameters: any JSON value, so they survive the bus unchanged. */
export const actionParams = z.record(z.string(), z.json());
export type ActionParams = z.infer<typeof actionParams>;

/** One concrete call of an action from a loop's catalog. */
export const actionCall = z
  .object({
    name: nonEmpty,
    adapter,
    params: actionParams,
  })
  .strict();
export type ActionCall = z.infer<typeof actionCall>;

/** OTel resource and instrumentation scope of a telemetry batch. */
export const resource = z
  .object({
    attributes,
    schemaUrl: z.string().optional(),
  })
  .strict();
export const instrumentationScope = z
  .object({
    name: z.string(),
    version: z.string().optional(),
    attributes: attributes.optional(),
  })
  .strict();

/**
 * BigInt comparison of two nanosecond strings. zod runs an object's refinements even when a
 * field failed, so a string that is not a decimal passes here (its field's own check reports
 * it) instead of throwing out of safeParse.
 */
export const nanoLte = (a: string, b: string): boolean => !/^\d+$/.test(a) || !/^\d+$/.test(b) || BigInt(a) <= BigInt(b);

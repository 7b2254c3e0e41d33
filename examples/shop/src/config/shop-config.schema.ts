import { z } from 'zod';

/**
 * The shop's runtime configuration, changed through `PUT /actuator/config` and versioned by the
 * config store. The defaults are deliberately naive, as in many real services: no cache and an
 * aggressive retry policy (immediate retries, no budget).
 */
export const retryPolicySchema = z
  .object({
    /** Attempts per downstream call, the first one included. */
    maxAttempts: z.number().int().min(1).max(10),
    /** Base of the exponential backoff between attempts (with jitter); 0 retries at once. */
    backoffMs: z.number().int().min(0).max(10_000),
    /** Retries allowed as a fraction of calls over the last 10 s; null: no budget. */
    budget: z.number().gt(0).max(1).nullable(),
  })
  .strict();
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

export const shopConfigSchema = z
  .object({
    cache: z
      .object({
        enabled: z.boolean(),
        ttlSeconds: z.number().int().min(1).max(3_600),
      })
      .strict(),
    retry: retryPolicySchema,
    /** Business requests served at once; more are shed with 503. */
    concurrencyLimit: z.number().int().min(1).max(10_000),
    features: z
      .object({
        /** The new pricing engine. Its first version breaks 30 % of requests: the bad-config fault ships it. */
        pricingV2: z.boolean(),
      })
      .strict(),
  })
  .strict();
export type ShopConfig = z.infer<typeof shopConfigSchema>;

export const DEFAULT_CONFIG: ShopConfig = {
  cache: { enabled: false, ttlSeconds: 30 },
  retry: { maxAttempts: 6, backoffMs: 0, budget: null },
  concurrencyLimit: 200,
  features: { pricingV2: false },
};

/** A partial config for PUT: every section and field optional, unknown ones rejected. */
export const shopConfigPatchSchema = z
  .object({
    cache: shopConfigSchema.shape.cache.partial().optional(),
    retry: retryPolicySchema.partial().optional(),
    concurrencyLimit: shopConfigSchema.shape.concurrencyLimit.optional(),
    features: shopConfigSchema.shape.features.partial().optional(),
  })
  .strict();
export type ShopConfigPatch = z.infer<typeof shopConfigPatchSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(body)';
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${where}: ${issue.message}`;
  });
}

export function parseConfigPatch(body: unknown): ParseResult<ShopConfigPatch> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: ['(body): must be a JSON object such as {"cache":{"enabled":true}}'] };
  }
  const parsed = shopConfigPatchSchema.safeParse(body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: describeIssues(parsed.error) };
}

export function parseConfig(value: unknown): ParseResult<ShopConfig> {
  const parsed = shopConfigSchema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: describeIssues(parsed.error) };
}

export function applyConfigPatch(config: ShopConfig, patch: ShopConfigPatch): ShopConfig {
  return {
    cache: { ...config.cache, ...patch.cache },
    retry: { ...config.retry, ...patch.retry },
    concurrencyLimit: patch.concurrencyLimit ?? config.concurrencyLimit,
    features: { ...config.features, ...patch.features },
  };
}

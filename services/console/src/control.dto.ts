import { BadRequestException } from '@nestjs/common';
import { loopNameSchema } from '@homeostat/contracts';
import { z } from 'zod';

/** The body of a command from a person: why, and optionally who (the token names the actor later). */
export const commandBodySchema = z
  .object({
    reason: z.string().trim().min(1, 'must say why').max(2000).default('no reason given'),
    actor: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export const killSwitchBodySchema = z
  .object({
    on: z.boolean({ error: 'must be true or false' }),
    loop: loopNameSchema.optional(),
    reason: z.string().trim().min(1).max(2000).default('no reason given'),
    actor: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

/** Validates a request body with a schema; a bad body is a 400 that names the fields. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`),
    });
  }
  return parsed.data;
}

/**
 * What a decision id can look like: the decider mints UUIDv7s (test fixtures use short slugs such
 * as `dec-1`). Anything else (thousands of characters, control characters, quotes, spaces) names
 * no decision and is refused before the ledger is asked.
 */
const DECISION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The id of a decision a command names; a malformed one is a 400 that says what an id looks like. */
export function parseDecisionId(id: string): string {
  if (DECISION_ID.test(id)) return id;
  const shown = JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}…` : id);
  throw new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `${shown} (${id.length} characters) is not a decision id: a UUID, or at most 128 letters, digits and . _ : -`,
  });
}

/** The loop a command names: a DNS label, as in its spec (`metadata.name`); anything else is a 400. */
export function parseLoopName(name: string): string {
  if (loopNameSchema.safeParse(name).success) return name;
  const shown = JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
  throw new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `${shown} (${name.length} characters) is not a loop name: a DNS label (lowercase letters, digits and "-", at most 63)`,
  });
}

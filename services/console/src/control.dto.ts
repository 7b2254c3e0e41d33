import { BadRequestException } from '@nestjs/common';
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
    loop: z.string().trim().min(1).optional(),
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

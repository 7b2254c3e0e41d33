import { ConfigRollbackError } from '../config/config-store';
import { PoolClosedError, PoolTimeoutError } from '../db/connection-pool';
import { DbError } from '../db/db-connection';
import { DownstreamError } from '../inventory/inventory-client';
import { PricingError, RestartingError } from '../shop.service';

/** An error the HTTP layer answers as is. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface ErrorReply {
  status: number;
  body: { error: string; message: string } & Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** The one place where the shop's errors become HTTP answers. */
export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.code, message: error.message, ...error.details } };
  if (error instanceof RestartingError) return { status: 503, body: { error: error.code, message: error.message }, retryAfterSeconds: 3 };
  if (error instanceof PoolTimeoutError) return { status: 503, body: { error: error.code, message: error.message }, retryAfterSeconds: 1 };
  if (error instanceof PoolClosedError) return { status: 503, body: { error: error.code, message: error.message }, retryAfterSeconds: 1 };
  if (error instanceof DbError) return { status: 503, body: { error: error.code, message: error.message } };
  if (error instanceof DownstreamError)
    return { status: 502, body: { error: error.code, message: error.message, attempts: error.attempts } };
  if (error instanceof PricingError) return { status: 500, body: { error: error.code, message: error.message } };
  if (error instanceof ConfigRollbackError) return { status: 409, body: { error: error.code, message: error.message } };
  return { status: 500, body: { error: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } };
}

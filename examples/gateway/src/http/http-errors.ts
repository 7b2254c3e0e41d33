import { ConfigRollbackError } from '../config/config-store';
import { ShedError } from '../concurrency/concurrency-limiter';
import { UpstreamFailure } from '../proxy/gateway-proxy';

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

/** The one place where the gateway's errors become HTTP answers. */
export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.code, message: error.message, ...error.details } };
  if (error instanceof ShedError)
    return { status: 503, body: { error: 'OVERLOADED', reason: error.reason, message: error.message }, retryAfterSeconds: 1 };
  if (error instanceof UpstreamFailure) {
    return {
      status: error.code === 'UPSTREAM_TIMEOUT' ? 504 : 502,
      body: { error: error.code, message: error.message, attempts: error.attempts },
    };
  }
  if (error instanceof ConfigRollbackError) return { status: 409, body: { error: error.code, message: error.message } };
  return { status: 500, body: { error: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } };
}

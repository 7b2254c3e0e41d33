/**
 * Errors on the bus carry a code and whether trying again can help. The consumer pipeline maps
 * them in one place: retryable → bounded retries with backoff, then the dead-letter topic;
 * not retryable → the dead-letter topic at once.
 */
export type BusErrorCode =
  | 'CONTRACT_VIOLATION'
  | 'NON_RETRYABLE'
  | 'BACKPRESSURE'
  | 'BUS_CLOSED'
  | 'PUBLISH_FAILED'
  /** A record larger than the broker takes (the topic's max.message.bytes): sending it again cannot help. */
  | 'MESSAGE_TOO_LARGE'
  | 'NOT_STARTED';

export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BusError';
  }
}

/** Thrown by a handler when the message can never succeed (so retrying only delays the DLQ). */
export class NonRetryableError extends Error {
  readonly code = 'NON_RETRYABLE';
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

export function isRetryable(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false);
}

export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string') {
    return (error as { code: string }).code;
  }
  return 'HANDLER_FAILED';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

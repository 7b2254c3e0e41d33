import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BusError } from '@homeostat/bus';
import { OtlpDecodeError, OtlpLimitExceeded, RPC_CODE, encodeStatus, type OtlpEncoding } from '@homeostat/otlp';
import { LOGGER } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { CollectorError, type CollectorErrorCode } from './collector.errors';
import { CollectorMetrics } from './collector.metrics';
import { otlpEncodingOf } from './request-body';

/** Seconds a client should wait before retrying when the bus pushes back or is unavailable. */
export const RETRY_AFTER_SECONDS = { backpressure: 1, unavailable: 5 } as const;

interface Answer {
  status: number;
  rpcCode: number;
  message: string;
  headers?: Record<string, string>;
  issues?: { path: string; message: string }[];
}

const COLLECTOR_ANSWERS: Record<CollectorErrorCode, Omit<Answer, 'message'>> = {
  MALFORMED: { status: 400, rpcCode: RPC_CODE.INVALID_ARGUMENT },
  INVALID_BUILD: { status: 400, rpcCode: RPC_CODE.INVALID_ARGUMENT },
  PAYLOAD_TOO_LARGE: { status: 413, rpcCode: RPC_CODE.RESOURCE_EXHAUSTED },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, rpcCode: RPC_CODE.INVALID_ARGUMENT },
  UNAUTHENTICATED: { status: 401, rpcCode: RPC_CODE.UNAUTHENTICATED, headers: { 'WWW-Authenticate': 'Bearer realm="homeostat"' } },
};

/** The one place that maps the collector's errors to HTTP status, OTLP Status body and headers. */
export function answerFor(error: unknown): Answer {
  if (error instanceof CollectorError)
    return { ...COLLECTOR_ANSWERS[error.code], message: error.message, ...(error.issues.length > 0 ? { issues: error.issues } : {}) };
  if (error instanceof OtlpDecodeError || error instanceof OtlpLimitExceeded)
    return { status: 400, rpcCode: RPC_CODE.INVALID_ARGUMENT, message: error.message };
  if (error instanceof BusError) {
    switch (error.code) {
      case 'BACKPRESSURE':
        return {
          status: 429,
          rpcCode: RPC_CODE.RESOURCE_EXHAUSTED,
          message: 'the pipeline is busy, retry later',
          headers: { 'Retry-After': String(RETRY_AFTER_SECONDS.backpressure) },
        };
      case 'NOT_STARTED':
      case 'BUS_CLOSED':
      case 'PUBLISH_FAILED':
        return {
          status: 503,
          rpcCode: RPC_CODE.UNAVAILABLE,
          message: `the bus is unavailable (${error.code}), retry later`,
          headers: { 'Retry-After': String(RETRY_AFTER_SECONDS.unavailable) },
        };
      case 'MESSAGE_TOO_LARGE':
        // Sending it again cannot help: 413, which exporters do not retry.
        return {
          status: 413,
          rpcCode: RPC_CODE.RESOURCE_EXHAUSTED,
          message: `${error.message}: send smaller requests, or raise the telemetry topics' max.message.bytes`,
        };
      case 'CONTRACT_VIOLATION':
      case 'NON_RETRYABLE':
        return { status: 500, rpcCode: RPC_CODE.INTERNAL, message: 'the collector produced an invalid event' };
    }
  }
  if (error instanceof HttpException) return { status: error.getStatus(), rpcCode: RPC_CODE.INVALID_ARGUMENT, message: error.message };
  return { status: 500, rpcCode: RPC_CODE.INTERNAL, message: 'internal error' };
}

/**
 * Errors on the collector's routes, answered as OTLP/HTTP says: a google.rpc.Status in the
 * request's encoding (JSON when it has none we speak), with Retry-After or WWW-Authenticate.
 */
@Catch()
export class CollectorExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: CollectorMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.answer(exception, http.getRequest<IncomingMessage>(), http.getResponse<ServerResponse>());
  }

  /** Answers a failed request; also used by the protobuf route that runs before Nest's router. */
  answer(exception: unknown, req: IncomingMessage, res: ServerResponse): void {
    const answer = answerFor(exception);
    this.metrics.answered(req, answer.status);
    if (answer.status >= 500) this.logger.error(exception, 'Collector');
    else this.logger.debug(`${req.method ?? ''} ${req.url ?? ''}: ${answer.status} ${answer.message}`, 'Collector');
    if (res.headersSent) return;
    const encoding: OtlpEncoding = otlpEncodingOf(req.headers['content-type']) ?? 'json';
    const body =
      answer.issues !== undefined || encoding === 'json'
        ? Buffer.from(
            JSON.stringify({ code: answer.rpcCode, message: answer.message, ...(answer.issues ? { details: answer.issues } : {}) }),
          )
        : encodeStatus(encoding, answer.rpcCode, answer.message);
    res.statusCode = answer.status;
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    res.setHeader('Content-Type', encoding === 'protobuf' && answer.issues === undefined ? 'application/x-protobuf' : 'application/json');
    // A body we stopped reading cannot be left on a kept-alive connection: close it once answered.
    if (!req.complete) {
      res.setHeader('Connection', 'close');
      req.resume();
    }
    res.end(body);
  }
}

import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Signal } from '@homeostat/otlp';
import { ApiKeyGuard } from './api-key.guard';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { CollectorMetrics } from './collector.metrics';
import { OtlpIngest } from './otlp-ingest.service';
import { otlpEncodingOf } from './request-body';

const SIGNAL_OF_PATH: ReadonlyMap<string, Signal> = new Map([
  ['/v1/traces', 'traces'],
  ['/v1/metrics', 'metrics'],
  ['/v1/logs', 'logs'],
]);

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * POST /v1/traces, /v1/metrics and /v1/logs with a protobuf body (what OTLP exporters send by
 * default), answered by a plain node:http listener that runs before Express and Nest's router:
 * the same API key check, ingest (OtlpIngest) and error answers (CollectorExceptionFilter) as
 * OtlpController, without routing, middleware and the guard/filter machinery per request, which
 * cost as much CPU as the ingest itself. Everything else (JSON, other paths, other content types
 * and their 415) goes to Nest as before.
 */
@Injectable()
export class OtlpProtobufRoute implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly guard: ApiKeyGuard,
    private readonly ingest: OtlpIngest,
    private readonly errors: CollectorExceptionFilter,
    private readonly metrics: CollectorMetrics,
  ) {}

  /** Puts itself in front of the server's request listener (Express, i.e. Nest's router). */
  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const behind = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (this.handle(req, res)) return;
      for (const listener of behind) listener.call(server, req, res);
    });
  }

  /** Takes the request (true) when it is a protobuf OTLP export; otherwise leaves it alone (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const signal = SIGNAL_OF_PATH.get(query < 0 ? url : url.slice(0, query));
    if (signal === undefined || otlpEncodingOf(req.headers['content-type']) !== 'protobuf') return false;
    void this.export(signal, req, res).catch((error: unknown) => this.errors.answer(error, req, res));
    return true;
  }

  private async export(signal: Signal, req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.guard.authenticate(req.headers.authorization);
    const answer = await this.ingest.protobuf(signal, req);
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': answer.length });
    res.end(answer);
    this.metrics.answeredOk(signal, 'protobuf');
  }
}

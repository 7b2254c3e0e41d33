import { Controller, HttpCode, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { HomeostatConfig } from '@homeostat/config';
import type { EventType } from '@homeostat/contracts';
import { OTLP_EVENT_TYPES, decodeJson, encodeExportResponse, mapLogs, mapMetrics, mapTraces, splitByTarget, type MapOptions, type MapResult, type Signal, type TelemetryBatch } from '@homeostat/otlp';
import { CONFIG } from '@homeostat/runtime';
import { ApiKeyGuard } from './api-key.guard';
import { CollectorError } from './collector.errors';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { otlpEncodingOf, readBody } from './request-body';
import { TelemetryPublisher } from './telemetry.publisher';

const INGEST: Record<Signal, { type: EventType; map: (request: unknown, options: MapOptions) => MapResult<unknown> }> = {
  traces: { type: 'homeostat.telemetry.spans.v1', map: mapTraces },
  metrics: { type: 'homeostat.telemetry.metrics.v1', map: mapMetrics },
  logs: { type: 'homeostat.telemetry.logs.v1', map: mapLogs },
};

/**
 * OTLP/HTTP (https://opentelemetry.io/docs/specs/otlp/#otlphttp): protobuf or JSON, gzip or not.
 * Decoding and mapping are the pure lib's; this only reads, publishes and answers.
 *
 * Protobuf (what SDKs send by default) goes on the bus as received, split per target: the
 * collector reads the resources and counts the items, and decodes no item (consumers do, see
 * mapOtlpPayload). So items the contracts refuse are not known here: they are counted and
 * logged by the consumers, and a protobuf answer carries no partial_success. JSON is decoded,
 * mapped and checked item by item here, and answers with partial_success as before.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
@UseFilters(CollectorExceptionFilter)
export class OtlpController {
  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    private readonly publisher: TelemetryPublisher,
  ) {}

  @Post('traces')
  @HttpCode(200)
  traces(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.export('traces', req, res);
  }

  @Post('metrics')
  @HttpCode(200)
  metrics(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.export('metrics', req, res);
  }

  @Post('logs')
  @HttpCode(200)
  logs(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.export('logs', req, res);
  }

  private async export(signal: Signal, req: Request, res: Response): Promise<void> {
    const encoding = otlpEncodingOf(req.headers['content-type']);
    if (!encoding) {
      throw new CollectorError('UNSUPPORTED_MEDIA_TYPE', `Content-Type "${req.headers['content-type'] ?? ''}" is not supported: use application/x-protobuf or application/json`);
    }
    const body = await readBody(req, this.config.collector.maxBodyBytes);
    if (encoding === 'protobuf') {
      const { payloads } = splitByTarget(signal, body, { maxItemsPerPayload: this.config.collector.maxItemsPerEvent });
      await this.publisher.publish(
        OTLP_EVENT_TYPES[signal],
        payloads.map((p) => ({ subject: p.subject, data: { items: p.items, payload: p.payload } })),
      );
      res.status(200);
      res.setHeader('Content-Type', 'application/x-protobuf');
      res.end(encodeExportResponse(signal, encoding));
      return;
    }
    const { type, map } = INGEST[signal];
    const result = map(decodeJson(body), { maxItemsPerBatch: this.config.collector.maxItemsPerEvent });
    await this.publisher.publish(type, result.batches as TelemetryBatch<never>[]);
    res.status(200);
    res.setHeader('Content-Type', 'application/json');
    res.end(encodeExportResponse(signal, encoding, { rejected: result.rejected, errorMessage: result.errorMessage }));
  }
}

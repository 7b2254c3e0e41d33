import { Controller, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Signal } from '@homeostat/otlp';
import { ApiKeyGuard } from './api-key.guard';
import { CollectorError } from './collector.errors';
import { CollectorMetrics } from './collector.metrics';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { OtlpIngest } from './otlp-ingest.service';
import { otlpEncodingOf } from './request-body';

/**
 * OTLP/HTTP on Nest's router: JSON, and whatever the protobuf route (OtlpProtobufRoute, which
 * runs before Nest for exact POST /v1/<signal> paths) leaves to it, answered the same way.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
@UseFilters(CollectorExceptionFilter)
export class OtlpController {
  constructor(
    private readonly ingest: OtlpIngest,
    private readonly counts: CollectorMetrics,
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
      throw new CollectorError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type "${req.headers['content-type'] ?? ''}" is not supported: use application/x-protobuf or application/json`,
      );
    }
    const answer = encoding === 'protobuf' ? await this.ingest.protobuf(signal, req) : await this.ingest.json(signal, req);
    res.status(200);
    res.setHeader('Content-Type', encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json');
    res.end(answer);
    this.counts.answeredOk(signal, encoding);
  }
}

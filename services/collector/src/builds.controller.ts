import { Controller, HttpCode, Inject, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import type { HomeostatConfig } from '@homeostat/config';
import { ContractViolation, buildReportedSchema } from '@homeostat/contracts';
import { OTLP_LIMITS } from '@homeostat/otlp';
import { CONFIG } from '@homeostat/runtime';
import { ApiKeyGuard } from './api-key.guard';
import { BodyPool } from './body-pool';
import { CollectorError } from './collector.errors';
import { CollectorMetrics, refusalReasonOf } from './collector.metrics';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { otlpEncodingOf, readBody } from './request-body';
import { TelemetryPublisher } from './telemetry.publisher';

/** CI/CD build results (a webhook or a pipeline step posts them), for the loops that watch builds. */
@Controller('v1')
@UseGuards(ApiKeyGuard)
@UseFilters(CollectorExceptionFilter)
export class BuildsController {
  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    private readonly publisher: TelemetryPublisher,
    private readonly pool: BodyPool,
    private readonly metrics: CollectorMetrics,
  ) {}

  @Post('builds')
  @HttpCode(202)
  async report(@Req() req: Request): Promise<{ id: string }> {
    if (otlpEncodingOf(req.headers['content-type']) !== 'json') {
      throw new CollectorError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type "${req.headers['content-type'] ?? ''}" is not supported: use application/json`,
      );
    }
    const body = await readBody(req, this.config.collector.maxBodyBytes, this.pool);
    let value: unknown;
    try {
      value = JSON.parse(body.bytes.toString('utf8'));
    } catch (error) {
      throw new CollectorError('MALFORMED', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      body.release();
    }
    const checked = buildReportedSchema.safeParse(value, { reportInput: true });
    if (!checked.success) {
      const violation = ContractViolation.fromZod(checked.error, [], 'invalid build report');
      throw new CollectorError('INVALID_BUILD', violation.message, violation.issues);
    }
    const { repository } = checked.data;
    if (repository.length > OTLP_LIMITS.targetChars) {
      const message = `is ${repository.length} characters; at most ${OTLP_LIMITS.targetChars} (it is the events' subject and the bus key)`;
      throw new CollectorError('INVALID_BUILD', `invalid build report: repository: ${message}`, [{ path: 'repository', message }]);
    }
    this.metrics.received('builds', 1);
    let id: string;
    try {
      const [event] = await this.publisher.publish('homeostat.build.reported.v1', [
        { subject: checked.data.repository, data: checked.data },
      ]);
      id = event?.id ?? '';
    } catch (error) {
      this.metrics.refused('builds', refusalReasonOf(error), 1);
      throw error;
    }
    this.metrics.answered(req, 202);
    return { id };
  }
}

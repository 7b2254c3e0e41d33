import { Controller, HttpCode, Inject, Post, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import type { HomeostatConfig } from '@homeostat/config';
import { buildReportedSchema, ContractViolation } from '@homeostat/contracts';
import { buildFromGithubEvent, verifyGithubSignature, WebhookPayloadError } from '@homeostat/repair';
import { CONFIG } from '@homeostat/runtime';
import { BodyPool } from './body-pool';
import { CollectorError } from './collector.errors';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { readBody } from './request-body';
import { TelemetryPublisher } from './telemetry.publisher';

/**
 * GitHub's webhook deliveries (`workflow_run`, `check_run`) as build events. Authenticated by the
 * delivery's HMAC signature with the configured secret, not by an API key (GitHub sends none): a
 * delivery whose signature does not verify is refused with 401 before its body is parsed. GitHub's
 * API is not called, so such a build carries no log (see the repair lib's github-webhook.ts).
 */
@Controller('v1/webhooks')
@UseFilters(CollectorExceptionFilter)
export class GithubWebhookController {
  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    private readonly publisher: TelemetryPublisher,
    private readonly pool: BodyPool,
  ) {}

  @Post('github')
  @HttpCode(202)
  async deliver(@Req() req: Request): Promise<{ id: string | null; ignored?: string }> {
    const secret = this.config.collector.githubWebhookSecret;
    if (secret === undefined) throw new CollectorError('UNAUTHENTICATED', 'no GitHub webhook secret is configured (GITHUB_WEBHOOK_SECRET)');
    const body = await readBody(req, this.config.collector.maxBodyBytes, this.pool);
    let text: string;
    try {
      const signature = req.headers['x-hub-signature-256'];
      if (!verifyGithubSignature(secret, body.bytes, Array.isArray(signature) ? signature[0] : signature)) {
        throw new CollectorError('UNAUTHENTICATED', 'the X-Hub-Signature-256 of the delivery does not verify with the configured secret');
      }
      text = body.bytes.toString('utf8');
    } finally {
      body.release();
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      throw new CollectorError('MALFORMED', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const event = String(req.headers['x-github-event'] ?? '');
    let build;
    try {
      build = buildFromGithubEvent(event, payload);
    } catch (error) {
      if (error instanceof WebhookPayloadError) throw new CollectorError('INVALID_BUILD', error.message);
      throw error;
    }
    if (build === undefined) return { id: null, ignored: `a '${event}' delivery is not a build` };
    const checked = buildReportedSchema.safeParse(build);
    if (!checked.success) {
      const violation = ContractViolation.fromZod(checked.error, [], 'the delivery is not a valid build');
      throw new CollectorError('INVALID_BUILD', violation.message, violation.issues);
    }
    const [published] = await this.publisher.publish('homeostat.build.reported.v1', [
      { subject: checked.data.repository, data: checked.data },
    ]);
    return { id: published?.id ?? null };
  }
}

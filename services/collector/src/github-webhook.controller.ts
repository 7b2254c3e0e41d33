import { Controller, HttpCode, Inject, Post, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import type { HomeostatConfig } from '@homeostat/config';
import { buildReportedSchema, ContractViolation } from '@homeostat/contracts';
import { buildFromGithubEvent, githubLogRequestOf, verifyGithubSignature, WebhookPayloadError } from '@homeostat/repair';
import { CONFIG, LOGGER } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { BodyPool } from './body-pool';
import { logFields } from './builds.controller';
import { CollectorError } from './collector.errors';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { GithubJobLogs } from './github-logs';
import { readBody } from './request-body';
import { TelemetryPublisher } from './telemetry.publisher';

/**
 * GitHub's webhook deliveries (`workflow_run`, `check_run`) as build events. Authenticated by the
 * delivery's HMAC signature with the configured secret, not by an API key (GitHub sends none): a
 * delivery whose signature does not verify is refused with 401 before its body is parsed. With a
 * GitHub token (GITHUB_TOKEN) a failed run's build carries its failed jobs' logs, read through
 * GitHub's API within the time GitHub waits for the answer; without one, or when the read fails,
 * the build goes on without a log and the answer says why.
 */
@Controller('v1/webhooks')
@UseFilters(CollectorExceptionFilter)
export class GithubWebhookController {
  private readonly logs: GithubJobLogs | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly publisher: TelemetryPublisher,
    private readonly pool: BodyPool,
  ) {
    const { token, apiUrl } = config.collector.github;
    this.logs = token === undefined ? undefined : new GithubJobLogs({ token, apiUrl });
  }

  @Post('github')
  @HttpCode(202)
  async deliver(@Req() req: Request): Promise<{ id: string | null; ignored?: string; log?: string }> {
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
    const { fields, note } = await this.logOf(event, payload);
    const checked = buildReportedSchema.safeParse({ ...build, ...fields });
    if (!checked.success) {
      const violation = ContractViolation.fromZod(checked.error, [], 'the delivery is not a valid build');
      throw new CollectorError('INVALID_BUILD', violation.message, violation.issues);
    }
    const [published] = await this.publisher.publish('homeostat.build.reported.v1', [
      { subject: checked.data.repository, data: checked.data },
    ]);
    return { id: published?.id ?? null, ...(note ? { log: note } : {}) };
  }

  /** The failed jobs' logs of a failed run, when a token lets them be read; else what the build goes without. */
  private async logOf(event: string, payload: unknown): Promise<{ fields: Partial<ReturnType<typeof logFields>>; note?: string }> {
    const request = githubLogRequestOf(event, payload);
    if (request === undefined) return { fields: {} };
    if (this.logs === undefined) return { fields: {}, note: 'not read: no GitHub token is configured (GITHUB_TOKEN)' };
    try {
      const read = await this.logs.read(request);
      const names = read.jobs.map((j) => j.name).join(', ');
      return {
        fields: logFields(read.excerpt),
        note: `read from GitHub: ${read.jobs.length} failed job(s)${names ? ` (${names})` : ''}${read.cut ? `; ${read.cut}` : ''}`,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`the logs of ${request.owner}/${request.repo} were not read: ${message}`, 'GithubWebhook');
      return { fields: {}, note: `not read: ${message}` };
    }
  }
}

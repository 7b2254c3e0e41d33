import { createGunzip } from 'node:zlib';
import { Controller, HttpCode, Inject, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import type { HomeostatConfig } from '@homeostat/config';
import { ContractViolation, buildReportedSchema } from '@homeostat/contracts';
import { OTLP_LIMITS } from '@homeostat/otlp';
import { excerptLog, LogExcerptError, LogExcerpter, type LogExcerpt } from '@homeostat/repair';
import { CONFIG } from '@homeostat/runtime';
import { ApiKeyGuard } from './api-key.guard';
import { BodyPool } from './body-pool';
import { CollectorError } from './collector.errors';
import { CollectorMetrics, refusalReasonOf } from './collector.metrics';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { otlpEncodingOf, readBody } from './request-body';
import { TelemetryPublisher } from './telemetry.publisher';

/** The most of a plain-text log read (after gzip): it is read as a stream, so this bounds time, not memory. */
const MAX_LOG_BYTES = 2 * 1024 * 1024 * 1024;
/** The build's fields a plain-text post gives as query parameters (the body is the log). */
const QUERY_FIELDS = ['repository', 'commit', 'branch', 'pipeline', 'job', 'runId', 'status', 'url', 'startedAt', 'finishedAt'] as const;

/**
 * CI/CD build results (a webhook or a pipeline step posts them), for the loops that watch builds.
 * A JSON report (`application/json`, within the collector's body limit), or the job's log itself
 * as the body (`text/plain`, gzip or not, of any size: CI logs of 50 MB are real) with the build's
 * fields as query parameters. A log is read line by line and one too big for the bus is cut down
 * to what explains the failure (libs/repair's LogExcerpter), with where its lines were.
 */
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
    const media = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    let value: unknown;
    if (media === 'text/plain') {
      const excerpt = await readLog(req);
      value = { status: 'failed', ...withoutUndefined(queryFields(req)), ...logFields(excerpt) };
    } else if (otlpEncodingOf(req.headers['content-type']) === 'json') {
      value = await this.readJson(req);
    } else {
      throw new CollectorError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type "${req.headers['content-type'] ?? ''}" is not supported: use application/json, or text/plain with the log as the body`,
      );
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

  private async readJson(req: Request): Promise<unknown> {
    const body = await readBody(req, this.config.collector.maxBodyBytes, this.pool);
    let value: unknown;
    try {
      value = JSON.parse(body.bytes.toString('utf8'));
    } catch (error) {
      throw new CollectorError('MALFORMED', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      body.release();
    }
    const log = (value as { log?: unknown } | null)?.log;
    if (typeof log !== 'string') return value;
    try {
      return { ...(value as object), ...logFields(excerptLog(log)) };
    } catch (error) {
      if (error instanceof LogExcerptError) throw new CollectorError('INVALID_BUILD', `invalid build report: log: ${error.message}`);
      throw error;
    }
  }
}

/** The log, and where its lines were when it was cut down. */
export function logFields(excerpt: LogExcerpt): {
  log: string;
  logExcerpt?: { lines: number; chars: number; kept: Array<[number, number]> };
} {
  const whole = excerpt.kept.length <= 1 && (excerpt.kept[0]?.[1] ?? 0) === excerpt.lines;
  return whole
    ? { log: excerpt.text }
    : { log: excerpt.text, logExcerpt: { lines: excerpt.lines, chars: excerpt.chars, kept: excerpt.kept } };
}

function queryFields(req: Request): Record<string, string | undefined> {
  const q = req.query as Record<string, unknown>;
  return Object.fromEntries(QUERY_FIELDS.map((f) => [f, typeof q[f] === 'string' ? q[f] : undefined]));
}

function withoutUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Reads a plain-text log (gzip or not) as a stream, line by line, into its excerpt: memory stays bounded whatever its size. */
async function readLog(req: Request): Promise<LogExcerpt> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity' && encoding !== '') {
    throw new CollectorError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${encoding}" is not supported (use gzip or none)`);
  }
  const source: AsyncIterable<Buffer> = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  const decoder = new TextDecoder('utf-8');
  const excerpter = new LogExcerpter();
  let bytes = 0;
  try {
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes > MAX_LOG_BYTES) throw new CollectorError('PAYLOAD_TOO_LARGE', `the log is more than ${MAX_LOG_BYTES} bytes`);
      excerpter.push(decoder.decode(chunk, { stream: true }));
    }
    excerpter.push(decoder.decode());
    return excerpter.end();
  } catch (error) {
    req.resume();
    if (error instanceof CollectorError) throw error;
    if (error instanceof LogExcerptError) throw new CollectorError('INVALID_BUILD', `invalid build report: log: ${error.message}`);
    const message = error instanceof Error ? error.message : String(error);
    throw new CollectorError('MALFORMED', `the log could not be read${encoding === 'gzip' ? ' (gzip)' : ''}: ${message}`);
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BuildReported, BuildStatus } from '@homeostat/contracts';

/**
 * GitHub's webhook deliveries as build events: the signature check and the translation of
 * `workflow_run` and `check_run` payloads. GitHub's API is not called: a delivery carries no log
 * (GitHub serves logs only through its API), so a build from a webhook has none, and the repair
 * loop diagnoses it from what a pipeline step posts to /v1/builds instead.
 */

/** Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of the raw body under `secret`; compared in constant time. */
export function verifyGithubSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (secret === '' || header === undefined) return false;
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (m === null) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(m[1] as string, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export class WebhookPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookPayloadError';
  }
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function statusOf(status: string | undefined, conclusion: string | undefined): BuildStatus {
  if (status === 'queued' || status === 'waiting' || status === 'requested' || status === 'pending') return 'queued';
  if (status === 'in_progress') return 'running';
  switch (conclusion) {
    case 'success':
    case 'neutral':
    case 'skipped':
      return 'passed';
    case 'cancelled':
      return 'cancelled';
    case 'failure':
    case 'timed_out':
    case 'action_required':
    case 'startup_failure':
      return 'failed';
    default:
      return 'errored';
  }
}

/**
 * A build event from a `workflow_run` or `check_run` delivery (the `X-GitHub-Event` header);
 * undefined for other events (ping, push, …), which are acknowledged and not processed.
 */
export function buildFromGithubEvent(event: string, payload: unknown): BuildReported | undefined {
  const body = obj(payload);
  if (body === undefined) throw new WebhookPayloadError('the payload is not a JSON object');
  const repository = str(obj(body['repository'])?.['clone_url']) ?? str(obj(body['repository'])?.['full_name']);
  if (event !== 'workflow_run' && event !== 'check_run') return undefined;
  const run = obj(body[event]);
  if (run === undefined) throw new WebhookPayloadError(`a ${event} delivery without its ${event} object`);
  if (repository === undefined) throw new WebhookPayloadError('the payload names no repository');
  const suite = obj(run['check_suite']);
  const commit = str(run['head_sha']);
  if (commit === undefined) throw new WebhookPayloadError(`${event}.head_sha is missing`);
  const branch = str(run['head_branch']) ?? str(suite?.['head_branch']);
  const pr = Array.isArray(run['pull_requests']) ? obj(run['pull_requests'][0]) : undefined;
  const number = typeof pr?.['number'] === 'number' && pr['number'] > 0 ? Math.floor(pr['number']) : undefined;
  const startedAt = str(run['run_started_at']) ?? str(run['started_at']);
  const finishedAt = event === 'check_run' ? str(run['completed_at']) : str(run['updated_at']);
  const url = str(run['html_url']);
  const name = str(run['name']) ?? event;
  return {
    repository,
    commit,
    ...(branch ? { branch } : {}),
    pipeline: event === 'workflow_run' ? name : (str(obj(run['app'])?.['slug']) ?? 'checks'),
    job: name,
    ...(run['id'] !== undefined ? { runId: String(run['id']) } : {}),
    ...(typeof run['run_attempt'] === 'number' && run['run_attempt'] > 0 ? { attempt: run['run_attempt'] } : {}),
    status: statusOf(str(run['status']), str(run['conclusion'])),
    ...(startedAt && !Number.isNaN(Date.parse(startedAt)) ? { startedAt } : {}),
    ...(finishedAt && !Number.isNaN(Date.parse(finishedAt)) ? { finishedAt } : {}),
    ...(url && URL.canParse(url) ? { url } : {}),
    ...(number !== undefined ? { pullRequest: { number } } : {}),
  };
}

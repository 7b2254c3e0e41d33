import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BuildReported, BuildStatus } from '@homeostat/contracts';

/**
 * GitHub's webhook deliveries as build events: the signature check, the translation of
 * `workflow_run` and `check_run` payloads, and which job logs to fetch for a failed one. A
 * delivery carries no log (GitHub serves logs only through its API): the collector fetches the
 * failed jobs' logs when it has a token (githubLogRequestOf says which), otherwise the build has
 * none and the repair loop diagnoses it from what a pipeline step posts to /v1/builds instead.
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

/** Where the logs of a failed delivery are: the failed jobs of a workflow run, or the one job a check run of GitHub Actions is. */
export type GithubLogRequest =
  | { readonly kind: 'workflow-run'; readonly owner: string; readonly repo: string; readonly runId: number }
  | { readonly kind: 'job'; readonly owner: string; readonly repo: string; readonly jobId: number; readonly name: string };

/** GitHub Actions' app: its check runs are its jobs (the check run's id is the job's id). */
const ACTIONS_APP = 'github-actions';

/**
 * The logs to fetch for a delivery: a completed workflow run or GitHub Actions check run that
 * failed or timed out; undefined for anything else (a success has no failure to explain, another
 * app's check run has no log GitHub serves).
 */
export function githubLogRequestOf(event: string, payload: unknown): GithubLogRequest | undefined {
  if (event !== 'workflow_run' && event !== 'check_run') return undefined;
  const body = obj(payload);
  const run = obj(body?.[event]);
  // A run that needs approval or never started (action_required, startup_failure) has no job logs.
  if (body === undefined || run === undefined || run['status'] !== 'completed') return undefined;
  if (run['conclusion'] !== 'failure' && run['conclusion'] !== 'timed_out') return undefined;
  const repository = obj(body['repository']);
  const owner = str(obj(repository?.['owner'])?.['login']);
  const repo = str(repository?.['name']);
  const id = run['id'];
  if (owner === undefined || repo === undefined || typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return undefined;
  if (event === 'workflow_run') return { kind: 'workflow-run', owner, repo, runId: id };
  if (str(obj(run['app'])?.['slug']) !== ACTIONS_APP) return undefined;
  return { kind: 'job', owner, repo, jobId: id, name: str(run['name']) ?? String(id) };
}

/** At most this many failed jobs' logs in one build event: the first failures explain it, the rest repeat them. */
export const MAX_FAILED_JOB_LOGS = 5;

/** The failed jobs of a run (from GitHub's list of its jobs) whose logs the build carries, in the run's order. */
export function failedJobsToFetch<J extends { id: number; name: string; conclusion?: string | null }>(
  jobs: readonly J[],
  max: number = MAX_FAILED_JOB_LOGS,
): J[] {
  return jobs.filter((j) => j.conclusion === 'failure' || j.conclusion === 'timed_out').slice(0, max);
}

/** The line put before each job's log when a build carries several, so a reader (and the excerpt) sees where each begins. */
export function jobLogHeader(job: { id: number; name: string }): string {
  return `=== homeostat: the log of job ${job.name.replace(/[\r\n]+/g, ' ')} (${job.id}) ===`;
}

import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { failedJobsToFetch, jobLogHeader, LogExcerpter, type GithubLogRequest, type LogExcerpt } from '@homeostat/repair';

/** Octokit with GitHub's recommended handling of rate limits and transient 5xx answers. */
const GithubClient = Octokit.plugin(retry, throttling);
type GithubClient = InstanceType<typeof GithubClient>;
const SILENT = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface GithubLogsOptions {
  readonly apiUrl: string;
  readonly token: string;
  /** Bytes read of all the jobs' logs together: they are read as streams, so this bounds time, not memory. */
  readonly maxBytes?: number;
  /** The whole read: GitHub waits 10 s for a delivery's answer. */
  readonly timeoutMs?: number;
  readonly retries?: number;
}

/** What a failed delivery's logs came to: the excerpt the build carries, and what it holds. */
export interface GithubLogs {
  readonly excerpt: LogExcerpt;
  readonly jobs: Array<{ id: number; name: string }>;
  /** Set when not all of it was read (too big, out of time). */
  readonly cut?: string;
}

export class GithubLogsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GithubLogsError';
  }
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 8_000;

/**
 * Reads the logs of a failed GitHub Actions run through GitHub's API: the run's failed jobs
 * (`actions.listJobsForWorkflowRun`, every page) or the one job a check run is, each job's log
 * (`actions.downloadJobLogsForWorkflowRun`: GitHub redirects to the log's storage, and fetch drops
 * the token on that other origin) read as a stream line by line into one LogExcerpter, so memory
 * stays bounded whatever the logs' size. The token is sent to GitHub only and is in no message.
 */
export class GithubJobLogs {
  private readonly octokit: GithubClient;

  constructor(private readonly options: GithubLogsOptions) {
    this.octokit = new GithubClient({
      auth: options.token,
      baseUrl: options.apiUrl.replace(/\/+$/, ''),
      userAgent: 'homeostat-collector',
      log: SILENT,
      // Within a webhook's answer there is no time to wait out a rate limit.
      throttle: { onRateLimit: () => false, onSecondaryRateLimit: () => false },
      retry: { retries: options.retries ?? 1 },
    });
  }

  async read(request: GithubLogRequest): Promise<GithubLogs> {
    const { owner, repo } = request;
    const deadline = Date.now() + (this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deadline - Date.now());
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    try {
      const jobs =
        request.kind === 'job'
          ? [{ id: request.jobId, name: request.name }]
          : failedJobsToFetch(
              await this.call('actions.listJobsForWorkflowRun', () =>
                this.octokit.paginate(this.octokit.rest.actions.listJobsForWorkflowRun, {
                  owner,
                  repo,
                  run_id: request.runId,
                  filter: 'latest',
                  per_page: 100,
                  request: { signal: controller.signal },
                }),
              ),
            ).map((j) => ({ id: j.id, name: j.name }));
      const excerpter = new LogExcerpter();
      let bytes = 0;
      let cut: string | undefined;
      for (const job of jobs) {
        if (jobs.length > 1) excerpter.push(`${jobLogHeader(job)}\n`);
        const { data } = await this.call('actions.downloadJobLogsForWorkflowRun', () =>
          this.octokit.rest.actions.downloadJobLogsForWorkflowRun({
            owner,
            repo,
            job_id: job.id,
            // The log as a stream: it is never held whole.
            request: { parseSuccessResponseBody: false, signal: controller.signal },
          }),
        );
        const stream = data as unknown as ReadableStream<Uint8Array> | null;
        if (stream === null) continue;
        const decoder = new TextDecoder('utf-8');
        let last = '\n';
        const push = (text: string): void => {
          if (text === '') return;
          excerpter.push(text);
          last = text.slice(-1);
        };
        try {
          for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
            bytes += chunk.byteLength;
            if (bytes > maxBytes) {
              cut = `the logs are more than ${maxBytes} bytes: read up to there`;
              break;
            }
            push(decoder.decode(chunk, { stream: true }));
          }
        } catch (error) {
          if (!controller.signal.aborted) throw this.failure(`reading the log of job ${job.id}`, error);
          cut = `out of time after ${bytes} bytes`;
        }
        push(decoder.decode());
        // The next job's header starts a line of its own.
        if (last !== '\n') push('\n');
        if (cut !== undefined) break;
      }
      return { excerpt: excerpter.end(), jobs, ...(cut ? { cut } : {}) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): GithubLogsError {
    const status = (error as { status?: unknown }).status;
    const message = (error instanceof Error ? error.message : String(error)).split(this.options.token).join('***');
    return new GithubLogsError(`GitHub ${what} failed${typeof status === 'number' ? ` (${status})` : ''}: ${message}`);
  }
}

import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { findRepairComment, githubCommentBody, type GithubCommitStatus } from '@homeostat/repair';

/** Octokit with GitHub's recommended handling of rate limits (wait, then retry once) and of its transient 5xx answers. */
const GithubClient = Octokit.plugin(retry, throttling);
type GithubClient = InstanceType<typeof GithubClient>;

/** A rate limit that asks to wait longer than this is a failure of this attempt, not a wait. */
const MAX_RATE_LIMIT_WAIT_S = 60;
const SILENT = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface GithubForgeOptions {
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
  /** GitHub's REST API: https://api.github.com, or a GitHub Enterprise Server's `/api/v3`. */
  readonly apiUrl: string;
  /** Comments read per request while looking for Homeostat's (GitHub allows up to 100). */
  readonly pageSize?: number;
  /** Retries of a request GitHub answered with a 5xx or a rate limit. */
  readonly retries?: number;
  /**
   * GitHub asks for a second between writes, three after one that notifies people (a comment);
   * Octokit's throttling keeps to it and waits out rate limits. Off only for a test server on loopback.
   */
  readonly throttle?: boolean;
}

/** A request to GitHub failed; the message names the call and GitHub's answer, never the token. */
export class GithubForgeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GithubForgeError';
  }
}

/**
 * The forge of a repository on GitHub, in the role LocalGitForge has for a bare repository on
 * disk: the pull request of a branch, the one Homeostat comment on it (found by its hidden marker
 * among all the pull request's comments, edited in place), the commit status (`homeostat/repair`),
 * and whether a branch may be pushed to. It never merges and never pushes: the push is git's (see
 * GitValidator), after pushRefusal has said the branch is neither the default nor a protected one.
 */
export class GithubForge {
  private readonly octokit: GithubClient;

  constructor(private readonly options: GithubForgeOptions) {
    this.octokit = new GithubClient({
      auth: options.token,
      baseUrl: options.apiUrl.replace(/\/+$/, ''),
      userAgent: 'homeostat-repair',
      // Octokit's own log would print request lines; what failed is thrown and reported with the outcome instead.
      log: SILENT,
      throttle: {
        enabled: options.throttle ?? true,
        onRateLimit: (after: number, _options: unknown, _octokit: unknown, retryCount: number) =>
          retryCount < 1 && after <= MAX_RATE_LIMIT_WAIT_S,
        onSecondaryRateLimit: (after: number, _options: unknown, _octokit: unknown, retryCount: number) =>
          retryCount < 1 && after <= MAX_RATE_LIMIT_WAIT_S,
      },
      retry: { retries: options.retries ?? 2 },
    });
  }

  /** `owner/repo`, for messages. */
  get name(): string {
    return `${this.options.owner}/${this.options.repo}`;
  }

  /** The open pull request whose head is `branch` of this repository; undefined when there is none. */
  async pullRequestFor(branch: string): Promise<{ number: number; url: string } | undefined> {
    const { owner, repo } = this.options;
    const { data } = await this.call('pulls.list', () =>
      this.octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'open', per_page: 10 }),
    );
    const pr = data.find((p) => p.head.ref === branch);
    return pr === undefined ? undefined : { number: pr.number, url: pr.html_url };
  }

  /** Homeostat's comment on the pull request and the state kept in it, read page by page until found. */
  async findComment(pullRequest: number): Promise<{ id: number; url: string; state: Record<string, unknown> } | undefined> {
    const { owner, repo } = this.options;
    const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: pullRequest,
      per_page: this.options.pageSize ?? 100,
    });
    try {
      for await (const { data } of pages) {
        const found = findRepairComment(data);
        if (found !== undefined) return { id: found.comment.id, url: found.comment.html_url, state: found.state };
      }
    } catch (error) {
      throw this.failure('issues.listComments', error);
    }
    return undefined;
  }

  /** Writes the comment: edits Homeostat's when there is one (`existing`), else creates it. */
  async writeComment(
    pullRequest: number,
    rendered: string,
    state: Record<string, unknown>,
    existing?: number,
  ): Promise<{ id: number; url: string; created: boolean }> {
    const { owner, repo } = this.options;
    const body = githubCommentBody(rendered, state);
    if (existing !== undefined) {
      const { data } = await this.call('issues.updateComment', () =>
        this.octokit.rest.issues.updateComment({ owner, repo, comment_id: existing, body }),
      );
      return { id: data.id, url: data.html_url, created: false };
    }
    const { data } = await this.call('issues.createComment', () =>
      this.octokit.rest.issues.createComment({ owner, repo, issue_number: pullRequest, body }),
    );
    return { id: data.id, url: data.html_url, created: true };
  }

  /** Sets the commit's `homeostat/repair` status (GitHub keeps the latest per context). */
  async setStatus(sha: string, status: GithubCommitStatus): Promise<void> {
    const { owner, repo } = this.options;
    await this.call('repos.createCommitStatus', () => this.octokit.rest.repos.createCommitStatus({ owner, repo, sha, ...status }));
  }

  /**
   * Why `branch` must not be pushed to, as GitHub has it: the repository's default branch, a branch
   * under classic protection, or one that rulesets apply to; undefined when it may be (a branch that
   * does not exist yet and that no ruleset names: a new fix branch).
   */
  async pushRefusal(branch: string): Promise<string | undefined> {
    const { owner, repo } = this.options;
    const { data: repository } = await this.call('repos.get', () => this.octokit.rest.repos.get({ owner, repo }));
    if (repository.default_branch === branch) return `${branch} is the default branch of ${this.name} on GitHub`;
    const existing = await this.call('repos.getBranch', () => this.octokit.rest.repos.getBranch({ owner, repo, branch })).catch(
      (error: unknown) => {
        if (error instanceof GithubForgeError && error.status === 404) return undefined;
        throw error;
      },
    );
    if (existing?.data.protected) return `${branch} is a protected branch of ${this.name} on GitHub`;
    const { data: rules } = await this.call('repos.getBranchRules', () =>
      this.octokit.rest.repos.getBranchRules({ owner, repo, branch, per_page: 100 }),
    );
    if (rules.length > 0) {
      return `rulesets of ${this.name} apply to ${branch} on GitHub (${[...new Set(rules.map((r) => r.type))].join(', ')})`;
    }
    return undefined;
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  /** GitHub's answer as an error of this forge, with the token taken out of anything that could carry it. */
  private failure(what: string, error: unknown): GithubForgeError {
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : undefined;
    const message = (error instanceof Error ? error.message : String(error)).split(this.options.token).join('***');
    return new GithubForgeError(`GitHub ${what} on ${this.name} failed${status ? ` (${status})` : ''}: ${message}`, status);
  }
}

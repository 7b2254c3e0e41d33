/**
 * What the repair loop writes on GitHub, as data: the one marked comment per pull request (with
 * the state the next attempt reads back), the commit status, the repository a build names, and
 * how git is given the token. The executor's GithubForge sends them; nothing here calls GitHub.
 */

/** Marks Homeostat's one comment on a pull request (renderRepairComment puts it first): found by it, edited in place. */
export const REPAIR_COMMENT_MARKER = '<!-- homeostat:repair -->';
/** The commit status's context: one status per commit, replaced at each attempt. */
export const REPAIR_STATUS_CONTEXT = 'homeostat/repair';
/** GitHub refuses a comment body longer than this. */
export const GITHUB_COMMENT_MAX_CHARS = 65_536;
/** GitHub refuses a status description longer than this. */
export const GITHUB_STATUS_DESCRIPTION_MAX_CHARS = 140;

const STATE_OPEN = '<!-- homeostat:state ';
const STATE_CLOSE = ' -->';

/**
 * The comment's body: the rendered report, then the state as a hidden HTML comment (base64 JSON,
 * so nothing in it can close the comment early), cut to GitHub's limit with a note when needed.
 */
export function githubCommentBody(rendered: string, state: Record<string, unknown>): string {
  const body = rendered.startsWith(REPAIR_COMMENT_MARKER) ? rendered : `${REPAIR_COMMENT_MARKER}\n${rendered}`;
  const hidden = `\n${STATE_OPEN}${Buffer.from(JSON.stringify(state)).toString('base64')}${STATE_CLOSE}\n`;
  const room = GITHUB_COMMENT_MAX_CHARS - hidden.length;
  if (body.length <= room) return body + hidden;
  const note = `\n\n… cut to GitHub's ${GITHUB_COMMENT_MAX_CHARS} characters a comment (${body.length} in all): the console's repair page has the rest.\n`;
  // A code block left open by the cut would swallow the note.
  let cut = body.slice(0, Math.max(0, room - note.length - 5));
  if ((cut.match(/^```/gm) ?? []).length % 2 === 1) cut += '\n```';
  return cut + note + hidden;
}

/** A comment's state when the body is one of Homeostat's repair comments; undefined for any other comment. */
export function readGithubComment(body: string | null | undefined): { state: Record<string, unknown> } | undefined {
  if (typeof body !== 'string' || !body.startsWith(REPAIR_COMMENT_MARKER)) return undefined;
  const start = body.lastIndexOf(STATE_OPEN);
  if (start < 0) return { state: {} };
  const end = body.indexOf(STATE_CLOSE, start + STATE_OPEN.length);
  try {
    const json = Buffer.from(body.slice(start + STATE_OPEN.length, end < 0 ? undefined : end), 'base64').toString('utf8');
    const state: unknown = JSON.parse(json);
    return { state: typeof state === 'object' && state !== null && !Array.isArray(state) ? (state as Record<string, unknown>) : {} };
  } catch {
    // A person edited the hidden part: the comment is still ours, its history starts again.
    return { state: {} };
  }
}

/** Homeostat's comment among a pull request's comments (the oldest marked one), with its state. */
export function findRepairComment<C extends { id: number; body?: string | null }>(
  comments: readonly C[],
): { comment: C; state: Record<string, unknown> } | undefined {
  for (const comment of comments) {
    const read = readGithubComment(comment.body);
    if (read !== undefined) return { comment, state: read.state };
  }
  return undefined;
}

export type RepairStatusState = 'pending' | 'success' | 'failure';

export interface GithubCommitStatus {
  readonly state: RepairStatusState;
  readonly context: string;
  readonly description: string;
  readonly target_url?: string;
}

/** The decision's page in the console, when the console has a public address. */
export function decisionLink(consoleUrl: string | undefined, decisionId: string): string | undefined {
  return consoleUrl === undefined ? undefined : `${consoleUrl.replace(/\/+$/, '')}/#/decisions/${encodeURIComponent(decisionId)}`;
}

/**
 * The commit status of an attempt: pending while a fix is proposed or waits for approval, success
 * when its validation passed, failure when it did not; linked to the decision in the console.
 */
export function repairCommitStatus(
  run: { passed: boolean } | undefined,
  description: string,
  decisionId: string,
  consoleUrl?: string,
): GithubCommitStatus {
  const link = decisionLink(consoleUrl, decisionId);
  const text =
    description.length > GITHUB_STATUS_DESCRIPTION_MAX_CHARS
      ? `${description.slice(0, GITHUB_STATUS_DESCRIPTION_MAX_CHARS - 1)}…`
      : description;
  return {
    state: run === undefined ? 'pending' : run.passed ? 'success' : 'failure',
    context: REPAIR_STATUS_CONTEXT,
    description: text,
    ...(link ? { target_url: link } : {}),
  };
}

/**
 * `owner/repo` of a build's repository as GitHub names it: a clone URL (`https://github.com/o/r.git`,
 * `git@github.com:o/r.git`) or a full name (`o/r`); undefined when it names none.
 */
export function githubRepositoryOf(repository: string): { owner: string; repo: string } | undefined {
  const m = /^(?:[a-z][\w+.-]*:\/\/[^/]+\/|git@[^:]+:)?([A-Za-z0-9][A-Za-z0-9-]*)\/([\w.-]+?)(?:\.git)?\/?$/.exec(repository.trim());
  return m ? { owner: m[1] as string, repo: m[2] as string } : undefined;
}

/** Whether a build's repository is the forge's `owner/repo` (GitHub's names are case-insensitive). */
export function isGithubRepository(repository: string, forge: { owner: string; repo: string }): boolean {
  const named = githubRepositoryOf(repository);
  return (
    named !== undefined && named.owner.toLowerCase() === forge.owner.toLowerCase() && named.repo.toLowerCase() === forge.repo.toLowerCase()
  );
}

/**
 * The environment through which git authenticates to the forge's git host: the token as an
 * `Authorization` header configured for that host only (`http.<origin>/.extraHeader`, as
 * actions/checkout does), through git's GIT_CONFIG_* variables, so it is in no argument list, in
 * no file of the clone, and in no environment but git's own.
 */
export function gitAuthEnv(gitUrl: string, token: string): Record<string, string> {
  const url = new URL(gitUrl);
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${url.protocol}//${url.host}/.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
  };
}

import {
  decisionLink,
  gitAuthEnv,
  findRepairComment,
  GITHUB_COMMENT_MAX_CHARS,
  githubCommentBody,
  githubRepositoryOf,
  isGithubRepository,
  readGithubComment,
  REPAIR_COMMENT_MARKER,
  repairCommitStatus,
} from './github-forge';
import { renderRepairComment, type RepairReport } from './repair-loop';

const REPORT: RepairReport = {
  decisionId: 'd-1',
  incidentId: 'i-1',
  attempt: 2,
  mode: 'auto',
  fix: { id: 'move-dependency:acme-connector@1.4.2', title: 'Move acme-connector to 1.4.2', files: [], message: 'fix' },
  earlier: ['attempt 1: revert-update failed (npm test failed)'],
};

describe('the marked comment', () => {
  it('carries its state hidden, read back from the body as GitHub returns it', () => {
    const state = { incidentId: 'i-1', attempts: ['attempt 1: x --> y <!-- z', 'attempt 2: passed'] };
    const body = githubCommentBody(renderRepairComment(REPORT), state);
    expect(body.startsWith(REPAIR_COMMENT_MARKER)).toBe(true);
    expect(readGithubComment(body)).toEqual({ state });
    // Nothing of the state shows as text: it is one HTML comment at the end.
    expect(body.trimEnd().split('\n').pop()).toMatch(/^<!-- homeostat:state [A-Za-z0-9+/=]+ -->$/);
  });

  it("finds the oldest marked comment among people's, and reads a hand-edited one as ours with no history", () => {
    const ours = githubCommentBody(renderRepairComment(REPORT), { attempts: ['a'] });
    const comments = [
      { id: 1, body: 'LGTM' },
      { id: 2, body: null },
      { id: 3, body: ours },
      { id: 4, body: githubCommentBody('later', {}) },
    ];
    expect(findRepairComment(comments)).toEqual({ comment: comments[2], state: { attempts: ['a'] } });
    expect(findRepairComment([{ id: 1, body: `quoting: ${REPAIR_COMMENT_MARKER}` }])).toBeUndefined();
    expect(readGithubComment(`${REPAIR_COMMENT_MARKER}\n<!-- homeostat:state not-base64!! -->`)).toEqual({ state: {} });
    expect(readGithubComment(`${REPAIR_COMMENT_MARKER}\nno state`)).toEqual({ state: {} });
  });

  it("is cut to GitHub's limit with its code blocks closed and its state kept", () => {
    const patch = 'x'.repeat(70_000);
    const rendered = renderRepairComment({ ...REPORT, proposal: { patch: `+${patch}\n`, apply: 'git am fix.patch' } });
    const body = githubCommentBody(rendered + '\n```diff\n' + patch + '\n```\n', { attempts: ['a'] });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_MAX_CHARS);
    expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect(body).toContain("cut to GitHub's 65536 characters");
    expect(readGithubComment(body)).toEqual({ state: { attempts: ['a'] } });
  });
});

describe('repairCommitStatus', () => {
  it('maps proposed, passed and failed attempts to pending, success and failure, linked to the decision when the console is public', () => {
    expect(repairCommitStatus(undefined, 'proposed', 'd-1')).toEqual({
      state: 'pending',
      context: 'homeostat/repair',
      description: 'proposed',
    });
    expect(repairCommitStatus({ passed: true }, 'passed', 'd 1', 'https://homeostat.example.com/')).toEqual({
      state: 'success',
      context: 'homeostat/repair',
      description: 'passed',
      target_url: 'https://homeostat.example.com/#/decisions/d%201',
    });
    const failed = repairCommitStatus({ passed: false }, 'f'.repeat(300), 'd-1');
    expect(failed.state).toBe('failure');
    expect(failed.description).toHaveLength(140);
    expect(decisionLink(undefined, 'd-1')).toBeUndefined();
  });
});

describe('githubRepositoryOf', () => {
  it.each([
    ['https://github.com/octo-org/octo-repo.git', { owner: 'octo-org', repo: 'octo-repo' }],
    ['https://github.com/Codertocat/Hello-World', { owner: 'Codertocat', repo: 'Hello-World' }],
    ['git@github.com:octo-org/octo.repo.git', { owner: 'octo-org', repo: 'octo.repo' }],
    ['octo-org/octo-repo', { owner: 'octo-org', repo: 'octo-repo' }],
    ['/srv/git/remote', undefined],
    ['https://github.com/only-owner', undefined],
  ])('%s', (repository, expected) => {
    expect(githubRepositoryOf(repository)).toEqual(expected);
  });

  it('matches a build to the forge case-insensitively, and no other repository', () => {
    expect(isGithubRepository('https://github.com/Octo-Org/Octo-Repo.git', { owner: 'octo-org', repo: 'octo-repo' })).toBe(true);
    expect(isGithubRepository('https://github.com/octo-org/other.git', { owner: 'octo-org', repo: 'octo-repo' })).toBe(false);
    expect(isGithubRepository('/srv/git/octo-org/octo-repo-not', { owner: 'octo-org', repo: 'octo-repo' })).toBe(false);
  });
});

describe('gitAuthEnv', () => {
  it("gives git the token as a header for the forge's host only, through GIT_CONFIG_* variables", () => {
    const env = gitAuthEnv('https://github.com/octocat/Hello-World.git', 'ghp_0123456789abcdef');
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${'ghp_0123456789abcdef'}`).toString('base64')}`,
    });
  });
});

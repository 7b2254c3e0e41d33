/**
 * GithubForge and the repair actuator on GitHub, driven through a real Octokit against GitHub's
 * published OpenAPI description (GithubApiServer: every request must be an operation it describes,
 * with a body its schema accepts; every answer is its documented example), and pushing with real
 * git over smart HTTP (git http-backend on loopback, which wants the token's header).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type DecisionMade, type LoopSpec } from '@homeostat/contracts';
import { repairLoopSpec, sampleDecisionMade } from '@homeostat/contracts/testing';
import { readGithubComment, REPAIR_COMMENT_MARKER, repairCommitStatus } from '@homeostat/repair';
import { GithubApiServer, gitHttpServer, pageOf, type AnswerHook, type GitHttpServer } from '@homeostat/runtime/testing';
import { GitRepairActuator } from './git-repair.actuator';
import { GithubForge, GithubForgeError } from './github-forge';

const exec = promisify(execFile);
const TOKEN = 'ghp_homeostatTestToken0123456789abcdefABCD';
// The documented examples' repository, pull request and branch: octocat/Hello-World, #1347, new-topic.
const OWNER = 'octocat';
const REPO = 'Hello-World';
const BRANCH = 'new-topic';

type Comment = Record<string, unknown> & { id: number; body: string };

/**
 * Issue comments kept across calls, and nothing else: the documented list's comment, copied under
 * new ids so that finding Homeostat's takes more than one page; a created comment is the documented
 * created one with the body sent; an edit changes the body of one that exists.
 */
function commentAnswers(url: () => string, people = 3): { comments: Comment[]; answers: Record<string, AnswerHook> } {
  const comments: Comment[] = [];
  let next = 1;
  const answers: Record<string, AnswerHook> = {
    'issues/list-comments': (req, example) => {
      if (comments.length === 0) {
        const documented = (example as Comment[])[0]!;
        for (let i = 0; i < people; i++) comments.push({ ...documented, id: next++ });
      }
      return pageOf(req, url(), comments);
    },
    'issues/create-comment': (req, example) => {
      const created = { ...(example as Comment), id: next++, body: (req.body as { body: string }).body };
      comments.push(created);
      return { body: created };
    },
    'issues/update-comment': (req, example) => {
      const comment = comments.find((c) => String(c.id) === req.params['comment_id']);
      if (comment === undefined) return { status: 404 };
      comment.body = (req.body as { body: string }).body;
      return { body: { ...(example as Comment), id: comment.id, body: comment.body } };
    },
  };
  return { comments, answers };
}

/** A new fix branch: GitHub has no such branch (404) and no ruleset applies to it. */
const NEW_BRANCH: Record<string, AnswerHook> = {
  'repos/get-branch': () => ({ status: 404, body: { message: 'Branch not found', documentation_url: 'https://docs.github.com/rest' } }),
  'repos/get-branch-rules': () => ({ body: [] }),
};

describe('GithubForge against the OpenAPI description', () => {
  let server: GithubApiServer;
  afterEach(async () => {
    await server?.close();
  });

  const forgeOn = (s: GithubApiServer): GithubForge =>
    new GithubForge({ owner: OWNER, repo: REPO, token: TOKEN, apiUrl: s.url, pageSize: 2, retries: 0, throttle: false });

  it('finds the pull request of a branch, keeps one marked comment (created, then found across pages and edited) and sets the status', async () => {
    const state = commentAnswers(() => server.url);
    server = await GithubApiServer.start({ answers: state.answers });
    const forge = forgeOn(server);

    const pr = await forge.pullRequestFor(BRANCH);
    expect(pr).toEqual({ number: 1347, url: 'https://github.com/octocat/Hello-World/pull/1347' });
    expect(server.of('pulls/list')[0]?.query.get('head')).toBe(`${OWNER}:${BRANCH}`);
    expect(await forge.pullRequestFor('another-branch')).toBeUndefined();

    expect(await forge.findComment(pr!.number)).toBeUndefined();
    const first = await forge.writeComment(pr!.number, `${REPAIR_COMMENT_MARKER}\nattempt 1`, { attempts: ['attempt 1: x failed'] });
    expect(first.created).toBe(true);

    const found = await forge.findComment(pr!.number);
    expect(found).toMatchObject({ id: first.id, state: { attempts: ['attempt 1: x failed'] } });
    // Three people's comments, two a page: Homeostat's is on the second page, reached through the Link header.
    expect(
      server
        .of('issues/list-comments')
        .slice(-2)
        .map((r) => r.query.get('page')),
    ).toEqual([null, '2']);

    const second = await forge.writeComment(pr!.number, `${REPAIR_COMMENT_MARKER}\nattempt 2`, { attempts: ['a1', 'a2'] }, found!.id);
    expect(second).toMatchObject({ id: first.id, created: false });
    const marked = state.comments.filter((c) => readGithubComment(c.body) !== undefined);
    expect(marked).toHaveLength(1);
    expect(marked[0]?.body).toContain('attempt 2');

    const sha = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
    await forge.setStatus(sha, repairCommitStatus({ passed: true }, 'attempt 2: passed', 'd-1', 'https://homeostat.example.com'));
    const status = server.of('repos/create-commit-status')[0]!;
    expect(status.params['sha']).toBe(sha);
    expect(status.body).toEqual({
      state: 'success',
      context: 'homeostat/repair',
      description: 'attempt 2: passed',
      target_url: 'https://homeostat.example.com/#/decisions/d-1',
    });
    expect(server.requests.every((r) => r.headers.authorization === `token ${TOKEN}`)).toBe(true);
    expect(server.problems).toEqual([]);
    // The first test reads GitHub's description (13 MB of JSON).
  }, 20_000);

  it("refuses GitHub's default branch, a protected branch and one rulesets apply to; allows a new fix branch", async () => {
    server = await GithubApiServer.start();
    // The documented repository's default branch is master; the documented branch is not protected; the documented rules are not empty.
    expect(await forgeOn(server).pushRefusal('master')).toMatch(/master is the default branch of octocat\/Hello-World/);
    expect(await forgeOn(server).pushRefusal('homeostat/fix/new-topic')).toBe(
      'rulesets of octocat/Hello-World apply to homeostat/fix/new-topic on GitHub (commit_message_pattern, commit_author_email_pattern)',
    );
    await server.close();

    // The documented branch, protected.
    server = await GithubApiServer.start({
      answers: { 'repos/get-branch': (_req, example) => ({ body: { ...(example as object), protected: true } }) },
    });
    expect(await forgeOn(server).pushRefusal('main')).toMatch(/^main is a protected branch of octocat\/Hello-World on GitHub$/);
    await server.close();

    server = await GithubApiServer.start({ answers: NEW_BRANCH });
    expect(await forgeOn(server).pushRefusal('homeostat/fix/new-topic')).toBeUndefined();
    // The branch's slashes travel as one path segment.
    expect(server.of('repos/get-branch')[0]?.params['branch']).toBe('homeostat/fix/new-topic');
    expect(server.problems).toEqual([]);
  });

  it("reports GitHub's refusal with the call and status, without the token", async () => {
    server = await GithubApiServer.start({
      answers: { 'repos/get': () => ({ status: 404, body: { message: `Not Found ${TOKEN}`, documentation_url: 'x' } }) },
    });
    const error = await forgeOn(server)
      .pushRefusal('homeostat/fix/new-topic')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubForgeError);
    expect((error as GithubForgeError).status).toBe(404);
    expect((error as Error).message).toMatch(/^GitHub repos\.get on octocat\/Hello-World failed \(404\): Not Found \*\*\*/);
    expect((error as Error).message).not.toContain(TOKEN);
  });
});

describe('GitRepairActuator with a GitHub forge', () => {
  let root: string;
  let remote: string;
  let base: string;
  let api: GithubApiServer;
  let git: GitHttpServer;
  const sh = async (cwd: string, ...argv: string[]): Promise<string> =>
    (await exec(argv[0]!, argv.slice(1), { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: root } })).stdout.trim();

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-github-'));
    remote = path.join(root, 'Hello-World.git');
    await sh(root, 'git', 'init', '--quiet', '--bare', '--initial-branch=master', remote);
    const work = path.join(root, 'work');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'package.json'), '{ "name": "hello-world", "version": "1.0.0" }\n');
    fs.writeFileSync(path.join(work, 'version.txt'), 'broken\n');
    const c = ['-c', 'user.name=Octocat', '-c', 'user.email=octocat@localhost'];
    await sh(work, 'git', 'init', '--quiet', '--initial-branch', BRANCH);
    await sh(work, 'git', 'add', '.');
    await sh(work, 'git', ...c, 'commit', '--quiet', '-m', 'update');
    await sh(work, 'git', 'push', '--quiet', remote, `${BRANCH}:${BRANCH}`, `${BRANCH}:master`);
    base = await sh(work, 'git', 'rev-parse', 'HEAD');
    git = await gitHttpServer(root, `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`);
  });

  afterAll(async () => {
    await api?.close();
    await git?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** The loop, on the API server; its validation: a check that the version is fixed and that no command sees the token. */
  const loopOn = (apiUrl: string): LoopSpec => {
    // The project's commands must see neither the token nor git's configuration that carries it.
    const noToken = `if (Object.entries(process.env).some(([k, v]) => /^GIT_CONFIG_(COUNT|KEY|VALUE)/.test(k) || /ghp_|authorization/i.test(v))) process.exit(3);`;
    return repairLoopSpec({
      name: 'hello-repair',
      service: 'hello-world',
      deadline: '1m',
      repair: [
        `install: [node, -e, ${JSON.stringify(noToken)}]`,
        `test: [node, -e, "process.exit(require('fs').readFileSync('version.txt', 'utf8') === 'fixed\\\\n' ? 0 : 1)"]`,
        'baseBranch: master',
        'commandTimeout: 30s',
        `forge: { kind: github, owner: ${OWNER}, repo: ${REPO}, tokenEnv: TEST_GITHUB_TOKEN, apiUrl: "${apiUrl}", gitUrl: "${git.url}/Hello-World.git" }`,
      ],
    });
  };

  const decision = (
    content: string,
    repository = `https://github.com/${OWNER}/${REPO}.git`,
  ): DecisionMade & { action: NonNullable<DecisionMade['action']> } => ({
    ...sampleDecisionMade(),
    decisionId: 'd-github-1',
    action: {
      name: 'revert-update',
      adapter: 'ci',
      params: {
        fix: {
          id: 'revert-update:version',
          title: 'Fix the version',
          files: [{ path: 'version.txt', content }],
          regenerate: [],
          message: 'fix: the version',
        },
        repository,
        branch: BRANCH,
        commit: base,
      },
    },
  });

  it('validates, pushes the fix with git over HTTP (token in git’s environment only), sets the status on the fix commit and writes the one comment', async () => {
    const state = commentAnswers(() => api.url, 1);
    api = await GithubApiServer.start({ answers: { ...state.answers, ...NEW_BRANCH } });
    const logs: string[] = [];
    const actuator = new GitRepairActuator({
      npmCache: path.join(root, 'npm-cache'),
      workRoot: root,
      githubThrottle: false,
      env: { PATH: process.env['PATH'] ?? '', TEST_GITHUB_TOKEN: TOKEN },
      consoleUrl: 'https://homeostat.example.com',
    });
    const spy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
    const warn = jest.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
    let outcome;
    try {
      outcome = await actuator.apply(decision('fixed\n'), loopOn(api.url));
    } finally {
      spy.mockRestore();
      warn.mockRestore();
    }
    expect(outcome.verification.detail).toMatch(/pushed to homeostat\/fix\/new-topic/);
    expect(outcome.status).toBe('succeeded');
    const pushed = await sh(root, 'git', '--git-dir', remote, 'rev-parse', 'refs/heads/homeostat/fix/new-topic');
    expect(outcome.repair?.pushed).toEqual({ branch: 'homeostat/fix/new-topic', commit: pushed });
    expect(await sh(root, 'git', '--git-dir', remote, 'show', `${pushed}:version.txt`)).toBe('fixed');
    expect(outcome.repair?.remote).toBe(`${git.url}/Hello-World.git`);

    const status = api.of('repos/create-commit-status')[0]!;
    expect(status.params['sha']).toBe(pushed);
    expect(status.body).toMatchObject({
      state: 'success',
      context: 'homeostat/repair',
      target_url: 'https://homeostat.example.com/#/decisions/d-github-1',
    });
    const ours = state.comments.find((c) => readGithubComment(c.body) !== undefined)!;
    expect(ours.body).toContain(`Pushed ${pushed} to \`homeostat/fix/new-topic\`. Homeostat never merges.`);
    expect(ours.body).toContain('[in the console](https://homeostat.example.com/#/decisions/d-github-1)');
    expect(outcome.verification.detail).toMatch(/comment https:\/\/github\.com\/.+ created on pull request #1347/);
    expect(api.problems).toEqual([]);

    // Token hygiene: git got it through its environment and no command's environment had it; nothing written carries it.
    expect(git.unauthorized).toBe(0);
    const hidden = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    for (const text of [
      JSON.stringify(outcome),
      ...logs,
      ...state.comments.map((c) => c.body),
      JSON.stringify(api.requests.map((r) => r.body)),
    ]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(hidden);
    }
    expect(fs.readdirSync(root).filter((f) => f.startsWith('homeostat-validate-'))).toEqual([]);
  }, 20_000);

  it('a fix whose tests fail: nothing pushed, the status is failure on the failed commit, and the same comment is edited', async () => {
    const before = await sh(root, 'git', '--git-dir', remote, 'for-each-ref', '--format=%(refname) %(objectname)');
    const state = commentAnswers(() => api.url, 1);
    await api.close();
    api = await GithubApiServer.start({ answers: { ...state.answers, ...NEW_BRANCH } });
    const actuator = new GitRepairActuator({
      npmCache: path.join(root, 'npm-cache'),
      workRoot: root,
      githubThrottle: false,
      env: { PATH: process.env['PATH'] ?? '', TEST_GITHUB_TOKEN: TOKEN },
    });
    const first = await actuator.apply(decision('still broken\n'), loopOn(api.url));
    const second = await actuator.apply({ ...decision('still broken\n'), attempt: 2 }, loopOn(api.url));
    expect([first.status, second.status]).toEqual(['failed', 'failed']);
    expect(await sh(root, 'git', '--git-dir', remote, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(before);
    expect(api.of('repos/create-commit-status').map((r) => [r.params['sha'], (r.body as { state: string }).state])).toEqual([
      [base, 'failure'],
      [base, 'failure'],
    ]);
    expect(api.of('issues/create-comment')).toHaveLength(1);
    expect(api.of('issues/update-comment')).toHaveLength(1);
    const marked = state.comments.filter((c) => readGithubComment(c.body) !== undefined);
    expect(marked).toHaveLength(1);
    expect(readGithubComment(marked[0]!.body)?.state['attempts']).toHaveLength(2);
    expect(api.problems).toEqual([]);
  }, 20_000);

  it('propose: the patch goes in the comment with the command that applies it, the status is pending; nothing is pushed', async () => {
    const before = await sh(root, 'git', '--git-dir', remote, 'for-each-ref', '--format=%(refname) %(objectname)');
    const state = commentAnswers(() => api.url, 0);
    await api.close();
    api = await GithubApiServer.start({ answers: state.answers });
    const actuator = new GitRepairActuator({
      npmCache: path.join(root, 'npm-cache'),
      workRoot: root,
      githubThrottle: false,
      env: { PATH: process.env['PATH'] ?? '', TEST_GITHUB_TOKEN: TOKEN },
    });
    const where = await actuator.propose({ ...decision('fixed\n'), mode: 'approval-required' }, loopOn(api.url));
    expect(where).toMatch(/^status on \w+ of octocat\/Hello-World; comment .+ created on pull request #1347$/);
    const body = state.comments.find((c) => readGithubComment(c.body) !== undefined)!.body;
    expect(body).toContain('git am fix.patch   # the patch below, saved as fix.patch');
    expect(body).toMatch(/^-broken$/m);
    expect(body).toMatch(/^\+fixed$/m);
    // The project's commands ran on the patched commit (the loop's install checks the token is not in their environment).
    expect(body).toMatch(/^before approval, on the patched commit: passed$/m);
    expect(body).toMatch(/^- `node -e .+`: exit 0 in \d+ ms$/m);
    const pending = api.of('repos/create-commit-status')[0]?.body as { state: string; description: string };
    expect(pending).toMatchObject({ state: 'pending', description: expect.stringContaining('its tests pass') });

    // A fix that does not make the tests pass says so before anyone approves it.
    await actuator.propose({ ...decision('still broken\n'), mode: 'approval-required' }, loopOn(api.url));
    const edited = state.comments.find((c) => readGithubComment(c.body) !== undefined)!.body;
    expect(edited).toMatch(/^before approval, on the patched commit: failed: node -e .+ failed$/m);
    expect((api.of('repos/create-commit-status')[1]?.body as { description: string }).description).toContain('its tests fail');
    expect(await sh(root, 'git', '--git-dir', remote, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(before);
    expect(edited).not.toContain(TOKEN);
    expect(api.problems).toEqual([]);
  }, 30_000);

  it('runs nothing without the token, for another repository, or when GitHub says the branch is not to be pushed to', async () => {
    await api.close();
    api = await GithubApiServer.start();
    const loop = loopOn(api.url);
    const noToken = await new GitRepairActuator({
      npmCache: root,
      workRoot: root,
      githubThrottle: false,
      env: { PATH: process.env['PATH'] ?? '' },
    }).apply(decision('fixed\n'), loop);
    expect(noToken.error?.message).toBe(
      "the loop's GitHub forge reads its token from the environment variable TEST_GITHUB_TOKEN, which is not set",
    );
    const actuator = new GitRepairActuator({
      npmCache: root,
      workRoot: root,
      githubThrottle: false,
      env: { PATH: process.env['PATH'] ?? '', TEST_GITHUB_TOKEN: TOKEN },
    });
    const other = await actuator.apply(decision('fixed\n', 'https://github.com/octocat/Spoon-Knife.git'), loop);
    expect(other.error?.message).toMatch(/not of the loop's GitHub repository octocat\/Hello-World/);
    // The documented rules apply to every branch.
    const refused = await actuator.apply(decision('fixed\n'), loop);
    expect(refused).toMatchObject({ status: 'failed', applied: false });
    expect(refused.error?.message).toMatch(/^push refused: rulesets of octocat\/Hello-World apply to homeostat\/fix\/new-topic on GitHub/);
    expect(api.of('repos/create-commit-status')).toEqual([]);
    expect(api.problems).toEqual([]);
  });
});

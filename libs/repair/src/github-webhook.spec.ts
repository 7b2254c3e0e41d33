import { createHmac } from 'node:crypto';
import { buildReportedSchema } from '@homeostat/contracts';
import {
  buildFromGithubEvent,
  failedJobsToFetch,
  githubLogRequestOf,
  jobLogHeader,
  verifyGithubSignature,
  WebhookPayloadError,
} from './github-webhook';

// GitHub's own recorded deliveries (octokit/webhooks), not payloads written for this test.
type Example = { name: string; examples: Array<Record<string, unknown>> };
const recorded = require('@octokit/webhooks-examples/api.github.com/index.json') as Example[];
const examples = (name: string): Array<Record<string, unknown>> => recorded.find((e) => e.name === name)?.examples ?? [];

describe('verifyGithubSignature', () => {
  const secret = 'It is a secret to everybody';
  const body = Buffer.from(JSON.stringify(examples('workflow_run')[0]));
  const sign = (b: Buffer, s = secret): string => `sha256=${createHmac('sha256', s).update(b).digest('hex')}`;

  it('accepts the HMAC-SHA256 of the raw body under the secret', () => {
    expect(verifyGithubSignature(secret, body, sign(body))).toBe(true);
    expect(verifyGithubSignature(secret, body, sign(body).toUpperCase().replace('SHA256=', 'sha256='))).toBe(true);
  });

  it("matches GitHub's documented example (docs: validating webhook deliveries)", () => {
    expect(
      verifyGithubSignature(
        "It's a Secret to Everybody",
        Buffer.from('Hello, World!'),
        'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      ),
    ).toBe(true);
  });

  it('refuses another secret, a changed body, a missing, malformed or sha1 header, and an empty secret', () => {
    expect(verifyGithubSignature(secret, body, sign(body, 'another secret'))).toBe(false);
    expect(verifyGithubSignature(secret, Buffer.concat([body, Buffer.from(' ')]), sign(body))).toBe(false);
    expect(verifyGithubSignature(secret, body, undefined)).toBe(false);
    expect(verifyGithubSignature(secret, body, 'sha256=xyz')).toBe(false);
    expect(verifyGithubSignature(secret, body, `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`)).toBe(false);
    expect(verifyGithubSignature('', body, sign(body, ''))).toBe(false);
  });
});

describe('buildFromGithubEvent', () => {
  it('turns every recorded workflow_run and check_run delivery into a valid build event', () => {
    const all = [
      ...examples('workflow_run').map((p) => ['workflow_run', p] as const),
      ...examples('check_run').map((p) => ['check_run', p] as const),
    ];
    expect(all.length).toBeGreaterThan(10);
    for (const [event, payload] of all) {
      const build = buildFromGithubEvent(event, payload);
      expect(buildReportedSchema.safeParse(build).success).toBe(true);
      const run = payload[event] as { head_sha: string };
      expect(build?.commit).toBe(run.head_sha);
    }
  });

  it('reads a failed check run as a failed build of its repository, and a requested workflow run as queued', () => {
    const failed = examples('check_run').find((p) => (p['check_run'] as { conclusion?: string }).conclusion === 'failure')!;
    const build = buildFromGithubEvent('check_run', failed)!;
    expect(build.status).toBe('failed');
    expect(build.repository).toBe((failed['repository'] as { clone_url: string }).clone_url);
    const requested = examples('workflow_run').find((p) => p['action'] === 'requested')!;
    expect(buildFromGithubEvent('workflow_run', requested)?.status).toBe('queued');
    const completed = examples('workflow_run').find((p) => (p['workflow_run'] as { conclusion?: string }).conclusion === 'success')!;
    expect(buildFromGithubEvent('workflow_run', completed)).toMatchObject({ status: 'passed', branch: 'master' });
  });

  it('ignores other events and refuses a payload that is not one', () => {
    expect(buildFromGithubEvent('ping', { zen: 'Keep it logically awesome.' })).toBeUndefined();
    expect(() => buildFromGithubEvent('workflow_run', [1, 2])).toThrow(WebhookPayloadError);
    expect(() => buildFromGithubEvent('workflow_run', { repository: { clone_url: 'https://x/y.git' } })).toThrow(
      /without its workflow_run/,
    );
    expect(() => buildFromGithubEvent('check_run', { repository: { clone_url: 'https://x/y.git' }, check_run: {} })).toThrow(/head_sha/);
  });
});

describe('githubLogRequestOf', () => {
  it("asks for the job's log of a failed GitHub Actions check run (the check run is the job)", () => {
    const failed = examples('check_run').find((p) => (p['check_run'] as { conclusion?: string }).conclusion === 'failure')!;
    const run = failed['check_run'] as { id: number; name: string };
    expect(githubLogRequestOf('check_run', failed)).toEqual({
      kind: 'job',
      owner: 'Codertocat',
      repo: 'Hello-World',
      jobId: run.id,
      name: run.name,
    });
  });

  it("asks for a failed workflow run's jobs; the recorded completed run with the one field a failed run differs in", () => {
    const completed = examples('workflow_run').find((p) => (p['workflow_run'] as { conclusion?: string }).conclusion === 'success')!;
    const failed = { ...completed, workflow_run: { ...(completed['workflow_run'] as object), conclusion: 'failure' } };
    expect(githubLogRequestOf('workflow_run', failed)).toEqual({
      kind: 'workflow-run',
      owner: 'octo-org',
      repo: 'octo-repo',
      runId: 289782451,
    });
    const timedOut = { ...completed, workflow_run: { ...(completed['workflow_run'] as object), conclusion: 'timed_out' } };
    expect(githubLogRequestOf('workflow_run', timedOut)?.kind).toBe('workflow-run');
  });

  it('asks for nothing for every other recorded delivery: success, queued, in progress, action_required, other apps, other events', () => {
    const asked = [
      ...examples('workflow_run').map((p) => githubLogRequestOf('workflow_run', p)),
      ...examples('check_run').map((p) => githubLogRequestOf('check_run', p)),
    ].filter((r) => r !== undefined);
    // The one recorded failed GitHub Actions check run; no recorded workflow run failed.
    expect(asked).toHaveLength(1);
    expect(githubLogRequestOf('workflow_job', examples('workflow_job')[0])).toBeUndefined();
    expect(githubLogRequestOf('check_run', { check_run: { status: 'completed', conclusion: 'failure', id: 1 } })).toBeUndefined();
    expect(githubLogRequestOf('check_run', 'not an object')).toBeUndefined();
  });
});

describe('failedJobsToFetch', () => {
  it('keeps the failed and timed-out jobs in order, at most the limit', () => {
    const jobs = [
      { id: 1, name: 'lint', conclusion: 'success' },
      { id: 2, name: 'test (20)', conclusion: 'failure' },
      { id: 3, name: 'test (22)', conclusion: 'timed_out' },
      { id: 4, name: 'e2e', conclusion: 'cancelled' },
      { id: 5, name: 'build', conclusion: null },
      { id: 6, name: 'test (24)', conclusion: 'failure' },
    ];
    expect(failedJobsToFetch(jobs).map((j) => j.id)).toEqual([2, 3, 6]);
    expect(failedJobsToFetch(jobs, 1).map((j) => j.id)).toEqual([2]);
    expect(jobLogHeader({ id: 2, name: 'test\n(20)' })).toBe('=== homeostat: the log of job test (20) (2) ===');
  });
});

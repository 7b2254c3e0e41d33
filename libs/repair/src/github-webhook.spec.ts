import { createHmac } from 'node:crypto';
import { buildReportedSchema } from '@homeostat/contracts';
import { buildFromGithubEvent, verifyGithubSignature, WebhookPayloadError } from './github-webhook';

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

import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryIdempotencyStore, type Subscription } from '@homeostat/bus';
import { loadConfig } from '@homeostat/config';
import type { AnyEnvelope, BuildReported } from '@homeostat/contracts';
import { triageLog, wholeLogRanges } from '@homeostat/repair';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { GithubApiServer, type AnswerHook } from '@homeostat/runtime/testing';
import { JsonLogger } from '@homeostat/telemetry';
import { collectorService } from './index';

/*
 * A failed GitHub delivery (GitHub's own recorded payloads) gets its failed jobs' logs through
 * GitHub's API: the embedded collector with a token, against GitHub's OpenAPI description on
 * loopback (GithubApiServer), whose log downloads redirect to a storage server of another origin.
 */

const SECRET = 'It is a secret to everybody, 0123';
const TOKEN = 'ghp_collectorTestToken0123456789abcdefAB';
type Example = { name: string; examples: Array<Record<string, unknown>> };
const recorded = require('@octokit/webhooks-examples/api.github.com/index.json') as Example[];
const examples = (name: string): Array<Record<string, unknown>> => recorded.find((e) => e.name === name)?.examples ?? [];
const failedCheckRun = examples('check_run').find((p) => (p['check_run'] as { conclusion?: string }).conclusion === 'failure')!;
const completedRun = examples('workflow_run').find((p) => (p['workflow_run'] as { conclusion?: string }).conclusion === 'success')!;
// The recorded completed run with the one field a failed run differs in.
const failedRun = { ...completedRun, workflow_run: { ...(completedRun['workflow_run'] as object), conclusion: 'failure' } };

/** A job's log as GitHub Actions writes it: timestamped lines, a real npm engine failure deep inside a big log. */
function jobLog(job: number, lines: number): string {
  const out: string[] = [];
  for (let i = 1; i <= lines; i++) {
    const t = `2026-12-04T05:00:${String(i % 60).padStart(2, '0')}.0000000Z`;
    if (i === Math.floor(lines / 2)) {
      out.push(
        `${t} npm error code EBADENGINE`,
        `${t} npm error engine Unsupported engine`,
        `${t} npm error notsup Required: {"node":">=22.0.0"} (job ${job})`,
      );
    } else out.push(`${t} added ${i} packages, and audited ${i * 3} packages in 2s (job ${job})`);
  }
  return out.join('\n') + '\n';
}

let storage: Server;
let storageUrl: string;
const storageHeaders: IncomingHttpHeaders[] = [];
const LOGS = new Map<string, string>();

beforeAll(async () => {
  storage = createServer((req, res) => {
    storageHeaders.push(req.headers);
    const log = LOGS.get(req.url ?? '');
    res.writeHead(log === undefined ? 404 : 200, { 'content-type': 'text/plain' });
    // In pieces, as a stream arrives.
    if (log !== undefined) for (let i = 0; i < log.length; i += 64 * 1024) res.write(log.slice(i, i + 64 * 1024));
    res.end();
  });
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
  storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
});
afterAll(async () => {
  storage.closeAllConnections();
  await new Promise((resolve) => storage.close(resolve));
});

const answers = (jobs: Array<{ id: number; name: string; conclusion: string }>): Record<string, AnswerHook> => ({
  // The documented job, once per job of the run, with its id, name and conclusion.
  'actions/list-jobs-for-workflow-run': (_req, example) => {
    const documented = (example as { jobs: Array<Record<string, unknown>> }).jobs[0]!;
    return { body: { total_count: jobs.length, jobs: jobs.map((j) => ({ ...documented, ...j, status: 'completed' })) } };
  },
  // GitHub answers a log download with a redirect to the log's storage.
  'actions/download-job-logs-for-workflow-run': (req) => ({ headers: { location: `${storageUrl}/jobs/${req.params['job_id']}.log` } }),
});

async function collectorOn(
  apiUrl: string,
  lines: string[],
): Promise<{ stack: RunningStack; url: string; events: AnyEnvelope[]; sub: Subscription }> {
  const config = loadConfig({
    HOMEOSTAT_MODE: 'embedded',
    HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'collector-github-')),
    COLLECTOR_PORT: '0',
    LOG_LEVEL: 'warn',
    GITHUB_WEBHOOK_SECRET: SECRET,
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: apiUrl,
  });
  const stack = await runServices([collectorService], config, new JsonLogger('test', 'warn', (line) => lines.push(line)));
  const events: AnyEnvelope[] = [];
  const sub = await stack.bus.subscribe({
    decode: 'event',
    group: 'github-test',
    topics: ['telemetry.logs'],
    retry: { maxAttempts: 1, backoffMs: 0 },
    idempotency: new MemoryIdempotencyStore(),
    handler: (event) => {
      events.push(event);
      return Promise.resolve();
    },
  });
  return { stack, url: stack.services[0]!.url, events, sub };
}

async function deliver(
  url: string,
  event: string,
  payload: unknown,
): Promise<{ status: number; body: { id: string | null; log?: string } }> {
  const body = Buffer.from(JSON.stringify(payload));
  const res = await fetch(`${url}/v1/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as { id: string | null; log?: string } };
}

async function buildOf(events: AnyEnvelope[], id: string | null): Promise<BuildReported> {
  for (let i = 0; i < 500; i++) {
    const event = events.find((e) => e.id === id);
    if (event) return event.data as BuildReported;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the build event never arrived');
}

describe('the GitHub webhook with a token', () => {
  let api: GithubApiServer;
  let collector: Awaited<ReturnType<typeof collectorOn>>;
  const lines: string[] = [];

  afterEach(async () => {
    await collector?.sub.close();
    await collector?.stack.stop();
    await api?.close();
  });

  it("a failed GitHub Actions check run carries its job's log: big, read as a stream, cut to what explains it", async () => {
    const job = (failedCheckRun['check_run'] as { id: number }).id;
    LOGS.set(`/jobs/${job}.log`, jobLog(job, 20_000));
    api = await GithubApiServer.start({ answers: answers([]) });
    collector = await collectorOn(api.url, lines);
    const answer = await deliver(collector.url, 'check_run', failedCheckRun);
    expect(answer.status).toBe(202);
    expect(answer.body.log).toMatch(/^read from GitHub: 1 failed job\(s\)/);
    const build = await buildOf(collector.events, answer.body.id);
    expect(build.status).toBe('failed');
    // About 1.6 MB of log (more than a build event takes), cut to its head, reason lines and tail, with the whole log's line numbers.
    expect(build.logExcerpt?.lines).toBe(20_002);
    expect(build.log!.length).toBeLessThan(400 * 1024);
    const diagnosis = triageLog(build.log!);
    const reason = wholeLogRanges(diagnosis.reasonLines, build.logExcerpt!.kept);
    expect(reason.some(([a, b]) => a <= 10_001 && 10_000 <= b)).toBe(true);
    expect(api.of('actions/download-job-logs-for-workflow-run').map((r) => r.params['job_id'])).toEqual([String(job)]);
    expect(api.problems).toEqual([]);
    // The first test reads GitHub's description (13 MB of JSON).
  }, 20_000);

  it("a failed workflow run carries its failed jobs' logs, each under a header; the token reaches GitHub only", async () => {
    const jobs = [
      { id: 501, name: 'lint', conclusion: 'success' },
      { id: 502, name: 'test (20)', conclusion: 'failure' },
      { id: 503, name: 'test (22)', conclusion: 'failure' },
    ];
    for (const j of jobs) LOGS.set(`/jobs/${j.id}.log`, jobLog(j.id, 40));
    api = await GithubApiServer.start({ answers: answers(jobs) });
    collector = await collectorOn(api.url, lines);
    const storageBefore = storageHeaders.length;
    const answer = await deliver(collector.url, 'workflow_run', failedRun);
    expect(answer.body.log).toBe('read from GitHub: 2 failed job(s) (test (20), test (22))');
    const build = await buildOf(collector.events, answer.body.id);
    expect(build.log).toContain('=== homeostat: the log of job test (20) (502) ===');
    expect(build.log).toContain('=== homeostat: the log of job test (22) (503) ===');
    expect(build.log).not.toContain('(job 501)');
    expect(build.logExcerpt).toBeUndefined();
    expect(api.of('actions/list-jobs-for-workflow-run')[0]?.params['run_id']).toBe('289782451');
    expect(api.requests.every((r) => r.headers.authorization === `token ${TOKEN}`)).toBe(true);
    // The storage is another origin: the redirect there does not carry the token.
    expect(storageHeaders.slice(storageBefore).map((h) => h.authorization)).toEqual([undefined, undefined]);
    expect(JSON.stringify(collector.events)).not.toContain(TOKEN);
    expect(api.problems).toEqual([]);
  });

  it('a log GitHub no longer has: the build goes on without one, the answer and the warning say why, without the token', async () => {
    // The storage has no log 601 (logs expire): the download ends in a 404.
    api = await GithubApiServer.start({ answers: answers([{ id: 601, name: 'test', conclusion: 'failure' }]) });
    collector = await collectorOn(api.url, lines);
    const answer = await deliver(collector.url, 'workflow_run', failedRun);
    expect(answer.status).toBe(202);
    expect(answer.body.log).toMatch(/^not read: GitHub actions\.downloadJobLogsForWorkflowRun failed \(404\)/);
    const build = await buildOf(collector.events, answer.body.id);
    expect(build.log).toBeUndefined();
    expect(lines.some((l) => l.includes('were not read'))).toBe(true);
    expect(lines.join('\n')).not.toContain(TOKEN);
    // A delivery that is not a failure reads nothing.
    const before = api.requests.length;
    expect((await deliver(collector.url, 'workflow_run', completedRun)).body.log).toBeUndefined();
    expect(api.requests.length).toBe(before);
  });
});

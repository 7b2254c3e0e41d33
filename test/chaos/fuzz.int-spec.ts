import { randomUUID } from 'node:crypto';
import { serviceDefinitions } from '@homeostat/cli';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { testConfig } from '../support';
import { request, spansRequest } from './client';
import { deepAnyValue, fuzz } from './fuzz';

const TOKEN = 'fuzz-admin-token-000001';
const SECRET = 'fuzz-webhook-secret';

/**
 * The fast part of `npm run chaos` (issue 18): the inputs that once gave a 500 or froze the
 * collector, then a short seeded fuzz of every endpoint of the collector and the console, in
 * process. A failure names the seed and the requests, so it can be made again.
 */
describe('hostile input to the collector and the console', () => {
  let stack: RunningStack;
  let collector = '';
  let console_ = '';

  beforeAll(async () => {
    const config = testConfig('embedded', `fuzz_${randomUUID().slice(0, 8)}`, {
      CONSOLE_TOKENS: `ada:admin:${TOKEN}`,
      GITHUB_WEBHOOK_SECRET: SECRET,
    });
    stack = await runServices(
      serviceDefinitions(['learner', 'collector', 'console']),
      config,
      new JsonLogger('fuzz', 'error', () => undefined),
    );
    collector = stack.services.find((s) => s.name === 'collector')!.url;
    console_ = stack.services.find((s) => s.name === 'console')!.url;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const json = { 'content-type': 'application/json' };
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('answers the inputs that broke it before with 4xx at once: a 2 MB key, nesting, a malformed cookie, commands on nothing', async () => {
    const nested = (value: string) =>
      Buffer.from(
        `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeLogs":[{"logRecords":[{"body":${value}}]}]}]}`,
      );
    const cases: [string, Promise<{ status: number; ms: number }>, number][] = [
      ['2 MB service.name', request(`${collector}/v1/traces`, { body: spansRequest(0, 1, 'x'.repeat(2 << 20)), headers: json }), 400],
      [
        'log body kvlistValue 5,000 deep',
        request(`${collector}/v1/logs`, { body: nested(deepAnyValue('kvlistValue', 5_000)), headers: json }),
        400,
      ],
      [
        'log body arrayValue 10,000 deep',
        request(`${collector}/v1/logs`, { body: nested(deepAnyValue('arrayValue', 10_000)), headers: json }),
        400,
      ],
      [
        'malformed session cookie',
        request(`${console_}/api/overview`, { method: 'GET', headers: { cookie: 'homeostat_console=%E0%A4%A' } }),
        401,
      ],
      [
        'approve an unknown decision',
        request(`${console_}/api/decisions/dec-unknown/approve`, { body: Buffer.from('{}'), headers: { ...json, ...auth } }),
        404,
      ],
      [
        'reject a malformed id (8,000 characters)',
        request(`${console_}/api/decisions/${'x'.repeat(8_000)}/reject`, { body: Buffer.from('{}'), headers: { ...json, ...auth } }),
        400,
      ],
      ['approve %00', request(`${console_}/api/decisions/%00/approve`, { body: Buffer.from('{}'), headers: { ...json, ...auth } }), 400],
    ];
    const answers = await Promise.all(cases.map(async ([name, answer, expected]) => ({ name, status: (await answer).status, expected })));
    expect(answers.filter((a) => a.status !== a.expected)).toEqual([]);
  });

  it('answers a seeded fuzz of every endpoint without a 5xx or a hang', async () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? 18);
    const result = await fuzz({
      seed,
      count: 200,
      budgetMs: 10_000,
      collectorUrl: collector,
      consoleUrl: console_,
      token: TOKEN,
      webhookSecret: SECRET,
      timeoutMs: 5_000,
    });
    expect({ seed, fiveHundreds: result.answers.fiveHundreds, hangs: result.answers.hangs, examples: result.answers.examples }).toEqual({
      seed,
      fiveHundreds: 0,
      hangs: 0,
      examples: [],
    });
    process.stdout.write(
      `fuzz seed ${seed}: ${result.cases} requests in ${result.seconds} s: ${result.answers.summary()}; slowest ${result.answers.slowest.ms} ms (${result.answers.slowest.what})\n`,
    );
    // Most of it reached the handlers rather than one early refusal: several kinds of answer.
    expect(result.cases).toBeGreaterThan(20);
    expect(result.answers.byStatus.size).toBeGreaterThan(3);
    expect((await request(`${collector}/readyz`, { method: 'GET' })).status).toBe(200);
  }, 60_000);
});

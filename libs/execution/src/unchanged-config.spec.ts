import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLoopSpec, type DecisionMade, type Experiment } from '@homeostat/contracts';
import { sampleDecisionMade } from '@homeostat/contracts/testing';
import { prepareRun, type PreparedRun } from './prepare';
import { unchangedConfig } from './run';

const EXAMPLE = join(__dirname, '../../../examples/gateway/loops/gateway-optimize.yaml');
const parsed = parseLoopSpec(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const loop = parsed.spec;

const experiment: Experiment = {
  route: 'catalog',
  regime: 'r',
  knob: 'balancer',
  change: 'balance catalog with P2C over peak-EWMA',
  knownGood: false,
  objective: 'p99',
  bucketMs: 2_000,
  baselineBuckets: 10,
  trialBuckets: 10,
  minRequestsPerBucket: 5,
  alpha: 0.05,
  minImprovement: 0.1,
  guards: { p99MaxMs: 250, errorRatioMax: 0.01, neverCached: false },
  expectedGain: 0.2,
};

/** A gateway actuator with a live config: answers GET /actuator/config, and counts every request by method. */
let server: Server;
let base: string;
const requests: string[] = [];
const live = { version: 9, config: { routes: {}, upstreams: { catalog: { balancer: 'p2c-ewma', concurrencyLimit: 64, queueLimit: 64 } } } };

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} key=${String(req.headers['idempotency-key'] ?? '')}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(live));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => (requests.length = 0));

function prepared(body: unknown, url = `${base}/actuator/config`, withExperiment = true): PreparedRun {
  const decision: DecisionMade = {
    ...sampleDecisionMade(),
    loop: loop.metadata.name,
    loopVersion: String(loop.metadata.version),
    action: { name: 'set-balancer', adapter: 'http', params: { method: 'PUT', url, body: body as never } },
    ...(withExperiment ? { experiment } : {}),
  };
  const p = prepareRun(decision, { loops: new Map([[loop.metadata.name, loop]]), env: {} });
  if (!p.ok) throw new Error(p.message);
  return p.run;
}

const clock = { now: () => Date.parse('2026-12-04T05:00:00.000Z'), sleep: () => Promise.resolve() };

describe('an experiment whose change is already live', () => {
  it('is skipped without a PUT, its outcome saying why and at which config version', async () => {
    const outcome = await unchangedConfig(prepared({ upstreams: { catalog: { balancer: 'p2c-ewma' } } }), fetch, clock);
    expect(outcome).toMatchObject({
      status: 'skipped',
      applied: false,
      timeToRecoverMs: null,
      verification: {
        passed: false,
        checks: [{ name: 'config-unchanged', passed: false, observed: 9 }],
        detail: "not sent: balance catalog with P2C over peak-EWMA is already live in the target's config (version 9)",
      },
    });
    // One GET, without the action's idempotency key.
    expect(requests).toEqual(['GET /actuator/config key=']);
  });

  it('goes ahead when the patch changes something, when the live config cannot be read, and for what is not an experiment', async () => {
    expect(await unchangedConfig(prepared({ upstreams: { catalog: { balancer: 'round-robin' } } }), fetch, clock)).toBeUndefined();
    expect(
      await unchangedConfig(
        prepared({ upstreams: { catalog: { balancer: 'p2c-ewma' } } }, 'http://127.0.0.1:9/actuator/config'),
        fetch,
        clock,
      ),
    ).toBeUndefined();
    expect(
      await unchangedConfig(
        prepared({ upstreams: { catalog: { balancer: 'p2c-ewma' } } }, `${base}/actuator/config?mode=replace`),
        fetch,
        clock,
      ),
    ).toBeUndefined();
    requests.length = 0;
    expect(
      await unchangedConfig(prepared({ upstreams: { catalog: { balancer: 'p2c-ewma' } } }, undefined, false), fetch, clock),
    ).toBeUndefined();
    expect(requests).toEqual([]);
  });
});

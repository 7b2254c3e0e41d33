import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { InProcessBus, MemoryIdempotencyStore, type Subscription } from '@homeostat/bus';
import type { AnyEnvelope } from '@homeostat/contracts';
import {
  BATCH_EVENT_TYPES,
  OTLP_EVENT_TYPES,
  decodeResponseProtobuf,
  encodeRequestProtobuf,
  expandOtlpEvent,
  type Signal,
} from '@homeostat/otlp';
import { benchTracesRequest } from '@homeostat/otlp/testing';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { loadConfig, type HomeostatConfig } from '@homeostat/config';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectorWithBlockedConsumer } from './blocked-consumer.testing';
import { collectorService } from './index';

/** As test/support.ts (which a service's tests may not import): the broker of the integration run, port 0. */
function testConfig(mode: 'embedded' | 'kafka', extra: Record<string, string> = {}): HomeostatConfig {
  return loadConfig({
    HOMEOSTAT_MODE: mode,
    HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'collector-')),
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
    HOMEOSTAT_TOPIC_PARTITIONS: '3',
    COLLECTOR_PORT: '0',
    COLLECTOR_BODY_POOL_POISON: 'true',
    LOG_LEVEL: 'error',
    ...extra,
  });
}

async function eventually(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const T0 = '1735725600000000000';
const T1 = '1735725600250000000';
const API_KEY = 'test-key-0123456789abcdef';

type Encoding = 'protobuf' | 'json';
const CONTENT_TYPE: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** One request per signal for `service`, in OTLP's object form (ids as hex, converted for protobuf). */
function request(signal: Signal, service: string, encoding: Encoding): Record<string, unknown> {
  const id = (hex: string): string | Buffer => (encoding === 'protobuf' ? Buffer.from(hex, 'hex') : hex);
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: service } }] };
  const scope = { name: 'test', version: '1.0.0' };
  switch (signal) {
    case 'traces':
      return {
        resourceSpans: [
          {
            resource,
            scopeSpans: [
              {
                scope,
                spans: [
                  {
                    traceId: id(TRACE),
                    spanId: id(SPAN),
                    name: 'GET /checkout',
                    kind: 2,
                    startTimeUnixNano: T0,
                    endTimeUnixNano: T1,
                    attributes: [{ key: 'http.route', value: { stringValue: '/checkout' } }],
                    status: { code: 2 },
                  },
                  // Rejected: a trace id of 5 bytes.
                  { traceId: id('0102030405'), spanId: id(SPAN), name: 'bad', kind: 1, startTimeUnixNano: T0, endTimeUnixNano: T1 },
                ],
              },
            ],
          },
        ],
      };
    case 'metrics':
      return {
        resourceMetrics: [
          {
            resource,
            scopeMetrics: [
              { scope, metrics: [{ name: 'db.client.connections.usage', gauge: { dataPoints: [{ timeUnixNano: T1, asInt: 7 }] } }] },
            ],
          },
        ],
      };
    case 'logs':
      return {
        resourceLogs: [
          {
            resource,
            scopeLogs: [{ scope, logRecords: [{ timeUnixNano: T0, severityNumber: 17, body: { stringValue: 'pool timeout' } }] }],
          },
        ],
      };
  }
}

function encode(signal: Signal, encoding: Encoding, value: Record<string, unknown>): Buffer {
  return encoding === 'protobuf' ? Buffer.from(encodeRequestProtobuf(signal, value)) : Buffer.from(JSON.stringify(value));
}

async function post(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

describe.each(['embedded', 'kafka'] as const)('the collector in %s mode', (mode) => {
  let stack: RunningStack;
  let url: string;
  let subscription: Subscription;
  const received: AnyEnvelope[] = [];

  beforeAll(async () => {
    const database = `collector_${mode}_${randomUUID().slice(0, 8)}`;
    const config = testConfig(mode, {
      HOMEOSTAT_TOPIC_PREFIX: `${database}.`,
      HOMEOSTAT_API_KEYS: API_KEY,
      COLLECTOR_MAX_BODY_BYTES: String(3 * 1024 * 1024),
    });
    stack = await runServices([collectorService], config, new JsonLogger('test', 'error', () => undefined));
    url = stack.services[0]!.url;
    subscription = await stack.bus.subscribe({
      decode: 'event',
      group: `test-consumer-${randomUUID()}`,
      topics: ['telemetry.spans', 'telemetry.metrics', 'telemetry.logs'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (event) => {
        received.push(event);
        return Promise.resolve();
      },
    });
    await eventually('the test consumer joined', () => subscription.isReady());
  });

  afterAll(async () => {
    await subscription?.close();
    await stack?.stop();
  });

  const auth = { authorization: `Bearer ${API_KEY}` };

  it('is ready when the bus is', async () => {
    await eventually('collector ready', async () => (await fetch(`${url}/readyz`)).status === 200);
  });

  describe.each(['traces', 'metrics', 'logs'] as const)('%s', (signal) => {
    it.each([
      ['protobuf', false],
      ['protobuf', true],
      ['json', false],
      ['json', true],
    ] as const)('accepts %s (gzip: %s), answers once the events are on the bus', async (encoding, gzip) => {
      const service = `svc-${signal}-${encoding}-${gzip ? 'gz' : 'plain'}-${randomUUID().slice(0, 6)}`;
      const raw = encode(signal, encoding, request(signal, service, encoding));
      const res = await post(`${url}/v1/${signal}`, gzip ? gzipSync(raw) : raw, {
        'content-type': CONTENT_TYPE[encoding],
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        ...auth,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(CONTENT_TYPE[encoding]);
      if (signal === 'traces' && encoding === 'json') {
        expect(JSON.parse(res.body.toString())).toEqual({
          partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringContaining('traceId must be 16 bytes') },
        });
      } else {
        // Protobuf goes on the bus as received: its spans are checked by the consumers (which
        // drop and log the bad one, below), so the answer has no partial_success.
        expect(encoding === 'json' ? JSON.parse(res.body.toString()) : res.body.length).toEqual(encoding === 'json' ? {} : 0);
      }
      await eventually(`the ${signal} event for ${service}`, () => received.some((e) => e.subject === service), 20_000);
      const event = received.find((e) => e.subject === service)!;
      expect(event.source).toBe('collector');
      expect(event.type).toBe(encoding === 'protobuf' ? OTLP_EVENT_TYPES[signal] : BATCH_EVENT_TYPES[signal]);
      const expanded = expandOtlpEvent(event);
      expect(expanded.rejected).toBe(encoding === 'protobuf' && signal === 'traces' ? 1 : 0);
      const [batch] = expanded.events;
      expect(batch?.subject).toBe(service);
      if (batch?.type === 'homeostat.telemetry.spans.v1') expect(batch.data.spans.map((s) => s.traceId)).toEqual([TRACE]);
      if (batch?.type === 'homeostat.telemetry.metrics.v1')
        expect(batch.data.metrics[0]!.points).toEqual([{ attributes: {}, timeUnixNano: T1, value: 7 }]);
      if (batch?.type === 'homeostat.telemetry.logs.v1') expect(batch.data.logRecords[0]!.body).toBe('pool timeout');
    });
  });

  it('answers malformed payloads with 400 and a google.rpc.Status, and keeps serving', async () => {
    const badPb = await post(`${url}/v1/traces`, Buffer.from([0x0a, 0xff, 0xff, 0x01]), { 'content-type': CONTENT_TYPE.protobuf, ...auth });
    expect(badPb.status).toBe(400);
    expect(decodeResponseProtobuf('google.rpc.Status', badPb.body)).toMatchObject({
      code: 3,
      message: expect.stringContaining('not a valid protobuf'),
    });
    const badJson = await post(`${url}/v1/logs`, Buffer.from('{"resourceLogs": ['), { 'content-type': CONTENT_TYPE.json, ...auth });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body.toString())).toMatchObject({ code: 3, message: expect.stringContaining('not valid JSON') });
    const badGzip = await post(`${url}/v1/metrics`, Buffer.from('not gzip at all'), {
      'content-type': CONTENT_TYPE.json,
      'content-encoding': 'gzip',
      ...auth,
    });
    expect(badGzip.status).toBe(400);
    expect(JSON.parse(badGzip.body.toString())).toMatchObject({ code: 3, message: expect.stringContaining('gzip') });
    const ok = await post(`${url}/v1/metrics`, encode('metrics', 'json', request('metrics', 'after-400', 'json')), {
      'content-type': CONTENT_TYPE.json,
      ...auth,
    });
    expect(ok.status).toBe(200);
  });

  it.each(['json', 'protobuf'] as const)(
    'answers a 2 MB service.name (%s) with 400 naming the field, at once, and keeps serving',
    async (encoding) => {
      const huge = 'x'.repeat(2 * 1024 * 1024);
      const start = Date.now();
      const res = await post(`${url}/v1/logs`, encode('logs', encoding, request('logs', huge, encoding)), {
        'content-type': CONTENT_TYPE[encoding],
        ...auth,
      });
      console.log(`a 2 MiB service.name (${encoding}, ${mode}): ${res.status} in ${Date.now() - start} ms`);
      expect(res.status).toBe(400);
      const status =
        encoding === 'json' ? (JSON.parse(res.body.toString()) as unknown) : decodeResponseProtobuf('google.rpc.Status', res.body);
      expect(status).toMatchObject({
        code: 3,
        message: 'resourceLogs[0]: resource attribute service.name is 2097152 characters; at most 256',
      });
      const service = `after-long-name-${randomUUID().slice(0, 6)}`;
      const ok = await post(`${url}/v1/logs`, encode('logs', encoding, request('logs', service, encoding)), {
        'content-type': CONTENT_TYPE[encoding],
        ...auth,
      });
      expect(ok.status).toBe(200);
      await eventually('the next request', () => received.some((e) => e.subject === service), 20_000);
      expect(received.some((e) => e.subject.length > 256)).toBe(false);
    },
  );

  it.each([
    ['kvlistValue', 5_000],
    ['arrayValue', 10_000],
  ] as const)('answers a log body of %s nested %d deep with 400 (not a 500), and keeps serving', async (kind, depth) => {
    const open = kind === 'kvlistValue' ? '{"kvlistValue":{"values":[{"key":"k","value":' : '{"arrayValue":{"values":[';
    const close = kind === 'kvlistValue' ? '}]}}' : ']}}';
    // Written out: JSON.stringify is recursive and gives out that deep.
    const body = JSON.stringify(request('logs', 'deep', 'json')).replace(
      '{"stringValue":"pool timeout"}',
      `${open.repeat(depth)}{"stringValue":"bottom"}${close.repeat(depth)}`,
    );
    const res = await post(`${url}/v1/logs`, Buffer.from(body), { 'content-type': CONTENT_TYPE.json, ...auth });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toEqual({
      code: 3,
      message: 'resourceLogs[0].scopeLogs[0].logRecords[0]: body nests arrayValue and kvlistValue more than 32 levels deep',
    });
    const ok = await post(`${url}/v1/logs`, encode('logs', 'json', request('logs', 'after-deep', 'json')), {
      'content-type': CONTENT_TYPE.json,
      ...auth,
    });
    expect(ok.status).toBe(200);
  });

  it("takes one target's request larger than a Kafka record may be (1 MB by default), in events that each fit", async () => {
    const body = benchTracesRequest(2500);
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const res = await post(`${url}/v1/traces`, body, { 'content-type': CONTENT_TYPE.protobuf, ...auth });
    expect(res.status).toBe(200);
    const items = (): number => received.filter((e) => e.subject === 'shop').reduce((n, e) => n + (e.data as { items: number }).items, 0);
    await eventually('all 2500 spans arrived', () => items() === 2500);
  });

  it(`answers a single log record larger than a record may be with ${mode === 'kafka' ? '413 (the broker refuses it; retrying cannot help)' : '200 (no broker limit in process)'}`, async () => {
    const service = `huge-${randomUUID().slice(0, 6)}`;
    const huge = encodeRequestProtobuf('logs', {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeLogs: [{ logRecords: [{ timeUnixNano: '1735725600000000000', body: { stringValue: 'x'.repeat(1_500_000) } }] }],
        },
      ],
    });
    const res = await post(`${url}/v1/logs`, Buffer.from(huge), { 'content-type': CONTENT_TYPE.protobuf, ...auth });
    if (mode === 'kafka') {
      expect(res.status).toBe(413);
      expect(decodeResponseProtobuf('google.rpc.Status', res.body)).toMatchObject({
        message: expect.stringContaining('max.message.bytes'),
      });
    } else {
      expect(res.status).toBe(200);
      await eventually('the record arrived', () => received.some((e) => e.subject === service));
    }
  });

  it('answers 413 above the body limit, before and after decompression (a gzip bomb), and keeps serving', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0x20);
    const tooBig = await post(`${url}/v1/traces`, big, { 'content-type': CONTENT_TYPE.json, ...auth });
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.body.toString())).toMatchObject({ code: 8 });
    // 64 MiB of zeros inflate from ~64 KiB: far over the 1 MiB limit after decompression only.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const bombed = await post(`${url}/v1/logs`, bomb, { 'content-type': CONTENT_TYPE.protobuf, 'content-encoding': 'gzip', ...auth });
    expect(bombed.status).toBe(413);
    expect(decodeResponseProtobuf('google.rpc.Status', bombed.body)).toMatchObject({
      code: 8,
      message: expect.stringContaining('inflates'),
    });
    const ok = await post(`${url}/v1/logs`, encode('logs', 'protobuf', request('logs', 'after-413', 'protobuf')), {
      'content-type': CONTENT_TYPE.protobuf,
      ...auth,
    });
    expect(ok.status).toBe(200);
  });

  it('answers 415 for other content types and encodings', async () => {
    const text = await post(`${url}/v1/traces`, Buffer.from('hello'), { 'content-type': 'text/plain', ...auth });
    expect(text.status).toBe(415);
    expect(JSON.parse(text.body.toString())).toMatchObject({ code: 3, message: expect.stringContaining('text/plain') });
    const br = await post(`${url}/v1/traces`, Buffer.from('{}'), { 'content-type': CONTENT_TYPE.json, 'content-encoding': 'br', ...auth });
    expect(br.status).toBe(415);
  });

  it('answers 401 with WWW-Authenticate without a valid key, and keeps serving', async () => {
    const body = encode('traces', 'json', request('traces', 'unauthenticated', 'json'));
    const none = await post(`${url}/v1/traces`, body, { 'content-type': CONTENT_TYPE.json });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(JSON.parse(none.body.toString())).toMatchObject({ code: 16 });
    const wrong = await post(`${url}/v1/traces`, body, {
      'content-type': CONTENT_TYPE.json,
      authorization: 'Bearer not-the-key-0123456789',
    });
    expect(wrong.status).toBe(401);
    const builds = await post(`${url}/v1/builds`, Buffer.from('{}'), { 'content-type': CONTENT_TYPE.json });
    expect(builds.status).toBe(401);
    expect((await post(`${url}/v1/traces`, body, { 'content-type': CONTENT_TYPE.json, ...auth })).status).toBe(200);
    // Only the authenticated request reached the bus.
    await eventually('the authenticated event', () => received.some((e) => e.subject === 'unauthenticated'), 20_000);
    expect(received.filter((e) => e.subject === 'unauthenticated')).toHaveLength(1);
  });

  it('accepts a valid build report (202) and rejects an invalid one with the field errors (400)', async () => {
    const repository = `acme/shop-${randomUUID().slice(0, 6)}`;
    const build = {
      repository,
      commit: 'a1b2c3d',
      branch: 'main',
      pipeline: 'ci',
      job: 'test',
      status: 'failed',
      log: 'FAIL src/cart.spec.ts',
      junitXml: '<testsuites/>',
    };
    const ok = await post(`${url}/v1/builds`, Buffer.from(JSON.stringify(build)), { 'content-type': CONTENT_TYPE.json, ...auth });
    expect(ok.status).toBe(202);
    expect(JSON.parse(ok.body.toString())).toEqual({ id: expect.any(String) });
    await eventually(
      'the build event',
      () => received.some((e) => e.type === 'homeostat.build.reported.v1' && e.subject === repository),
      20_000,
    );

    const bad = await post(`${url}/v1/builds`, Buffer.from(JSON.stringify({ repository, status: 'exploded', extra: 1 })), {
      'content-type': CONTENT_TYPE.json,
      ...auth,
    });
    expect(bad.status).toBe(400);
    const body = JSON.parse(bad.body.toString()) as { details: { path: string; message: string }[] };
    expect(body.details).toEqual(
      expect.arrayContaining([
        { path: 'commit', message: 'required field is missing' },
        { path: 'status', message: expect.any(String) },
        { path: 'extra', message: 'unknown field' },
      ]),
    );

    // The repository is the events' subject and the bus key.
    const long = await post(`${url}/v1/builds`, Buffer.from(JSON.stringify({ ...build, repository: 'r'.repeat(100_000) })), {
      'content-type': CONTENT_TYPE.json,
      ...auth,
    });
    expect(long.status).toBe(400);
    expect((JSON.parse(long.body.toString()) as { details: unknown }).details).toEqual([
      { path: 'repository', message: "is 100000 characters; at most 256 (it is the events' subject and the bus key)" },
    ]);
  });
});

describe('the collector under back-pressure (in-process bus)', () => {
  let stack: RunningStack;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    ({ stack, release } = await collectorWithBlockedConsumer(testConfig('embedded', { HOMEOSTAT_INPROCESS_QUEUE_LIMIT: '2' })));
  });

  afterAll(async () => {
    release();
    await stack?.stop();
  });

  it('answers 429 with Retry-After when the consumer cannot keep up, and 200 again once it does', async () => {
    expect(stack.bus).toBeInstanceOf(InProcessBus);
    const url = stack.services[0]!.url;
    const send = (): Promise<{ status: number; headers: Headers; body: Buffer }> =>
      post(`${url}/v1/logs`, encode('logs', 'json', request('logs', 'busy', 'json')), { 'content-type': CONTENT_TYPE.json });
    const statuses: number[] = [];
    let throttled: { status: number; headers: Headers; body: Buffer } | undefined;
    for (let i = 0; i < 6 && !throttled; i++) {
      const res = await send();
      statuses.push(res.status);
      if (res.status === 429) throttled = res;
    }
    expect(throttled).toBeDefined();
    expect(throttled!.headers.get('retry-after')).toBe('1');
    expect(JSON.parse(throttled!.body.toString())).toMatchObject({ code: 8 });
    // On /metrics: each request's log record received, the throttled ones refused for back-pressure.
    const throttledCount = statuses.filter((s) => s === 429).length;
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(`homeostat_telemetry_items_received_total{signal="logs"} ${statuses.length}\n`);
    expect(metrics).toContain(`homeostat_telemetry_items_refused_total{signal="logs",reason="backpressure"} ${throttledCount}\n`);
    expect(metrics).toContain(`homeostat_collector_requests_total{signal="logs",encoding="json",code="429"} ${throttledCount}\n`);
    expect(metrics).toContain(
      `homeostat_bus_queue_depth{group="blocked-consumer",topic="telemetry.logs"} ${statuses.length - throttledCount - 1}\n`,
    );
    release();
    await eventually('accepted again', async () => (await send()).status === 200, 10_000);
  });
});

describe('the collector when the bus cannot take messages (Kafka)', () => {
  let stack: RunningStack;
  let admin: Admin;
  const prefix = `collector_outage_${randomUUID().slice(0, 8)}.`;
  const logsTopic = `${prefix}telemetry.logs`;

  beforeAll(async () => {
    const config = testConfig('kafka', { HOMEOSTAT_TOPIC_PREFIX: prefix, HOMEOSTAT_TOPIC_PARTITIONS: '1' });
    stack = await runServices([collectorService], config, new JsonLogger('test', 'error', () => undefined));
    admin = new Kafka({ clientId: 'collector-outage-test', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await stack?.stop();
  });

  it('says not ready, with the reason, while exports are answered 503; ready again once a publish goes through', async () => {
    const url = stack.services[0]!.url;
    const send = (): Promise<{ status: number; headers: Headers; body: Buffer }> =>
      post(`${url}/v1/logs`, encode('logs', 'json', request('logs', 'outage', 'json')), { 'content-type': CONTENT_TYPE.json });
    const readyz = async (): Promise<{
      status: number;
      body: { checks: Record<string, { ok: boolean; detail?: { reason?: string } }> };
    }> => {
      const res = await fetch(`${url}/readyz`);
      return { status: res.status, body: (await res.json()) as { checks: Record<string, { ok: boolean; detail?: { reason?: string } }> } };
    };
    expect((await send()).status).toBe(200);
    await eventually('ready', async () => (await readyz()).status === 200);

    // The broker no longer has the topic (it does not create topics on its own): every publish to it fails.
    await admin.deleteTopics({ topics: [logsTopic] });
    let refused: { status: number; headers: Headers } | undefined;
    await eventually('an export answered 503', async () => {
      const res = await send();
      if (res.status === 503) refused = res;
      return refused !== undefined;
    });
    expect(refused!.headers.get('retry-after')).toBe('5');
    const notReady = await readyz();
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks['publishing']).toMatchObject({ ok: false, detail: { reason: expect.stringContaining('PUBLISH_FAILED') } });
    // The producer itself is still connected: the bus's own check does not see it.
    expect(notReady.body.checks['bus']).toMatchObject({ ok: true });

    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: logsTopic, numPartitions: 1 }] });
    await eventually('an export accepted again', async () => (await send()).status === 200, 90_000);
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.checks['publishing']).toMatchObject({ ok: true });
  });
});

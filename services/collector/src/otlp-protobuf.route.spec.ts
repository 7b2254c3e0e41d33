import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MemoryIdempotencyStore, type Subscription } from '@homeostat/bus';
import { loadConfig } from '@homeostat/config';
import type { AnyEnvelope } from '@homeostat/contracts';
import { BATCH_EVENT_TYPES, OTLP_EVENT_TYPES, decodeResponseProtobuf, encodeRequestProtobuf, mapOtlpPayload } from '@homeostat/otlp';
import { benchTracesRequest } from '@homeostat/otlp/testing';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { collectorWithBlockedConsumer } from './blocked-consumer.testing';
import { collectorService } from './index';

/*
 * The protobuf route that runs before Nest (OtlpProtobufRoute): the embedded collector (in-process
 * bus, no broker). Which of the two answered shows in Express's X-Powered-By header, which only
 * Nest's side sends.
 */

const API_KEY = 'route-key-0123456789abcdef';
const PROTOBUF = 'application/x-protobuf';

const logs = (service: string): Buffer =>
  Buffer.from(
    encodeRequestProtobuf('logs', {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeLogs: [{ logRecords: [{ timeUnixNano: '1735725600000000000', body: { stringValue: 'x' } }] }],
        },
      ],
    }),
  );

async function eventually(predicate: () => boolean): Promise<void> {
  for (let i = 0; !predicate(); i++) {
    if (i > 1000) throw new Error('the event never arrived');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function post(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** The collector in embedded mode with `env`, and a subscription that collects what it publishes on telemetry.spans and telemetry.logs. */
async function embeddedCollector(
  env: Record<string, string>,
  received: AnyEnvelope[],
): Promise<{ stack: RunningStack; url: string; subscription: Subscription }> {
  const config = loadConfig({
    HOMEOSTAT_MODE: 'embedded',
    HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'collector-route-')),
    COLLECTOR_PORT: '0',
    COLLECTOR_BODY_POOL_POISON: 'true',
    LOG_LEVEL: 'error',
    ...env,
  });
  const stack = await runServices([collectorService], config, new JsonLogger('test', 'error', () => undefined));
  const subscription = await stack.bus.subscribe({
    decode: 'event',
    group: 'route-test',
    topics: ['telemetry.spans', 'telemetry.logs'],
    retry: { maxAttempts: 1, backoffMs: 0 },
    idempotency: new MemoryIdempotencyStore(),
    handler: (event) => {
      received.push(event);
      return Promise.resolve();
    },
  });
  return { stack, url: stack.services[0]!.url, subscription };
}

describe('the protobuf OTLP route', () => {
  let stack: RunningStack;
  let url: string;
  let subscription: Subscription;
  const received: AnyEnvelope[] = [];
  const auth = { authorization: `Bearer ${API_KEY}` };

  beforeAll(async () => {
    ({ stack, url, subscription } = await embeddedCollector(
      { HOMEOSTAT_API_KEYS: API_KEY, COLLECTOR_MAX_BODY_BYTES: String(1024 * 1024) },
      received,
    ));
  });

  afterAll(async () => {
    await subscription?.close();
    await stack?.stop();
  });

  it('answers a protobuf export itself, with an empty Export*ServiceResponse, once the event is on the bus', async () => {
    const res = await post(`${url}/v1/logs`, logs('route-plain'), { 'content-type': PROTOBUF, ...auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROTOBUF);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.body.length).toBe(0);
    await eventually(() => received.some((e) => e.subject === 'route-plain'));
    expect(received.find((e) => e.subject === 'route-plain')).toMatchObject({
      type: OTLP_EVENT_TYPES.logs,
      source: 'collector',
      data: { items: 1 },
    });
  });

  it('takes a query string, gzip, a content type with parameters, and a large body in many chunks', async () => {
    const gz = await post(`${url}/v1/logs?x=1`, gzipSync(logs('route-gzip')), {
      'content-type': `${PROTOBUF}; charset=binary`,
      'content-encoding': 'gzip',
      ...auth,
    });
    expect([gz.status, gz.headers.get('x-powered-by')]).toEqual([200, null]);
    const big = benchTracesRequest(500);
    expect(big.length).toBeGreaterThan(256 * 1024);
    const res = await post(`${url}/v1/traces`, big, { 'content-type': PROTOBUF, ...auth });
    expect([res.status, res.headers.get('x-powered-by')]).toEqual([200, null]);
  });

  it('answers 401 (with WWW-Authenticate), 400, 413 and 415 as google.rpc.Status in protobuf', async () => {
    const cases: [Record<string, string>, Buffer, number, number][] = [
      [{}, logs('route-nokey'), 401, 16],
      [{ authorization: 'Bearer wrong-key-0123456789' }, logs('route-badkey'), 401, 16],
      [auth, Buffer.from([0x0a, 0xff, 0xff, 0x01]), 400, 3],
      [auth, Buffer.alloc(2 * 1024 * 1024, 0x0a), 413, 8],
      [{ ...auth, 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(8 * 1024 * 1024)), 413, 8],
      [{ ...auth, 'content-encoding': 'br' }, logs('route-br'), 415, 3],
    ];
    for (const [headers, body, status, code] of cases) {
      const res = await post(`${url}/v1/logs`, body, { 'content-type': PROTOBUF, ...headers });
      expect([res.status, res.headers.get('x-powered-by'), res.headers.get('content-type')]).toEqual([status, null, PROTOBUF]);
      expect(decodeResponseProtobuf('google.rpc.Status', res.body)).toMatchObject({ code });
      if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(
      received.filter((e) => e.subject.startsWith('route-nokey') || e.subject.startsWith('route-badkey') || e.subject === 'route-br'),
    ).toEqual([]);
  });

  it('leaves JSON, other content types and other paths to Nest', async () => {
    const json = await post(`${url}/v1/logs`, Buffer.from('{}'), { 'content-type': 'application/json', ...auth });
    expect([json.status, json.headers.get('x-powered-by')]).toEqual([200, 'Express']);
    const text = await post(`${url}/v1/logs`, Buffer.from('hello'), { 'content-type': 'text/plain', ...auth });
    expect([text.status, text.headers.get('x-powered-by')]).toEqual([415, 'Express']);
    const slash = await post(`${url}/v1/logs/`, logs('route-slash'), { 'content-type': PROTOBUF, ...auth });
    expect([slash.status, slash.headers.get('x-powered-by')]).toEqual([200, 'Express']);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('answers 503 with Retry-After once the bus is closed', async () => {
    await stack.bus.close();
    const res = await post(`${url}/v1/logs`, logs('route-closed'), { 'content-type': PROTOBUF, ...auth });
    expect([res.status, res.headers.get('x-powered-by'), res.headers.get('retry-after')]).toEqual([503, null, '5']);
    expect(decodeResponseProtobuf('google.rpc.Status', res.body)).toMatchObject({ code: 14 });
  });
});

describe('request bodies in reused memory', () => {
  let stack: RunningStack;
  let subscription: Subscription;

  afterAll(async () => {
    await subscription?.close();
    await stack?.stop();
  });

  it('a body in many chunks reaches the consumer intact, and its memory serves the next body once the consumer has handled it', async () => {
    const config = loadConfig({
      HOMEOSTAT_MODE: 'embedded',
      HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'collector-pool-')),
      COLLECTOR_PORT: '0',
      COLLECTOR_BODY_POOL_POISON: 'true',
      LOG_LEVEL: 'error',
    });
    stack = await runServices([collectorService], config, new JsonLogger('test', 'error', () => undefined));
    const traceIds = (payload: Uint8Array): string[] =>
      mapOtlpPayload('traces', payload).batches.flatMap((b) => b.data.spans.map((span) => span.traceId));
    const handled: { payload: Buffer; traceIds: string[] }[] = [];
    subscription = await stack.bus.subscribe({
      decode: 'event',
      group: 'pool-test',
      topics: ['telemetry.spans'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      // As the analyzer and the learner do: decode within the handler, keep only what decoding made.
      handler: (event) => {
        const payload = (event.data as unknown as { payload: Buffer }).payload;
        handled.push({ payload, traceIds: traceIds(payload) });
        return Promise.resolve();
      },
    });
    const url = stack.services[0]!.url;
    const bodies = [benchTracesRequest(500), benchTracesRequest(500)];
    for (const [i, body] of bodies.entries()) {
      const res = await post(`${url}/v1/traces`, body, { 'content-type': PROTOBUF });
      expect(res.status).toBe(200);
      await eventually(() => handled.length === i + 1);
    }
    expect(handled.map((h) => h.traceIds)).toEqual(bodies.map(traceIds));
    // The first body's memory was given back (poisoned) and reused: a consumer that kept the
    // bytes past its handler would now read something else.
    expect(handled[0]?.payload.equals(bodies[0]!)).toBe(false);
  });
});

describe('the protobuf OTLP route with COLLECTOR_CHECK_PROTOBUF', () => {
  let stack: RunningStack;
  let url: string;
  let subscription: Subscription;
  const received: AnyEnvelope[] = [];

  beforeAll(async () => {
    ({ stack, url, subscription } = await embeddedCollector({ COLLECTOR_CHECK_PROTOBUF: 'true' }, received));
  });

  afterAll(async () => {
    await subscription?.close();
    await stack?.stop();
  });

  it('checks each span: the valid ones go on the bus as checked batches, the answer counts the others in partial_success', async () => {
    const span = (traceId: Buffer, name: string) => ({
      traceId,
      spanId: Buffer.alloc(8, 2),
      name,
      kind: 2,
      startTimeUnixNano: '1735725600000000000',
      endTimeUnixNano: '1735725600100000000',
    });
    const body = Buffer.from(
      encodeRequestProtobuf('traces', {
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'route-checked' } }] },
            scopeSpans: [{ spans: [span(Buffer.alloc(16, 1), 'GET /ok'), span(Buffer.alloc(8, 1), 'GET /short-id')] }],
          },
        ],
      }),
    );
    const res = await post(`${url}/v1/traces`, body, { 'content-type': PROTOBUF });
    expect([res.status, res.headers.get('content-type')]).toEqual([200, PROTOBUF]);
    expect(decodeResponseProtobuf('traces', res.body)).toMatchObject({
      partialSuccess: { rejectedSpans: 1, errorMessage: expect.stringContaining('traceId must be 16 bytes') },
    });
    await eventually(() => received.some((e) => e.subject === 'route-checked'));
    const event = received.find((e) => e.subject === 'route-checked');
    expect(event?.type).toBe(BATCH_EVENT_TYPES.traces);
    expect((event?.data as { spans: { name: string }[] }).spans.map((x) => x.name)).toEqual(['GET /ok']);
    // A payload that is not protobuf at all is still a 400.
    const bad = await post(`${url}/v1/traces`, Buffer.from([0x0a, 0xff, 0xff, 0x01]), { 'content-type': PROTOBUF });
    expect(bad.status).toBe(400);
  });
});

describe('the protobuf OTLP route under back-pressure', () => {
  let stack: RunningStack;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    ({ stack, release } = await collectorWithBlockedConsumer(
      loadConfig({
        HOMEOSTAT_MODE: 'embedded',
        HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'collector-route-')),
        COLLECTOR_PORT: '0',
        LOG_LEVEL: 'error',
        HOMEOSTAT_INPROCESS_QUEUE_LIMIT: '2',
      }),
    ));
  });

  afterAll(async () => {
    release();
    await stack?.stop();
  });

  it('answers 429 with Retry-After and a protobuf Status while the queue is full', async () => {
    const url = stack.services[0]!.url;
    let throttled: { status: number; headers: Headers; body: Buffer } | undefined;
    for (let i = 0; i < 6 && !throttled; i++) {
      const res = await post(`${url}/v1/logs`, logs('route-busy'), { 'content-type': PROTOBUF });
      if (res.status === 429) throttled = res;
      else expect(res.status).toBe(200);
    }
    expect([throttled?.headers.get('retry-after'), throttled?.headers.get('x-powered-by')]).toEqual(['1', null]);
    expect(decodeResponseProtobuf('google.rpc.Status', throttled!.body)).toMatchObject({ code: 8 });
  });
});

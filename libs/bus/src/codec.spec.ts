import { createEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { BINARY_HEADERS, CONTENT_TYPE, decodeEvent, encodeEvent } from './codec';
import { BusError } from './errors';
import { InProcessBus } from './in-process/in-process-bus';
import { MemoryIdempotencyStore } from './idempotency';
import { memoryLogger } from './testing/events';
import type { RawMessage } from './types';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const otlp = (payload: Uint8Array, items = 3): AnyEnvelope =>
  createEnvelope('homeostat.telemetry.spans.otlp.v1', {
    source: 'collector',
    subject: 'shop',
    traceparent: TRACEPARENT,
    data: { items, payload },
  }) as AnyEnvelope;

describe('the OTLP event types on the bus (binary content mode)', () => {
  it('carries the payload as the record value, without a copy, and the envelope in ce_ headers', () => {
    const payload = Buffer.from([0x0a, 0x00, 0x0a, 0x00]);
    const event = otlp(payload);
    const message = encodeEvent('telemetry.spans', event);
    expect(message.value).toBe(payload);
    expect(message.key).toBe('shop');
    expect(message.headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      [BINARY_HEADERS.id]: event.id,
      [BINARY_HEADERS.type]: 'homeostat.telemetry.spans.otlp.v1',
      [BINARY_HEADERS.subject]: 'shop',
      [BINARY_HEADERS.items]: '3',
      traceparent: TRACEPARENT,
    });
    const decoded = decodeEvent(message);
    expect(decoded.ok && decoded.event).toEqual({ ...event, data: { items: 3, payload } });
  });

  it('checks the envelope and the shape of the data, not the payload, and keeps JSON for other types', () => {
    expect(() => encodeEvent('telemetry.logs', otlp(Buffer.alloc(1)))).toThrow(BusError);
    expect(() =>
      encodeEvent('telemetry.spans', { ...otlp(Buffer.alloc(1)), data: { items: 1, payload: 'AAEC' } } as unknown as AnyEnvelope),
    ).toThrow(/data.payload/);
    expect(() => encodeEvent('telemetry.spans', { ...otlp(Buffer.alloc(1)), datacontenttype: 'application/json' } as AnyEnvelope)).toThrow(
      /datacontenttype/,
    );
    const message = encodeEvent('telemetry.spans', otlp(Buffer.from('not protobuf at all')));
    expect(decodeEvent(message).ok).toBe(true);
    const broken = decodeEvent({ ...message, headers: { ...message.headers, [BINARY_HEADERS.items]: 'many' } });
    expect(broken.ok).toBe(false);
    // A structured-mode record claiming an OTLP type cannot carry bytes: refused.
    const json = {
      topic: 'telemetry.spans',
      value: Buffer.from(JSON.stringify(otlp(Buffer.alloc(1)))),
      headers: { 'content-type': CONTENT_TYPE },
    };
    expect(decodeEvent(json).ok).toBe(false);
  });

  it('in process: the only consumer gets the published bytes, a second one its own copy', async () => {
    const bus = new InProcessBus({ queueLimit: 10, logger: memoryLogger().logger.child('test') });
    await bus.start();
    const got: RawMessage[][] = [[], []];
    for (const i of [0, 1]) {
      await bus.subscribe({
        decode: 'raw',
        group: `g${i}`,
        topics: ['telemetry.spans'],
        retry: { maxAttempts: 1, backoffMs: 0 },
        idempotency: new MemoryIdempotencyStore(),
        handler: (m) => Promise.resolve(void got[i]!.push(m)),
      });
    }
    const payload = Buffer.from([1, 2, 3]);
    await bus.publish('telemetry.spans', otlp(payload));
    await bus.close();
    expect(got[0]![0]!.value).toBe(payload);
    expect(got[1]![0]!.value).not.toBe(payload);
    expect(got[1]![0]!.value).toEqual(payload);
  });

  it('in process: event consumers get what decodeEvent makes of the record, checked once (on publish), each with its own bytes and objects', async () => {
    const bus = new InProcessBus({ queueLimit: 10, logger: memoryLogger().logger.child('test') });
    await bus.start();
    const events: AnyEnvelope[][] = [[], []];
    const raw: RawMessage[] = [];
    for (const i of [0, 1]) {
      await bus.subscribe({
        decode: 'event',
        group: `e${i}`,
        topics: ['telemetry.spans'],
        retry: { maxAttempts: 1, backoffMs: 0 },
        idempotency: new MemoryIdempotencyStore(),
        handler: (e) => Promise.resolve(void events[i]!.push(e)),
      });
    }
    await bus.subscribe({
      decode: 'raw',
      group: 'r',
      topics: ['telemetry.spans'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (m) => Promise.resolve(void raw.push(m)),
    });
    const payload = Buffer.from([0x0a, 0x00]);
    const withoutTrace = { ...otlp(payload, 5) };
    delete withoutTrace.traceparent;
    await bus.publish('telemetry.spans', withoutTrace);
    await bus.close();
    const decoded = decodeEvent(raw[0]!);
    if (!decoded.ok) throw decoded.error;
    const [a, b] = [events[0]![0]!, events[1]![0]!];
    // The same event, traceparent (added on publish) included, as a consumer decoding the record sees it.
    expect(a).toEqual(decoded.event);
    expect(b).toEqual(decoded.event);
    expect(a.traceparent).toMatch(/^00-/);
    expect(a).not.toBe(b);
    expect(a.data).not.toBe(b.data);
    const [pa, pb] = [(a.data as unknown as { payload: Buffer }).payload, (b.data as unknown as { payload: Buffer }).payload];
    expect(pa === payload || pb === payload).toBe(true);
    expect(pa).not.toBe(pb);
  });

  it('in process: an event refused on publish reaches no consumer', async () => {
    const bus = new InProcessBus({ queueLimit: 10, logger: memoryLogger().logger.child('test') });
    await bus.start();
    const events: AnyEnvelope[] = [];
    await bus.subscribe({
      decode: 'event',
      group: 'e',
      topics: ['telemetry.spans'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (e) => Promise.resolve(void events.push(e)),
    });
    await expect(
      bus.publish('telemetry.spans', { ...otlp(Buffer.alloc(1)), data: { items: -1, payload: Buffer.alloc(1) } } as AnyEnvelope),
    ).rejects.toThrow(BusError);
    await expect(bus.publishBatch('telemetry.spans', [otlp(Buffer.alloc(1)), { ...otlp(Buffer.alloc(1)), subject: '' }])).rejects.toThrow(
      BusError,
    );
    await bus.close();
    expect(events).toEqual([]);
  });
});

describe('structured events in process', () => {
  it('are checked once, on publish: each consumer parses its own copy of the checked JSON, and gets what decodeEvent gives', async () => {
    const bus = new InProcessBus({ queueLimit: 10, logger: memoryLogger().logger.child('test') });
    await bus.start();
    const events: AnyEnvelope[][] = [[], []];
    const raw: RawMessage[] = [];
    for (const i of [0, 1]) {
      await bus.subscribe({
        decode: 'event',
        group: `e${i}`,
        topics: ['loop.control'],
        retry: { maxAttempts: 1, backoffMs: 0 },
        idempotency: new MemoryIdempotencyStore(),
        handler: (e) => Promise.resolve(void events[i]!.push(e)),
      });
    }
    await bus.subscribe({
      decode: 'raw',
      group: 'r',
      topics: ['loop.control'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (m) => Promise.resolve(void raw.push(m)),
    });
    const event = createEnvelope('homeostat.control.v1', {
      source: 'console',
      subject: 'shop',
      data: { command: 'pause-loop', loop: 'shop', actor: 'ada', reason: 'maintenance' },
    }) as AnyEnvelope;
    // The default the check fills in travels in the bytes, so a consumer that does not check gets it too.
    delete (event as { datacontenttype?: string }).datacontenttype;
    await bus.publish('loop.control', event);
    await bus.close();
    const decoded = decodeEvent(raw[0]!);
    if (!decoded.ok) throw decoded.error;
    const [a, b] = [events[0]![0]!, events[1]![0]!];
    expect(a).toEqual(decoded.event);
    expect(b).toEqual(decoded.event);
    expect(a.datacontenttype).toBe('application/json');
    expect(a).not.toBe(b);
    expect(a.data).not.toBe(b.data);
  });
});

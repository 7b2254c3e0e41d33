import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DLQ_HEADERS } from '../dead-letter';
import { MemoryIdempotencyStore } from '../idempotency';
import { controlEvent, memoryLogger, seqOf } from '../testing/events';
import { createEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import type { RawMessage } from '../types';
import { InProcessBus } from './in-process-bus';

const retry = { maxAttempts: 2, backoffMs: 1 };

function waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error('timed out waiting'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe('InProcessBus', () => {
  let bus: InProcessBus;
  beforeEach(async () => {
    bus = new InProcessBus({ queueLimit: 100, logger: memoryLogger().logger.child('bus') });
    await bus.start();
  });
  afterEach(() => bus.close());

  it('delivers every event to every group, in publish order per group', async () => {
    const a: AnyEnvelope[] = [];
    const b: AnyEnvelope[] = [];
    for (const [group, sink] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await bus.subscribe({
        decode: 'event',
        group,
        topics: ['loop.control'],
        retry,
        idempotency: new MemoryIdempotencyStore(),
        handler: (e) => (sink.push(e), Promise.resolve()),
      });
    }
    for (let i = 0; i < 20; i++) await bus.publish('loop.control', controlEvent(i % 2 ? 'odd' : 'even', i));
    await waitFor(() => a.length === 20 && b.length === 20);
    expect(a.map(seqOf)).toEqual([...Array(20).keys()]);
    expect(b.map(seqOf)).toEqual([...Array(20).keys()]);
  });

  it('reports per group and topic what waits, what is not handled yet, and what was dead-lettered', async () => {
    let unblock: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    let calls = 0;
    await bus.subscribe({
      decode: 'event',
      group: 'g',
      topics: ['loop.control', 'loop.incidents'],
      retry: { maxAttempts: 1, backoffMs: 1 },
      idempotency: new MemoryIdempotencyStore(),
      // The first message fails (dead-lettered), the second one holds the handler until unblocked.
      handler: () => (++calls === 1 ? Promise.reject(new Error('boom')) : calls === 2 ? blocked : Promise.resolve()),
    });
    for (let i = 0; i < 5; i++) await bus.publish('loop.control', controlEvent('x', i));
    await waitFor(() => calls === 2);
    const [during] = await bus.stats();
    expect(during).toMatchObject({ group: 'g', processed: { handled: 0, deadLettered: 1 } });
    expect(during?.topics).toEqual([
      { topic: 'loop.control', queued: 3, lag: 4 },
      { topic: 'loop.incidents', queued: 0, lag: 0 },
    ]);
    expect(during?.deadLetters).toEqual([{ topic: 'loop.control', code: 'HANDLER_FAILED', count: 1 }]);
    unblock();
    await waitFor(() => calls === 5);
    let after = (await bus.stats())[0];
    for (let i = 0; i < 100 && after?.processed.handled !== 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      after = (await bus.stats())[0];
    }
    expect(after).toMatchObject({ processed: { handled: 4, deadLettered: 1 }, topics: [{ topic: 'loop.control', queued: 0, lag: 0 }, {}] });
  });

  it('hands over before any handler runs (publish does not wait for consumers)', async () => {
    let handled = 0;
    await bus.subscribe({
      decode: 'event',
      group: 'g',
      topics: ['loop.control'],
      retry,
      idempotency: new MemoryIdempotencyStore(),
      handler: () => (handled++, Promise.resolve()),
    });
    await bus.publish('loop.control', controlEvent('x', 1));
    expect(handled).toBe(0);
    await waitFor(() => handled === 1);
  });

  it('dead-letters a failing event to <topic>.dlq and goes on with the next one', async () => {
    const handled: number[] = [];
    const dead: RawMessage[] = [];
    await bus.subscribe({
      decode: 'event',
      group: 'g',
      topics: ['loop.control'],
      retry,
      idempotency: new MemoryIdempotencyStore(),
      handler: (e) => (seqOf(e) === 1 ? Promise.reject(new Error('poison')) : (handled.push(seqOf(e)), Promise.resolve())),
    });
    await bus.subscribe({
      decode: 'raw',
      group: 'dlq-reader',
      topics: ['loop.control.dlq'],
      retry,
      idempotency: new MemoryIdempotencyStore(),
      handler: (m) => (dead.push(m), Promise.resolve()),
    });
    for (const i of [0, 1, 2]) await bus.publish('loop.control', controlEvent('shop', i));
    await waitFor(() => handled.length === 2 && dead.length === 1);
    expect(handled).toEqual([0, 2]);
    expect(dead[0]?.headers[DLQ_HEADERS.error]).toBe('poison');
    expect(seqOf(JSON.parse(dead[0]!.value.toString()) as AnyEnvelope)).toBe(1);
  });

  it('keeps dead letters for inspection when nobody reads the DLQ', async () => {
    await bus.subscribe({
      decode: 'event',
      group: 'g',
      topics: ['loop.control'],
      retry,
      idempotency: new MemoryIdempotencyStore(),
      handler: () => Promise.resolve(),
    });
    await bus.publishRaw({ topic: 'loop.control', key: 'k', value: Buffer.from('junk'), headers: {} });
    await waitFor(() => bus.deadLetters.length === 1);
    expect(bus.deadLetters[0]?.value.toString()).toBe('junk');
  });

  it('refuses with BACKPRESSURE when a group has too many messages waiting', async () => {
    const small = new InProcessBus({ queueLimit: 3, logger: memoryLogger().logger.child('bus') });
    await small.start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await small.subscribe({
      decode: 'event',
      group: 'slow',
      topics: ['loop.control'],
      retry,
      idempotency: new MemoryIdempotencyStore(),
      handler: () => gate,
    });
    for (let i = 0; i < 3; i++) await small.publish('loop.control', controlEvent('k', i));
    await expect(small.publish('loop.control', controlEvent('k', 3))).rejects.toMatchObject({ code: 'BACKPRESSURE', retryable: true });
    release();
    await small.close();
  });

  it('refuses to publish an event that breaks the contract of the topic', async () => {
    await expect(bus.publish('loop.incidents', controlEvent('k', 1))).rejects.toMatchObject({
      code: 'CONTRACT_VIOLATION',
      retryable: false,
    });
  });

  it('finishes queued messages before close() resolves', async () => {
    const handled: number[] = [];
    await bus.subscribe({
      decode: 'event',
      group: 'g',
      topics: ['loop.control'],
      retry,
      idempotency: new MemoryIdempotencyStore(),
      handler: async (e) => {
        await new Promise((r) => setTimeout(r, 5));
        handled.push(seqOf(e));
      },
    });
    for (let i = 0; i < 5; i++) await bus.publish('loop.control', controlEvent('k', i));
    await bus.close();
    expect(handled).toEqual([0, 1, 2, 3, 4]);
  });

  describe('release of published bytes (PublishBatchOptions.release)', () => {
    const otlp = (payload: Buffer): AnyEnvelope =>
      createEnvelope('homeostat.telemetry.spans.otlp.v1', {
        source: 'collector',
        subject: 'shop',
        data: { items: 1, payload },
      }) as AnyEnvelope;
    const payloadOf = (e: AnyEnvelope): Buffer => (e.data as unknown as { payload: Buffer }).payload;
    const subscribe = (group: string, handler: (e: AnyEnvelope) => Promise<void>, topic = 'telemetry.spans') =>
      bus.subscribe({ decode: 'event', group, topics: [topic], retry, idempotency: new MemoryIdempotencyStore(), handler });

    it('releases once the subscription that got the bytes has handled every event of the batch, not before', async () => {
      const gates: (() => void)[] = [];
      const seen: string[] = [];
      await subscribe('analyzer', (e) => {
        seen.push(payloadOf(e).toString());
        return new Promise<void>((r) => gates.push(r));
      });
      let released = 0;
      const body = Buffer.from('first|second');
      await bus.publishBatch('telemetry.spans', [otlp(body.subarray(0, 5)), otlp(body.subarray(6))], { release: () => released++ });
      expect(released).toBe(0);
      await waitFor(() => gates.length === 1);
      gates[0]?.();
      await waitFor(() => gates.length === 2);
      expect(released).toBe(0);
      gates[1]?.();
      await waitFor(() => released === 1);
      expect(seen).toEqual(['first', 'second']);
    });

    it('waits for the subscription with the bytes themselves, not for one that got a copy', async () => {
      let firstDone!: () => void;
      let secondDone!: () => void;
      const payloads: Buffer[] = [];
      await subscribe('first', (e) => (payloads.push(payloadOf(e)), new Promise<void>((r) => (firstDone = r))));
      await subscribe('second', (e) => (payloads.push(payloadOf(e)), new Promise<void>((r) => (secondDone = r))));
      let released = 0;
      const body = Buffer.from('bytes');
      await bus.publishBatch('telemetry.spans', [otlp(body)], { release: () => released++ });
      await waitFor(() => payloads.length === 2);
      expect(payloads[0]).toBe(body);
      expect(payloads[1]).not.toBe(body);
      secondDone();
      await new Promise((r) => setTimeout(r, 20));
      expect(released).toBe(0);
      firstDone();
      await waitFor(() => released === 1);
    });

    it('releases at once when nobody subscribes, and when the publish is refused', async () => {
      let released = 0;
      await bus.publishBatch('telemetry.spans', [otlp(Buffer.from('x'))], { release: () => released++ });
      expect(released).toBe(1);
      const bad = { ...otlp(Buffer.from('x')), datacontenttype: 'application/json' } as AnyEnvelope;
      await expect(bus.publishBatch('telemetry.spans', [bad], { release: () => released++ })).rejects.toMatchObject({
        code: 'CONTRACT_VIOLATION',
      });
      expect(released).toBe(2);
      const small = new InProcessBus({ queueLimit: 1, logger: memoryLogger().logger.child('bus') });
      await small.start();
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      await small.subscribe({
        decode: 'event',
        group: 'slow',
        topics: ['telemetry.spans'],
        retry,
        idempotency: new MemoryIdempotencyStore(),
        handler: () => gate,
      });
      await expect(
        small.publishBatch('telemetry.spans', [otlp(Buffer.from('a')), otlp(Buffer.from('b'))], { release: () => released++ }),
      ).rejects.toMatchObject({ code: 'BACKPRESSURE' });
      expect(released).toBe(3);
      open();
      await small.close();
    });

    it('dead-letters a copy, which the publisher reusing the bytes cannot change', async () => {
      const dead: RawMessage[] = [];
      await subscribe('analyzer', () => Promise.reject(new Error('poison')));
      await bus.subscribe({
        decode: 'raw',
        group: 'dlq-reader',
        topics: ['telemetry.spans.dlq'],
        retry,
        idempotency: new MemoryIdempotencyStore(),
        handler: (m) => (dead.push(m), Promise.resolve()),
      });
      const body = Buffer.from('original');
      let released = 0;
      await bus.publishBatch('telemetry.spans', [otlp(body)], { release: () => (released++, body.fill(0)) });
      await waitFor(() => dead.length === 1 && released === 1);
      expect(dead[0]?.value.toString()).toBe('original');
    });
  });
});

describe('InProcessBus: unordered topics, item bound, spool', () => {
  const spans = (items: number, subject = 'shop'): AnyEnvelope =>
    createEnvelope('homeostat.telemetry.spans.otlp.v1', {
      source: 'collector',
      subject,
      data: { items, payload: Buffer.from([0x0a, 0x00]) },
    }) as AnyEnvelope;
  const newBus = async (options: Partial<ConstructorParameters<typeof InProcessBus>[0]> = {}): Promise<InProcessBus> => {
    const b = new InProcessBus({ queueLimit: 1000, logger: memoryLogger().logger.child('bus'), ...options });
    await b.start();
    return b;
  };

  it('has up to maxInFlight messages of an unordered topic in the handler at once, and keeps the other topics in order behind them', async () => {
    const b = await newBus();
    const gates: (() => void)[] = [];
    const log: string[] = [];
    let inHandler = 0;
    let most = 0;
    await b.subscribe({
      decode: 'event',
      group: 'learner',
      topics: ['telemetry.spans', 'loop.control'],
      unordered: { topics: ['telemetry.spans'], maxInFlight: 3 },
      retry,
      idempotency: new MemoryIdempotencyStore(),
      handler: async (e) => {
        inHandler++;
        most = Math.max(most, inHandler);
        log.push(e.type === 'homeostat.control.v1' ? `control ${seqOf(e)}` : 'spans');
        if (e.type !== 'homeostat.control.v1') await new Promise<void>((r) => gates.push(r));
        inHandler--;
      },
    });
    for (let i = 0; i < 4; i++) await b.publish('telemetry.spans', spans(1));
    await b.publish('loop.control', controlEvent('k', 0));
    await waitFor(() => gates.length === 3);
    // The window is full: the fourth waits, and so does the control event behind it.
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual(['spans', 'spans', 'spans']);
    gates.splice(0).forEach((open) => open());
    await waitFor(() => gates.length === 1);
    expect(log).toEqual(['spans', 'spans', 'spans', 'spans']);
    gates.splice(0).forEach((open) => open());
    await waitFor(() => log.length === 5);
    expect(log[4]).toBe('control 0');
    expect(most).toBe(3);
    await b.close();
  });

  it('refuses with BACKPRESSURE by items waiting or in hand, not only by messages, and takes any one publish into an empty queue', async () => {
    const b = await newBus({ itemLimit: 250 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await b.subscribe({
      decode: 'event',
      group: 'slow',
      topics: ['telemetry.spans'],
      retry,
      idempotency: new MemoryIdempotencyStore(),
      handler: () => gate,
    });
    await b.publish('telemetry.spans', spans(400)); // larger than the limit, into an empty queue
    await expect(b.publish('telemetry.spans', spans(1))).rejects.toMatchObject({ code: 'BACKPRESSURE', retryable: true });
    release();
    await waitFor(() => b.health().detail['queues'] !== undefined && (b.health().detail['queues'] as Record<string, number>)['slow'] === 0);
    await new Promise((r) => setTimeout(r, 10));
    await b.publishBatch('telemetry.spans', [spans(100), spans(100)]);
    await expect(b.publishBatch('telemetry.spans', [spans(30), spans(30)])).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    await b.close();
  });

  it('spools what still waits when close() has drained for drainMs, and replays it first when the group subscribes again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bus-spool-'));
    try {
      const first = await newBus({ spoolDir: dir, drainMs: 30 });
      const handledFirst: number[] = [];
      await first.subscribe({
        decode: 'event',
        group: 'homeostat-learner',
        topics: ['loop.control'],
        retry,
        idempotency: new MemoryIdempotencyStore(),
        handler: async (e) => {
          await new Promise((r) => setTimeout(r, 20));
          handledFirst.push(seqOf(e));
        },
      });
      for (let i = 0; i < 10; i++) await first.publish('loop.control', controlEvent('k', i));
      await first.close();
      expect(handledFirst.length).toBeGreaterThan(0);
      expect(handledFirst.length).toBeLessThan(10);
      expect(readdirSync(dir)).toEqual(['homeostat-learner.spool']);

      const second = await newBus({ spoolDir: dir, drainMs: 30 });
      const handledSecond: number[] = [];
      await second.subscribe({
        decode: 'event',
        group: 'homeostat-learner',
        topics: ['loop.control'],
        retry,
        idempotency: new MemoryIdempotencyStore(),
        handler: (e) => Promise.resolve(void handledSecond.push(seqOf(e))),
      });
      await second.publish('loop.control', controlEvent('k', 10));
      await waitFor(() => handledSecond.length === 11 - handledFirst.length);
      // Nothing lost, nothing twice, the spooled ones first and in order.
      expect([...handledFirst, ...handledSecond]).toEqual([...Array(11).keys()]);
      await waitFor(() => readdirSync(dir).length === 0);
      await second.close();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

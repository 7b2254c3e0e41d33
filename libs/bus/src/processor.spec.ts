import { DLQ_HEADERS } from './dead-letter';
import { NonRetryableError } from './errors';
import { MemoryIdempotencyStore } from './idempotency';
import { MessageProcessor } from './processor';
import { controlEvent, memoryLogger } from './testing/events';
import type { EventHandler, RawMessage } from './types';

function setup(handler: EventHandler, maxAttempts = 3) {
  const published: Omit<RawMessage, 'partition' | 'offset'>[] = [];
  const sleeps: number[] = [];
  const idempotency = new MemoryIdempotencyStore();
  const processor = new MessageProcessor(
    { decode: 'event', group: 'g', topics: ['loop.control'], handler, idempotency, retry: { maxAttempts, backoffMs: 100 } },
    {
      publishRaw: (m) => {
        published.push(m);
        return Promise.resolve();
      },
      logger: memoryLogger().logger.child('test'),
      transport: 'in-process',
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    },
  );
  return { processor, published, sleeps, idempotency };
}

function messageOf(value: unknown, headers: Record<string, string> = { 'x-origin': 'test' }): RawMessage {
  return {
    topic: 'loop.control',
    key: 'shop',
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers,
    partition: 2,
    offset: '41',
  };
}

describe('MessageProcessor', () => {
  it('handles a valid event once and remembers its id', async () => {
    const seen: string[] = [];
    const { processor, idempotency } = setup((e) => {
      seen.push(e.id);
      return Promise.resolve();
    });
    const event = controlEvent('shop', 1);
    expect(await processor.process(messageOf(event))).toBe('handled');
    expect(await processor.process(messageOf(event))).toBe('duplicate');
    expect(seen).toEqual([event.id]);
    expect(await idempotency.has(event.id)).toBe(true);
  });

  it('dead-letters a message that is not a valid event, with the original bytes and headers', async () => {
    const handler = jest.fn<Promise<void>, Parameters<EventHandler>>();
    const { processor, published } = setup(handler);
    expect(await processor.process(messageOf('{not json'))).toBe('dead-lettered');
    expect(handler).not.toHaveBeenCalled();
    expect(published).toHaveLength(1);
    const dl = published[0]!;
    expect(dl.topic).toBe('loop.control.dlq');
    expect(dl.key).toBe('shop');
    expect(dl.value.toString()).toBe('{not json');
    expect(dl.headers['x-origin']).toBe('test');
    expect(dl.headers[DLQ_HEADERS.errorCode]).toBe('CONTRACT_VIOLATION');
    expect(dl.headers[DLQ_HEADERS.originalTopic]).toBe('loop.control');
    expect(dl.headers[DLQ_HEADERS.originalPartition]).toBe('2');
    expect(dl.headers[DLQ_HEADERS.originalOffset]).toBe('41');
    expect(dl.headers[DLQ_HEADERS.attempts]).toBe('0');
  });

  it('dead-letters an event whose type does not belong on the topic', async () => {
    const { processor, published } = setup(() => Promise.resolve());
    const event = controlEvent('shop', 1);
    expect(await processor.process({ ...messageOf(event), topic: 'loop.incidents' })).toBe('dead-lettered');
    expect(published[0]?.topic).toBe('loop.incidents.dlq');
    expect(published[0]?.headers[DLQ_HEADERS.error]).toMatch(/loop\.incidents/);
  });

  it('retries a failing handler with exponential backoff, then dead-letters it with the error', async () => {
    let calls = 0;
    const { processor, published, sleeps, idempotency } = setup(() => {
      calls++;
      return Promise.reject(new Error('database unavailable'));
    });
    const event = controlEvent('shop', 1);
    expect(await processor.process(messageOf(event))).toBe('dead-lettered');
    expect(calls).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(80);
    expect(sleeps[0]).toBeLessThanOrEqual(120);
    expect(sleeps[1]).toBeGreaterThanOrEqual(160);
    expect(sleeps[1]).toBeLessThanOrEqual(240);
    expect(published[0]?.headers[DLQ_HEADERS.error]).toBe('database unavailable');
    expect(published[0]?.headers[DLQ_HEADERS.errorCode]).toBe('HANDLER_FAILED');
    expect(published[0]?.headers[DLQ_HEADERS.attempts]).toBe('3');
    // A redelivery of a dead-lettered event is not dead-lettered twice.
    expect(await idempotency.has(event.id)).toBe(true);
  });

  it('succeeds when a retry succeeds', async () => {
    let calls = 0;
    const { processor, published } = setup(() => (++calls < 2 ? Promise.reject(new Error('flaky')) : Promise.resolve()));
    expect(await processor.process(messageOf(controlEvent('shop', 1)))).toBe('handled');
    expect(calls).toBe(2);
    expect(published).toHaveLength(0);
    expect(processor.stats).toMatchObject({ handled: 1, retries: 1, deadLettered: 0 });
  });

  it('does not retry a non-retryable error', async () => {
    let calls = 0;
    const { processor, published } = setup(() => {
      calls++;
      return Promise.reject(new NonRetryableError('unknown loop'));
    });
    expect(await processor.process(messageOf(controlEvent('shop', 1)))).toBe('dead-lettered');
    expect(calls).toBe(1);
    expect(published[0]?.headers[DLQ_HEADERS.errorCode]).toBe('NON_RETRYABLE');
  });

  it('fails (so the message is redelivered, not committed) when the dead-letter publish fails', async () => {
    const processor = new MessageProcessor(
      {
        decode: 'event',
        group: 'g',
        topics: ['loop.control'],
        handler: () => Promise.resolve(),
        idempotency: new MemoryIdempotencyStore(),
        retry: { maxAttempts: 1, backoffMs: 0 },
      },
      { publishRaw: () => Promise.reject(new Error('broker down')), logger: memoryLogger().logger.child('t'), transport: 'kafka' },
    );
    await expect(processor.process(messageOf('garbage'))).rejects.toThrow('broker down');
  });
});

import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import type { AnyEnvelope } from '@homeostat/contracts';
import { DLQ_HEADERS } from '../dead-letter';
import { MemoryIdempotencyStore } from '../idempotency';
import { TsProcess } from '../testing/child-process';
import { controlEvent, memoryLogger, seqOf } from '../testing/events';
import type { RawMessage } from '../types';
import { KafkaBus } from './kafka-bus';
import { partitionOfKey } from './key-partitioner';

const CONSUMER_SCRIPT = resolve(__dirname, '../testing/kafka-consumer.process.ts');
const brokers = (): string[] => {
  const b = process.env['KAFKA_BROKERS'];
  if (!b) throw new Error('KAFKA_BROKERS is not set: the integration global setup starts a broker');
  return b.split(',');
};

/** Each test gets its own topic namespace on the shared broker, so runs never see each other. */
function newBus(prefix: string): KafkaBus {
  return new KafkaBus({
    brokers: brokers(),
    clientId: 'bus-int-test',
    topicPrefix: prefix,
    topics: [{ name: 'loop.control' }],
    partitions: 3,
    replicationFactor: 1,
    logger: memoryLogger().logger.child('bus'),
  });
}

async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('KafkaBus against a real broker', () => {
  let dir: string;
  let prefix: string;
  let bus: KafkaBus;
  const processes: TsProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bus-int-'));
    prefix = `t${randomUUID().slice(0, 8)}.`;
    bus = newBus(prefix);
    await bus.start();
  });

  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop();
    await bus.close();
  });

  function consumerProcess(extra: Record<string, string> = {}): TsProcess {
    const p = new TsProcess(CONSUMER_SCRIPT, {
      KAFKA_BROKERS: brokers().join(','),
      TOPIC_PREFIX: prefix,
      TOPIC: 'loop.control',
      GROUP: 'cross-process',
      IDEMPOTENCY_PATH: join(dir, 'idempotency.ids'),
      EFFECTS_PATH: join(dir, 'effects.log'),
      ...extra,
    });
    processes.push(p);
    return p;
  }

  async function effects(): Promise<string[][]> {
    const text = await readFile(join(dir, 'effects.log'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '));
  }

  it('waits at start for a broker it cannot reach yet, saying so, and starts once the broker answers', async () => {
    // A port where nothing listens for the first 2 s, then a pipe to the real broker: the bus's
    // bootstrap address (the broker's metadata then gives its own address, which the bus uses).
    const parked = createServer();
    await new Promise<void>((r) => parked.listen(0, '127.0.0.1', () => r()));
    const port = (parked.address() as AddressInfo).port;
    await new Promise<void>((r) => parked.close(() => r()));
    const [host, brokerPort] = (brokers()[0] ?? '').split(':');
    const sockets: Socket[] = [];
    const pipe = createServer((client) => {
      const upstream = connect(Number(brokerPort), host);
      sockets.push(client, upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    const opened = new Promise<void>((r) => setTimeout(() => pipe.listen(port, '127.0.0.1', () => r()), 2_000));
    const { logger, lines } = memoryLogger();
    const late = new KafkaBus({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'bus-int-test-late',
      topicPrefix: prefix,
      topics: [{ name: 'loop.control' }],
      partitions: 3,
      replicationFactor: 1,
      connectionTimeoutMs: 500,
      brokerWaitMs: 60_000,
      logger: logger.child('bus'),
    });
    try {
      await late.start();
      await opened;
      expect(lines.some((l) => String(l['msg']).includes('cannot reach the Kafka broker(s)'))).toBe(true);
      await late.publish('loop.control', controlEvent('late', 1));
    } finally {
      await late.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => pipe.close(() => r()));
    }
  });

  it('gives up at start on a broker that stays unreachable past its wait', async () => {
    const quick = new KafkaBus({
      brokers: ['127.0.0.1:9'],
      clientId: 'bus-int-test-none',
      topics: [{ name: 'loop.control' }],
      partitions: 1,
      replicationFactor: 1,
      connectionTimeoutMs: 200,
      brokerWaitMs: 1_000,
      logger: memoryLogger().logger.child('bus'),
    });
    await expect(quick.start()).rejects.toThrow();
    await quick.close();
  });

  it('delivers to a consumer in another process, each key in publish order', async () => {
    const consumer = consumerProcess();
    await consumer.waitForLine((l) => l['ready'] === true);
    const keys = ['checkout', 'payments', 'search', 'inventory'];
    const events: AnyEnvelope[] = [];
    for (let seq = 0; seq < 60; seq++) events.push(controlEvent(keys[seq % keys.length]!, seq));
    // One publish per event, interleaving keys, as independent producers would.
    for (const e of events) await bus.publish('loop.control', e);

    await waitFor(async () => (await effects()).length >= events.length);
    const handled = await effects();
    expect(handled).toHaveLength(events.length);
    expect(new Set(handled.map(([id]) => id))).toEqual(new Set(events.map((e) => e.id)));
    for (const key of keys) {
      const seqs = handled.filter(([, k]) => k === key).map(([, , s]) => Number(s));
      expect(seqs).toEqual(events.filter((e) => e.subject === key).map(seqOf));
    }
  });

  it("puts each key on the partition Kafka's default partitioner picks, a 256 KiB key without stalling", async () => {
    const seen = new Map<string, number>();
    await bus.subscribe({
      decode: 'raw',
      group: 'partition-reader',
      topics: ['loop.control'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (m) => (seen.set(m.key ?? '', m.partition ?? -1), Promise.resolve()),
    });
    const long = 'k'.repeat(256 * 1024);
    const keys = ['checkout', 'payments', 'search', 'inventory', 'shop', long];
    const start = process.hrtime.bigint();
    for (const key of keys) await bus.publish('loop.control', controlEvent(key, 0));
    console.log(`published ${keys.length} events, one keyed by 256 KiB: ${Number(process.hrtime.bigint() - start) / 1e6} ms`);
    await waitFor(() => seen.size === keys.length);
    for (const key of keys) expect(seen.get(key)).toBe(partitionOfKey(key, 3));
  });

  it("calls a batch's release once the send has settled: after the broker's ack, or with the failure", async () => {
    let released = 0;
    const sent = bus.publishBatch('loop.control', [controlEvent('a', 1), controlEvent('b', 2)], { release: () => released++ });
    expect(released).toBe(0);
    await sent;
    expect(released).toBe(1);
    const closed = newBus(prefix);
    await expect(closed.publishBatch('loop.control', [controlEvent('a', 3)], { release: () => released++ })).rejects.toMatchObject({
      code: 'NOT_STARTED',
    });
    expect(released).toBe(2);
  });

  it("sends a publish larger than the topic's record limit in several requests, in order, and refuses one record over it as MESSAGE_TOO_LARGE (not retryable)", async () => {
    const small = new KafkaBus({
      brokers: brokers(),
      clientId: 'bus-int-test',
      topicPrefix: `${prefix}small.`,
      topics: [{ name: 'loop.control', maxMessageBytes: 16 * 1024 }],
      partitions: 1,
      replicationFactor: 1,
      logger: memoryLogger().logger.child('bus'),
      maxRequestBytes: 12 * 1024,
    });
    await small.start();
    try {
      const padded = (seq: number, bytes: number): AnyEnvelope => {
        const e = controlEvent('one-key', seq);
        return { ...e, data: { ...e.data, reason: `seq ${seq} ${'x'.repeat(bytes)}` } } as AnyEnvelope;
      };
      // 20 records of ~2 KB on one partition: 40 KB, which one request (one record batch) could not carry.
      const events = Array.from({ length: 20 }, (_, seq) => padded(seq, 2000));
      await small.publishBatch('loop.control', events);
      const got: AnyEnvelope[] = [];
      const sub = await small.subscribe({
        decode: 'event',
        group: 'order',
        topics: ['loop.control'],
        retry: { maxAttempts: 1, backoffMs: 1 },
        idempotency: new MemoryIdempotencyStore(),
        handler: (e) => (got.push(e), Promise.resolve()),
      });
      await waitFor(() => got.length === 20);
      expect(got.map(seqOf)).toEqual(events.map(seqOf));
      await sub.close();
      await expect(small.publishBatch('loop.control', [padded(99, 20 * 1024)])).rejects.toMatchObject({
        code: 'MESSAGE_TOO_LARGE',
        retryable: false,
      });
    } finally {
      await small.close();
    }
  });

  it('dead-letters a poison message and a failing one with their errors, and consumes the next', async () => {
    const handled: number[] = [];
    const dead: RawMessage[] = [];
    await bus.subscribe({
      decode: 'event',
      group: 'poison-test',
      topics: ['loop.control'],
      retry: { maxAttempts: 3, backoffMs: 20 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (e) =>
        seqOf(e) === 2 ? Promise.reject(new Error('handler cannot cope with seq 2')) : (handled.push(seqOf(e)), Promise.resolve()),
    });
    await bus.subscribe({
      decode: 'raw',
      group: 'dlq-reader',
      topics: ['loop.control.dlq'],
      retry: { maxAttempts: 1, backoffMs: 0 },
      idempotency: new MemoryIdempotencyStore(),
      handler: (m) => (dead.push(m), Promise.resolve()),
    });
    // Everything on one key, so one partition: the poison sits in front of the good ones.
    await bus.publishRaw({
      topic: 'loop.control',
      key: 'shop',
      value: Buffer.from('{"specversion":"1.0","id":"x"'),
      headers: { origin: 'fuzzer' },
    });
    await bus.publish('loop.control', controlEvent('shop', 1));
    await bus.publish('loop.control', controlEvent('shop', 2));
    await bus.publish('loop.control', controlEvent('shop', 3));

    await waitFor(() => handled.length === 2 && dead.length === 2);
    expect(handled).toEqual([1, 3]);
    const [poison, failing] = dead;
    expect(poison!.value.toString()).toBe('{"specversion":"1.0","id":"x"');
    expect(poison!.key).toBe('shop');
    expect(poison!.headers['origin']).toBe('fuzzer');
    expect(poison!.headers[DLQ_HEADERS.errorCode]).toBe('CONTRACT_VIOLATION');
    expect(poison!.headers[DLQ_HEADERS.error]).toMatch(/JSON/i);
    expect(poison!.headers[DLQ_HEADERS.originalTopic]).toBe('loop.control');
    expect(poison!.headers[DLQ_HEADERS.consumerGroup]).toBe('poison-test');
    expect(failing!.headers[DLQ_HEADERS.error]).toBe('handler cannot cope with seq 2');
    expect(failing!.headers[DLQ_HEADERS.attempts]).toBe('3');
    expect(failing!.headers['ce_type']).toBe('homeostat.control.v1');
    expect(seqOf(JSON.parse(failing!.value.toString()) as AnyEnvelope)).toBe(2);
  });

  it('handles a message again after a crash between handling and commit, and the second handling is a no-op', async () => {
    const crashMarker = join(dir, 'crashed');
    const event = controlEvent('shop', 7);
    await bus.publish('loop.control', event);

    const first = consumerProcess({ CRASH_MARKER: crashMarker });
    const died = await first.exited;
    expect(died.signal).toBe('SIGKILL');
    expect(first.lines.find((l) => l['id'] === event.id)?.['outcome']).toBe('handled');
    expect(await effects()).toEqual([[event.id, 'shop', '7']]);

    // Same group, same idempotency log: the uncommitted message comes back and is skipped.
    const second = consumerProcess();
    const redelivered = await second.waitForLine((l) => l['id'] === event.id);
    expect(redelivered['outcome']).toBe('duplicate');
    expect(await effects()).toEqual([[event.id, 'shop', '7']]);

    // And the duplicate was committed: a third consumer in the group gets nothing more.
    await second.stop();
    const third = consumerProcess();
    await third.waitForLine((l) => l['ready'] === true);
    await bus.publish('loop.control', controlEvent('shop', 8));
    const next = await third.waitForLine((l) => l['outcome'] !== undefined);
    expect(next['id']).not.toBe(event.id);
    expect((await effects()).map(([, , s]) => s)).toEqual(['7', '8']);
  });
});

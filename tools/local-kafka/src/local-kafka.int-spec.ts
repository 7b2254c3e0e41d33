/**
 * Runs against the broker from test/global-setup.ts (KAFKA_BROKERS): create a topic, produce with
 * an idempotent acks=-1 producer, consume it back in a group with manual commits.
 * The last case starts a second local broker to check the startup error path.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type EachMessagePayload } from 'kafkajs';
import { startLocalKafka } from './index';

// The integration project's testTimeout in jest.config.js is not applied by jest 30 (it is a
// global option), so set it here.
jest.setTimeout(120_000);

const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);

describe('local Kafka broker (KAFKA_BROKERS)', () => {
  const kafka = new Kafka({ clientId: 'local-kafka-int-spec', brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();

  beforeAll(async () => {
    expect(brokers.length).toBeGreaterThan(0);
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('runs in UTC with a chDB temp dir', () => {
    expect(process.env['TZ']).toBe('UTC');
    expect(fs.existsSync(process.env['HOMEOSTAT_TEST_CHDB_DIR'] ?? '')).toBe(true);
  });

  it('creates a topic, produces with acks=-1 and consumes it back', async () => {
    const topic = `local-kafka-it-${randomUUID()}`;
    const groupId = `${topic}-group`;
    await expect(admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] })).resolves.toBe(
      true,
    );
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);

    const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));
    const results = await producer.send({ topic, acks: -1, messages: sent });
    expect(results.every((r) => r.errorCode === 0)).toBe(true);
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const received: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out, got ${received.length}/30`)), 60_000);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ topic: t, partition, message }: EachMessagePayload) => {
              received.push(message.value?.toString() ?? '');
              await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
              if (received.length === sent.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    expect([...received].sort()).toEqual(sent.map((m) => m.value).sort());

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(sent.length);
    await admin.deleteTopics({ topics: [topic] });
  });

  it('creates a compacted topic', async () => {
    const topic = `local-kafka-it-compact-${randomUUID()}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['cleanup.policy'] }],
    });
    expect(resources[0]?.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue).toBe('compact');
    await admin.deleteTopics({ topics: [topic] });
  });
});

describe('startLocalKafka errors', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-kafka-fail-'));
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a port that is already taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startLocalKafka({ dataDir, port, log: () => undefined })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('reports the log tail when java exits during startup', async () => {
    // A 1 MiB heap is below the JVM minimum: java exits at once.
    await expect(startLocalKafka({ dataDir, heapMb: 1, log: () => undefined })).rejects.toThrow(
      /exited during startup \(exit code 1\)[\s\S]*tail of .*kafka\.out[\s\S]*Too small maximum heap/,
    );
    expect(fs.existsSync(path.join(dataDir, 'kafka.pid'))).toBe(false);
  });
});

import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { KeyPartitioner, partitionOfKey } from './key-partitioner';

const metadata = (partitions: number): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
  }));

const args = (key: string | Buffer | null, partitions = 6): PartitionerArgs => ({
  topic: 'telemetry.spans',
  partitionMetadata: metadata(partitions),
  message: { key, value: 'v' },
});

const millis = (run: () => void): number => {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

describe('KeyPartitioner', () => {
  it("puts every key on the partition kafkajs's default partitioner picks (existing topics keep per-key order)", () => {
    const ours = KeyPartitioner();
    const kafkajs = Partitioners.DefaultPartitioner();
    const keys: (string | Buffer)[] = [
      '',
      'a',
      'ab',
      'abc',
      'shop',
      'checkout-service',
      'ünïcödé-✓-服务',
      '4bf92f3577b34da6a3ce929d0e0e4736',
      'x'.repeat(4096),
      ...Array.from({ length: 300 }, (_, i) => randomBytes(i % 97)),
      ...Array.from({ length: 100 }, (_, i) => randomBytes(i % 13).toString('base64')),
    ];
    for (const partitions of [1, 3, 6, 7, 64]) {
      for (const key of keys) expect(ours(args(key, partitions))).toBe(kafkajs(args(key, partitions)));
    }
  });

  it('keeps an explicit partition and spreads keyless messages over the partitions', () => {
    const ours = KeyPartitioner();
    expect(ours({ ...args('shop'), message: { key: 'shop', value: 'v', partition: 4 } })).toBe(4);
    const seen = new Set(Array.from({ length: 12 }, () => ours(args(null))));
    expect(seen.size).toBe(6);
  });

  it('partitions a 1 MiB key in one linear pass, to the same partition every time', () => {
    const key = 'service-'.repeat(128 * 1024);
    expect(key.length).toBe(1024 * 1024);
    const ours = KeyPartitioner();
    let first = -1;
    const ms = millis(() => (first = ours(args(key))));
    expect(ours(args(key))).toBe(first);
    expect(partitionOfKey(Buffer.from(key), 6)).toBe(first);
    // A key that differs only in its last byte hashes differently: the whole key counts.
    const other = `${key.slice(0, -1)}!`;
    expect([0, 1, 2, 3, 4, 5].map((p) => partitionOfKey(other, p + 1))).not.toEqual(
      [0, 1, 2, 3, 4, 5].map((p) => partitionOfKey(key, p + 1)),
    );
    // For comparison, kafkajs's own murmur2 on a key 1/32 the size (it is quadratic in the key).
    const kafkajs = Partitioners.DefaultPartitioner();
    const small = key.slice(0, 32 * 1024);
    const kafkajsMs = millis(() => kafkajs(args(small)));
    console.log(
      `partitioning a 1 MiB key: ${ms.toFixed(1)} ms; kafkajs's default partitioner: ${kafkajsMs.toFixed(1)} ms for a 32 KiB key`,
    );
  });
});

import { Partitioners, type ICustomPartitioner } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
// Looked up once: in a vm context (jest's) a global lookup per step costs more than the step.
const imul = Math.imul;

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`) in 32-bit integer arithmetic. kafkajs's own
 * computes it with BigInts that it never truncates to 64 bits, so every step multiplies an ever
 * longer number: quadratic in the key (a 100 KB key took a second, a 2 MB one minutes, with the
 * producer's event loop blocked). The low 32 bits, which are all the result keeps, are the same
 * either way, so this gives the same hash for every key, in one pass.
 */
export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = imul(k, M);
    k ^= k >>> 24;
    k = imul(k, M);
    h = imul(h, M) ^ k;
  }
  const rest = length % 4;
  if (rest > 0) {
    if (rest === 3) h ^= (data[whole + 2] ?? 0) << 16;
    if (rest >= 2) h ^= (data[whole + 1] ?? 0) << 8;
    h ^= data[whole] ?? 0;
    h = imul(h, M);
  }
  h ^= h >>> 13;
  h = imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a key among `partitions`, as Kafka's (and kafkajs's) default partitioner picks it. */
export function partitionOfKey(key: Buffer | string, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}

/**
 * kafkajs's default partitioner with a linear-time murmur2: keyed messages go to the same
 * partitions as before (existing topics keep each key's order), the others round-robin as before.
 */
export const KeyPartitioner: ICustomPartitioner = () => {
  const keyless = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return partitionOfKey(message.key, partitionMetadata.length);
    return keyless(args);
  };
};

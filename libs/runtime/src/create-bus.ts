import { join } from 'node:path';
import { ANALYZER_STATE_MAX_BYTES, ANALYZER_STATE_TOPIC, COMPACTED_TOPICS, TOPICS } from '@homeostat/contracts';
import { FileIdempotencyStore, InProcessBus, KafkaBus, type Bus, type IdempotencyStore } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import type { JsonLogger } from '@homeostat/telemetry';

/** The bus of the configured mode: Kafka for `kafka`, in-process for `embedded`. */
export function createBus(config: HomeostatConfig, logger: JsonLogger): Bus {
  if (config.mode === 'kafka') {
    return new KafkaBus({
      brokers: config.kafka.brokers,
      clientId: config.kafka.clientId,
      brokerWaitMs: config.kafka.brokerWaitMs,
      topicPrefix: config.kafka.topicPrefix,
      partitions: config.kafka.partitions,
      replicationFactor: config.kafka.replicationFactor,
      topics: [
        ...TOPICS.map((name) => ({ name, compacted: COMPACTED_TOPICS.includes(name) })),
        { name: ANALYZER_STATE_TOPIC, compacted: true, maxMessageBytes: ANALYZER_STATE_MAX_BYTES },
      ],
      logger: logger.child('bus'),
    });
  }
  return new InProcessBus({
    queueLimit: config.consumer.inProcessQueueLimit,
    itemLimit: config.consumer.inProcessQueueItems,
    // What waits when the stack stops is kept on disk and handled at the next start; each stage
    // handles what waits for a share of the shutdown timeout first (six stages close one by one).
    spoolDir: join(config.dataDir, 'bus-spool'),
    drainMs: Math.round(config.shutdownTimeoutMs / 10),
    logger: logger.child('bus'),
  });
}

/** Each consumer group's handled ids, kept under the data dir so a restart does not redo work. */
export function idempotencyOpener(config: HomeostatConfig): (group: string) => Promise<IdempotencyStore> {
  return (group) =>
    FileIdempotencyStore.open(
      join(config.dataDir, 'idempotency', `${group.replace(/[^A-Za-z0-9_.-]/g, '_')}.ids`),
      config.consumer.idempotencyCapacity,
    );
}

/**
 * A consumer in its own process, for the cross-process integration tests. Configured by env:
 *   KAFKA_BROKERS, TOPIC_PREFIX, GROUP, TOPIC, IDEMPOTENCY_PATH, EFFECTS_PATH
 *   CRASH_MARKER  when set and the file does not exist yet: after the first message is handled
 *                 (and its id stored) but before its offset is committed, create the file and
 *                 SIGKILL this process — a crash at the worst moment.
 * Prints one JSON line per delivery outcome on stdout, and {"ready":true} once in its group.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { JsonLogger } from '@homeostat/telemetry';
import { FileIdempotencyStore } from '../idempotency';
import { KafkaBus } from '../kafka/kafka-bus';
import { seqOf } from './events';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

async function main(): Promise<void> {
  const logger = new JsonLogger('consumer-process', 'warn');
  const topic = env('TOPIC');
  const bus = new KafkaBus({
    brokers: env('KAFKA_BROKERS').split(','),
    clientId: `consumer-process-${process.pid}`,
    topicPrefix: env('TOPIC_PREFIX'),
    topics: [{ name: topic }],
    partitions: 3,
    replicationFactor: 1,
    logger: logger.child('bus'),
    // The broker's minimum: a killed predecessor's partitions move on after 6 s, not 30.
    sessionTimeoutMs: 6_000,
  });
  await bus.start();
  const effects = env('EFFECTS_PATH');
  const crashMarker = process.env['CRASH_MARKER'];
  const idempotency = await FileIdempotencyStore.open(env('IDEMPOTENCY_PATH'));
  const subscription = await bus.subscribe({
    decode: 'event',
    group: env('GROUP'),
    topics: [topic],
    retry: { maxAttempts: 2, backoffMs: 10 },
    idempotency,
    handler: (event, ctx) => {
      // The side effect the idempotency check must keep to exactly one per event.
      appendFileSync(effects, `${event.id} ${ctx.key ?? ''} ${seqOf(event)}\n`);
      return Promise.resolve();
    },
    hooks: {
      beforeCommit: (message, outcome) => {
        const event = JSON.parse(message.value.toString()) as { id: string };
        process.stdout.write(
          JSON.stringify({ outcome, id: event.id, key: message.key, partition: message.partition, offset: message.offset }) + '\n',
        );
        if (crashMarker && !existsSync(crashMarker)) {
          writeFileSync(crashMarker, String(process.pid));
          process.kill(process.pid, 'SIGKILL');
        }
      },
    },
  });
  const readyTimer = setInterval(() => {
    if (subscription.isReady()) {
      clearInterval(readyTimer);
      process.stdout.write(JSON.stringify({ ready: true }) + '\n');
    }
  }, 50);
  process.on('SIGTERM', () => {
    clearInterval(readyTimer);
    void bus
      .close()
      .then(() => idempotency.close())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`consumer process failed: ${String(error)}\n`);
  process.exit(2);
});

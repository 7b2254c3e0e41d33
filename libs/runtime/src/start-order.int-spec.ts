import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@homeostat/config';
import { JsonLogger } from '@homeostat/telemetry';
import { createBus } from './create-bus';
import { startService } from './service';
import { SlowStageModule, watchSubscriptions } from './slow-stage.testing';

describe('starting a stage on Kafka', () => {
  it('subscribes it only once its init and bootstrap hooks have resolved', async () => {
    const logger = new JsonLogger('test', 'error', () => undefined);
    const config = loadConfig({
      HOMEOSTAT_MODE: 'kafka',
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
      HOMEOSTAT_TOPIC_PREFIX: `start_order_${randomUUID().slice(0, 8)}.`,
      HOMEOSTAT_TOPIC_PARTITIONS: '1',
      HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'start-order-kafka-')),
    });
    const bus = createBus(config, logger);
    const subscriptions = watchSubscriptions(bus);
    await bus.start();
    const service = await startService({ name: 'learner', module: SlowStageModule }, { config, bus, logger }, { port: 0 });
    try {
      expect(subscriptions).toEqual([{ group: 'homeostat-learner', opened: true, restored: true }]);
    } finally {
      await service.close();
      await bus.close();
    }
  });
});

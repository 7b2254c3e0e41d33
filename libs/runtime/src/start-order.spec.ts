import { InProcessBus } from '@homeostat/bus';
import { loadConfig } from '@homeostat/config';
import { JsonLogger } from '@homeostat/telemetry';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from './service';
import { SlowStageModule, watchSubscriptions } from './slow-stage.testing';

describe('starting a stage on the in-process bus', () => {
  it('subscribes it only once its init and bootstrap hooks have resolved', async () => {
    const logger = new JsonLogger('test', 'error', () => undefined);
    const config = loadConfig({ HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'start-order-')) });
    const bus = new InProcessBus({ queueLimit: 10, logger: logger.child('bus') });
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

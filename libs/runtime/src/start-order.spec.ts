import { Controller, Injectable, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { InProcessBus, type SubscribeOptions, type Subscription } from '@homeostat/bus';
import { loadConfig } from '@homeostat/config';
import type { AnyEnvelope } from '@homeostat/contracts';
import { JsonLogger } from '@homeostat/telemetry';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from './service';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A stage that takes a while to open its store and to restore its state, as the learner and the analyzer do. */
@Injectable()
class SlowStore implements OnModuleInit, OnApplicationBootstrap {
  static last: SlowStore | undefined;
  opened = false;
  constructor() {
    SlowStore.last = this;
  }
  restored = false;
  async onModuleInit(): Promise<void> {
    await sleep(150);
    this.opened = true;
  }
  async onApplicationBootstrap(): Promise<void> {
    await sleep(150);
    this.restored = true;
  }
}

@Controller()
class SlowConsumer {
  constructor(readonly store: SlowStore) {}
  @EventPattern('loop.control')
  onControl(@Payload() _event: AnyEnvelope): void {
    if (!this.store.opened || !this.store.restored) throw new Error('the store is not open yet');
  }
}

@Module({ controllers: [SlowConsumer], providers: [SlowStore] })
class SlowModule {}

/** Notes what the stage's store was when the runtime subscribed the stage. */
class WatchedBus extends InProcessBus {
  readonly atSubscribe: { group: string; opened: boolean; restored: boolean }[] = [];
  override subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.atSubscribe.push({ group: options.group, opened: SlowStore.last?.opened ?? false, restored: SlowStore.last?.restored ?? false });
    return super.subscribe(options);
  }
}

describe('starting a stage', () => {
  it('subscribes it to the bus only once its init and bootstrap hooks have resolved', async () => {
    const logger = new JsonLogger('test', 'error', () => undefined);
    const config = loadConfig({ HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'start-order-')) });
    const bus = new WatchedBus({ queueLimit: 10, logger: logger.child('bus') });
    await bus.start();
    const service = await startService({ name: 'learner', module: SlowModule }, { config, bus, logger }, { port: 0 });
    try {
      expect(bus.atSubscribe).toEqual([{ group: 'homeostat-learner', opened: true, restored: true }]);
    } finally {
      await service.close();
      await bus.close();
    }
  });
});

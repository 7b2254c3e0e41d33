import { Controller, Injectable, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Bus } from '@homeostat/bus';
import type { AnyEnvelope } from '@homeostat/contracts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A stage that takes a while to open its store and to restore its state, as the learner and the analyzer do. */
@Injectable()
export class SlowStore implements OnModuleInit, OnApplicationBootstrap {
  static last: SlowStore | undefined;
  opened = false;
  restored = false;
  constructor() {
    SlowStore.last = this;
  }
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
export class SlowStageModule {}

/** Notes, for each subscription made on `bus`, what the slow stage's store was at that moment. */
export function watchSubscriptions(bus: Bus): { group: string; opened: boolean; restored: boolean }[] {
  const seen: { group: string; opened: boolean; restored: boolean }[] = [];
  const subscribe = bus.subscribe.bind(bus);
  bus.subscribe = (options) => {
    seen.push({ group: options.group, opened: SlowStore.last?.opened ?? false, restored: SlowStore.last?.restored ?? false });
    return subscribe(options);
  };
  return seen;
}

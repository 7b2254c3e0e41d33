import { MemoryIdempotencyStore } from '@homeostat/bus';
import type { HomeostatConfig } from '@homeostat/config';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { collectorService } from './index';

/**
 * For tests of back-pressure: the collector alone, with a consumer of `telemetry.logs` whose
 * handler does not finish until `release()`, so the bus queue (HOMEOSTAT_INPROCESS_QUEUE_LIMIT in
 * the config) fills up.
 */
export async function collectorWithBlockedConsumer(config: HomeostatConfig): Promise<{ stack: RunningStack; release: () => void }> {
  const stack = await runServices([collectorService], config, new JsonLogger('test', 'error', () => undefined));
  let release: () => void = () => undefined;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  await stack.bus.subscribe({
    decode: 'event',
    group: 'blocked-consumer',
    topics: ['telemetry.logs'],
    retry: { maxAttempts: 1, backoffMs: 0 },
    idempotency: new MemoryIdempotencyStore(),
    handler: () => blocked,
  });
  return { stack, release: () => release() };
}

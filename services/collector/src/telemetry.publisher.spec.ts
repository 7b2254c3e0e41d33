import type { Bus, PublishBatchOptions } from '@homeostat/bus';
import { Readiness } from '@homeostat/runtime';
import { answerFor } from './collector-exception.filter';
import { TelemetryPublisher } from './telemetry.publisher';

const logs = { resource: { attributes: { 'service.name': 'shop' } }, scope: { name: 'test' }, logRecords: [] };

/** A bus whose publishes hang as a Kafka producer's do while it retries against a broker that is down. */
function stalledBus(): { bus: Bus; calls: PublishBatchOptions[]; settle: () => void } {
  const calls: PublishBatchOptions[] = [];
  let settle = (): void => undefined;
  const bus = {
    publishBatch: (_topic: string, _events: unknown[], options: PublishBatchOptions = {}) => {
      calls.push(options);
      return new Promise<void>((_, reject) => {
        settle = () => {
          options.release?.();
          reject(new Error('broker down'));
        };
      });
    },
  } as unknown as Bus;
  return { bus, calls, settle: () => settle() };
}

describe('TelemetryPublisher', () => {
  it('answers 503 with Retry-After at its deadline when the bus has not taken the request, and calls the publish off', async () => {
    const { bus, calls, settle } = stalledBus();
    const readiness = new Readiness();
    const publisher = new TelemetryPublisher(bus, readiness);
    publisher.deadlineMs = 50;
    let released = false;
    const started = Date.now();
    const error = await publisher
      .publish('homeostat.telemetry.logs.v1', [{ subject: 'shop', data: logs }], () => (released = true))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(answerFor(error)).toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
    // Nothing more is sent for it, and readiness says so.
    expect(calls[0]?.signal?.aborted).toBe(true);
    expect((await readiness.evaluate()).checks['publishing']).toMatchObject({ ok: false });
    // Its memory stays the bus's until the send settles.
    expect(released).toBe(false);
    settle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(true);
  });

  it('answers as soon as the bus has taken it, well within the deadline', async () => {
    const bus = { publishBatch: () => Promise.resolve() } as unknown as Bus;
    const readiness = new Readiness();
    const publisher = new TelemetryPublisher(bus, readiness);
    const events = await publisher.publish('homeostat.telemetry.logs.v1', [{ subject: 'shop', data: logs }]);
    expect(events.map((e) => [e.type, e.subject])).toEqual([['homeostat.telemetry.logs.v1', 'shop']]);
    expect((await readiness.evaluate()).ok).toBe(true);
  });
});

import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DLQ_HEADERS, InProcessBus, NonRetryableError } from '@homeostat/bus';
import { loadConfig } from '@homeostat/config';
import { createEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { JsonLogger } from '@homeostat/telemetry';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusContext, MAX_IN_FLIGHT } from './bus.server';
import { startService, type RunningService } from './service';

const seen: { reason: string; topic: string; attempt: number }[] = [];

@Controller()
class ProbeConsumer {
  @EventPattern('loop.control')
  onControl(@Payload() event: AnyEnvelope, @Ctx() ctx: BusContext): void {
    if (event.type !== 'homeostat.control.v1') return;
    seen.push({ reason: event.data.reason, topic: ctx.message.topic, attempt: ctx.message.attempt });
    if (event.data.reason === 'fatal') throw new NonRetryableError('this command can never apply');
    if (event.data.reason === 'flaky' && ctx.message.attempt < 2) throw new Error('try again');
  }
}

@Module({ controllers: [ProbeConsumer] })
class ProbeModule {}

const control = (reason: string): AnyEnvelope =>
  createEnvelope('homeostat.control.v1', {
    source: 'test',
    subject: 'shop',
    data: { command: 'pause-loop', loop: 'l', actor: 'a', reason },
  }) as AnyEnvelope;

describe('BusServer (Nest handlers on the bus)', () => {
  let bus: InProcessBus;
  let service: RunningService;
  const logger = new JsonLogger('test', 'error', () => undefined);

  beforeAll(async () => {
    const config = loadConfig({ HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'bus-server-')), HOMEOSTAT_CONSUMER_BACKOFF_MS: '1' });
    bus = new InProcessBus({ queueLimit: 100, logger: logger.child('bus') });
    await bus.start();
    service = await startService({ name: 'decider', module: ProbeModule }, { config, bus, logger }, { port: 0 });
  });

  afterAll(async () => {
    await service.close();
    await bus.close();
  });

  const until = async (predicate: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(predicate()).toBe(true);
  };

  it('runs @EventPattern handlers with the message context, retrying what may succeed', async () => {
    await bus.publish('loop.control', control('flaky'));
    await until(() => seen.filter((s) => s.reason === 'flaky').length === 2);
    expect(seen.filter((s) => s.reason === 'flaky')).toEqual([
      { reason: 'flaky', topic: 'loop.control', attempt: 1 },
      { reason: 'flaky', topic: 'loop.control', attempt: 2 },
    ]);
  });

  it('passes the handler’s own error (message and code) to the dead-letter topic', async () => {
    await bus.publish('loop.control', control('fatal'));
    await until(() => bus.deadLetters.length === 1);
    expect(bus.deadLetters[0]?.headers[DLQ_HEADERS.error]).toBe('this command can never apply');
    expect(bus.deadLetters[0]?.headers[DLQ_HEADERS.errorCode]).toBe('NON_RETRYABLE');
    expect(seen.filter((s) => s.reason === 'fatal')).toHaveLength(1);
  });

  it('answers the probes', async () => {
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: 'ok', service: 'decider' });
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks).toMatchObject({
      bus: { ok: true },
      consumer: { ok: true },
    });
  });
});

const gates: (() => void)[] = [];

@Controller()
class WindowConsumer {
  @EventPattern('telemetry.spans', { [MAX_IN_FLIGHT]: 4 })
  onSpans(): Promise<void> {
    return new Promise<void>((resolve) => gates.push(resolve));
  }
}

@Module({ controllers: [WindowConsumer] })
class WindowModule {}

describe('BusServer: @EventPattern(topics, { maxInFlight })', () => {
  it('subscribes those topics unordered, so up to maxInFlight of their messages are in the handler at once', async () => {
    const logger = new JsonLogger('test', 'error', () => undefined);
    const config = loadConfig({ HOMEOSTAT_DATA_DIR: mkdtempSync(join(tmpdir(), 'bus-server-')) });
    const bus = new InProcessBus({ queueLimit: 100, logger: logger.child('bus') });
    await bus.start();
    const service = await startService({ name: 'learner', module: WindowModule }, { config, bus, logger }, { port: 0 });
    try {
      for (let i = 0; i < 6; i++) {
        await bus.publish(
          'telemetry.spans',
          createEnvelope('homeostat.telemetry.spans.otlp.v1', {
            source: 'test',
            subject: 'shop',
            data: { items: 1, payload: Buffer.from([0x0a, 0x00]) },
          }) as AnyEnvelope,
        );
      }
      for (let i = 0; i < 200 && gates.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 20));
      expect(gates).toHaveLength(4);
      gates.splice(0).forEach((open) => open());
      for (let i = 0; i < 200 && gates.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(gates).toHaveLength(2);
      gates.splice(0).forEach((open) => open());
    } finally {
      await service.close();
      await bus.close();
    }
  });
});

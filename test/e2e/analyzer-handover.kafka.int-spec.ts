import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '@homeostat/bus';
import { freePort, LoopObserver } from '@homeostat/cli';
import { loadConfig } from '@homeostat/config';
import { createBus } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { ServiceProcess } from '../support';
import { fastShopLoopDir } from './shop-loop';

/** 20 server spans of the shop, ending now, as OTLP/JSON: ~20 ms each, or ~2 s and one in three failing. */
function shopSpans(fault: boolean): string {
  const now = Date.now();
  const spans = Array.from({ length: 20 }, (_, i) => {
    const latencyMs = fault ? 1900 + Math.random() * 200 : 15 + Math.random() * 10;
    const failed = fault && i % 3 === 0;
    return {
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      name: 'GET /checkout',
      kind: 2,
      startTimeUnixNano: `${Math.round((now - latencyMs) * 1e6)}`,
      endTimeUnixNano: `${now * 1e6}`,
      attributes: [
        { key: 'http.route', value: { stringValue: '/checkout' } },
        { key: 'http.request.method', value: { stringValue: 'GET' } },
      ],
      status: failed ? { code: 2, message: 'POOL_ACQUIRE_TIMEOUT: timeout acquiring connection after 5000 ms' } : { code: 0 },
    };
  });
  const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', 'shop'), attr('deployment.environment.name', 'demo')] },
        scopeSpans: [{ scope: { name: 'handover-test' }, spans }],
      },
    ],
  });
}

/**
 * A partition move in distributed mode: the collector and an analyzer, each its own process on
 * Kafka. An incident opens on the first analyzer; it stops (its partitions go to whoever is left
 * in the group), a second analyzer starts with a data dir of its own and gets them. It must
 * continue the target from the state the first one published: the same incident, resolved there.
 */
describe('the analyzer on Kafka: a target moves to another replica with its state', () => {
  const processes: ServiceProcess[] = [];
  let bus: Bus | undefined;
  const observer = new LoopObserver('shop');
  let collectorUrl = '';
  let sending = false;
  let fault = false;
  let sender: Promise<void> | undefined;
  let start: (name: 'collector' | 'analyzer') => Promise<ServiceProcess> = () => Promise.reject(new Error('not set up'));

  beforeAll(async () => {
    const brokers = process.env['KAFKA_BROKERS'];
    if (!brokers) throw new Error('KAFKA_BROKERS is not set: run through the integration project');
    const common: Record<string, string> = {
      HOMEOSTAT_MODE: 'kafka',
      KAFKA_BROKERS: brokers,
      HOMEOSTAT_TOPIC_PREFIX: `move${randomUUID().slice(0, 8)}.`,
      HOMEOSTAT_TOPIC_PARTITIONS: '3',
      HOMEOSTAT_LOOPS_DIR: await fastShopLoopDir(),
      ANALYZER_BUCKET_MS: '1000',
      ANALYZER_TICK_MS: '250',
      COLLECTOR_PORT: String(await freePort()),
      COLLECTOR_BODY_POOL_POISON: 'true',
      ANALYZER_PORT: '0',
      LOG_LEVEL: 'info',
    };
    start = async (name) => {
      const p = new ServiceProcess(name, { ...common, HOMEOSTAT_DATA_DIR: await mkdtemp(join(tmpdir(), `move-${name}-`)) });
      processes.push(p);
      return p;
    };
    await start('collector');
    await start('analyzer');
    collectorUrl = (await Promise.all(processes.map((p) => p.ready())))[0] ?? '';
    bus = createBus(
      loadConfig({ ...common, HOMEOSTAT_DATA_DIR: await mkdtemp(join(tmpdir(), 'move-observer-')) }),
      new JsonLogger('observer', 'warn', () => undefined),
    );
    await bus.start();
    await observer.start(bus);
    sending = true;
    sender = (async () => {
      while (sending) {
        await fetch(`${collectorUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: shopSpans(fault),
        }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
  }, 180_000);

  afterAll(async () => {
    sending = false;
    await sender;
    await observer.stop();
    await bus?.close();
    for (const p of [...processes].reverse()) await p.stop();
  }, 120_000);

  it('continues the open incident on the analyzer that gets the partitions, and resolves it there', async () => {
    // Normal traffic while the first analyzer learns the baselines, then the fault.
    await new Promise((r) => setTimeout(r, 40_000));
    const faultAt = Date.now();
    fault = true;
    const opened = await observer.until(() => observer.opened.find((o) => o.at >= faultAt), 60_000);
    if (!opened) throw new Error(`no incident within 60 s of the fault:\n${processes.flatMap((p) => p.lines.slice(-5)).join('\n')}`);
    const first = processes[1]!;

    // The first analyzer stops (publishing its state as it goes); a second one takes its partitions.
    await first.stop();
    const second = await start('analyzer');
    await second.ready();
    fault = false;
    const resolved = await observer.until(() => observer.resolved.find((r) => r.data.incidentId === opened.data.incidentId), 120_000);
    const log = second.lines.join('\n');
    expect({ resolved: resolved !== undefined, tookOver: /took over the state of shop from/.test(log) }).toEqual({
      resolved: true,
      tookOver: true,
    });
    expect(resolved!.data.resolution).toBe('self-healed');
    // No other incident: the second analyzer started warm, it did not see the shop's normal traffic as new.
    expect(observer.opened.filter((o) => o.at >= faultAt).map((o) => o.data.incidentId)).toEqual([opened.data.incidentId]);
  }, 360_000);
});

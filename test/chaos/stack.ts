import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from '@homeostat/bus';
import { freePort, LoopObserver, ShopProcess } from '@homeostat/cli';
import { loadConfig, type ServiceName } from '@homeostat/config';
import { startLocalKafka, type LocalKafka } from '@homeostat/local-kafka';
import { createBus } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { ServiceProcess } from '../support';
import { fastShopLoopDir } from '../e2e/shop-loop';
import { ActuatorProxy } from './actuator-proxy';
import { rssMb } from './client';

export const DATABASE = 'chaos';
export const ADMIN_TOKEN = 'chaos-admin-token-0123456789';
export const WEBHOOK_SECRET = 'chaos-webhook-secret';
const STAGES: ServiceName[] = ['learner', 'analyzer', 'decider', 'executor', 'collector', 'console'];

/**
 * The whole stack on loopback, as a distributed deployment runs it: a local Kafka broker, each
 * stage in its own process with a data directory of its own (fixed ports, so a restarted stage
 * is found where it was), the demo shop in its own process sending its telemetry to the
 * collector, the executor reaching the shop through an ActuatorProxy, and a LoopObserver on
 * the bus that sees every incident, decision, action and outcome.
 */
export class Stack {
  readonly processes = new Map<ServiceName, ServiceProcess>();
  /** Killed stages' processes, for their logs: a failure is explained by what happened before a kill. */
  private readonly retired: ServiceProcess[] = [];
  readonly urls = new Map<ServiceName, string>();
  readonly observer = new LoopObserver('shop');
  readonly rssBefore = new Map<string, number>();
  kafka: LocalKafka | undefined;
  shop: ShopProcess | undefined;
  proxy: ActuatorProxy | undefined;
  private bus: Bus | undefined;
  private env: Record<string, string> = {};
  private brokerPort = 0;
  /** Restarts by a supervisor (compose, Kubernetes) of a stage that exited by itself, e.g. at start-up while the broker was down. */
  supervisorRestarts = 0;

  constructor(private readonly root: string) {}

  async start(actuatorDelayMs: number): Promise<void> {
    const broker = await startLocalKafka({ dataDir: join(this.root, 'kafka'), log: () => undefined });
    this.kafka = broker;
    this.brokerPort = broker.port;
    const [collectorPort, learnerPort, consolePort, shopPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    this.proxy = new ActuatorProxy(`http://127.0.0.1:${shopPort}`, actuatorDelayMs);
    await this.proxy.start();
    this.env = {
      HOMEOSTAT_MODE: 'kafka',
      KAFKA_BROKERS: broker.brokers,
      HOMEOSTAT_TOPIC_PARTITIONS: '3',
      CLICKHOUSE_DATABASE: DATABASE,
      // Resolve after 8 s of calm, as the e2e suites do: a loop that stops seeing a fault shows soon.
      HOMEOSTAT_LOOPS_DIR: await fastShopLoopDir(),
      ANALYZER_BUCKET_MS: '2000',
      ANALYZER_TICK_MS: '500',
      SHOP_URL: this.proxy.url,
      COLLECTOR_PORT: String(collectorPort),
      LEARNER_PORT: String(learnerPort),
      LEARNER_URL: `http://127.0.0.1:${learnerPort}`,
      CONSOLE_PORT: String(consolePort),
      ANALYZER_PORT: '0',
      DECIDER_PORT: '0',
      EXECUTOR_PORT: '0',
      CONSOLE_TOKENS: `chaos:admin:${ADMIN_TOKEN}`,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      LOG_LEVEL: 'info',
    };
    await Promise.all(STAGES.map((name) => this.startStage(name)));
    const observerDir = join(this.root, 'observer');
    mkdirSync(observerDir, { recursive: true });
    this.bus = createBus(
      loadConfig({ ...this.env, HOMEOSTAT_DATA_DIR: observerDir }),
      new JsonLogger('chaos-observer', 'warn', () => undefined),
    );
    await this.bus.start();
    await this.observer.start(this.bus);
    const shopDir = join(this.root, 'shop');
    mkdirSync(shopDir, { recursive: true });
    this.shop = await ShopProcess.start(shopPort, 25, `http://127.0.0.1:${collectorPort}`, shopDir, join(shopDir, 'shop.log'));
    for (const [name, p] of this.processes) this.rssBefore.set(name, rssMb(p.child.pid));
  }

  url(name: ServiceName): string {
    const url = this.urls.get(name);
    if (url === undefined) throw new Error(`${name} is not ready`);
    return url;
  }

  async startStage(name: ServiceName): Promise<string> {
    const before = this.processes.get(name);
    if (before) this.retired.push(before);
    const p = new ServiceProcess(name, { ...this.env, HOMEOSTAT_DATA_DIR: join(this.root, name) });
    this.processes.set(name, p);
    const url = await p.ready();
    this.urls.set(name, url);
    return url;
  }

  /** kill -9 of a stage, then started again (as a supervisor would); resolves once it is ready. */
  async kill(name: ServiceName): Promise<void> {
    const p = this.processes.get(name)!;
    p.child.kill('SIGKILL');
    await p.exited;
    await this.startStage(name);
  }

  async stopBroker(): Promise<void> {
    await this.kafka?.stop();
    this.kafka = undefined;
  }

  async startBroker(): Promise<void> {
    this.kafka = await startLocalKafka({ dataDir: join(this.root, 'kafka'), port: this.brokerPort, log: () => undefined });
    // A stage that gave up while the broker was down exits; a supervisor starts it again.
    for (const [name, p] of this.processes)
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        this.supervisorRestarts++;
        await this.startStage(name);
      }
  }

  /** A stage that exited by itself since: started again. */
  async superviseOnce(): Promise<void> {
    for (const [name, p] of this.processes)
      if (p.child.exitCode !== null) {
        this.supervisorRestarts++;
        await this.startStage(name);
      }
  }

  rss(): Map<string, number> {
    return new Map([...this.processes].map(([name, p]) => [name, rssMb(p.child.pid)]));
  }

  /** Each stage's output, every incarnation in order (`<stage>.log`), into `dir`. */
  writeLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const name of STAGES) {
      const incarnations = [...this.retired, this.processes.get(name)].filter((p) => p?.name === name) as ServiceProcess[];
      const text = incarnations.map((p, i) => `--- ${name} #${i + 1}, pid ${p.child.pid}\n${p.lines.join('\n')}\n`).join('');
      writeFileSync(join(dir, `${name}.log`), text);
    }
  }

  lastLines(n = 5): string {
    return [...this.processes].flatMap(([name, p]) => p.lines.slice(-n).map((l) => `${name}: ${l}`)).join('\n');
  }

  async stop(): Promise<void> {
    await this.shop?.stop().catch(() => undefined);
    await this.observer.stop().catch(() => undefined);
    await this.bus?.close().catch(() => undefined);
    for (const name of [...STAGES].reverse())
      await this.processes
        .get(name)
        ?.stop()
        .catch(() => undefined);
    await this.proxy?.stop().catch(() => undefined);
    await this.kafka?.stop().catch(() => undefined);
  }
}

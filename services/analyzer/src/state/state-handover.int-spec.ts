import { randomBytes, randomUUID } from 'node:crypto';
import { AnalysisEngine, StateHandover, type IncidentEvent } from '@homeostat/analysis';
import { BUCKET, rng, spans } from '@homeostat/analysis/testing';
import { KafkaBus } from '@homeostat/bus';
import { ANALYZER_STATE_MAX_BYTES, ANALYZER_STATE_TOPIC } from '@homeostat/contracts';
import { JsonLogger } from '@homeostat/telemetry';
import { TargetStateChangelog } from './target-state-changelog';

const brokers = (): string[] => {
  const b = process.env['KAFKA_BROKERS'];
  if (!b) throw new Error('KAFKA_BROKERS is not set: the integration global setup starts a broker');
  return b.split(',');
};

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An analyzer replica as the consumer wires it, without Nest: its own bus connection, engine, changelog and handover. */
class Replica {
  readonly lines: string[] = [];
  readonly bus: KafkaBus;
  readonly engine: AnalysisEngine;
  readonly changelog: TargetStateChangelog;
  readonly handover: StateHandover;
  now = 1_700_000_000_000;

  constructor(prefix: string, name: string) {
    const logger = new JsonLogger(name, 'info', (line) => this.lines.push(line));
    this.bus = new KafkaBus({
      brokers: brokers(),
      clientId: name,
      topicPrefix: prefix,
      topics: [{ name: ANALYZER_STATE_TOPIC, compacted: true, maxMessageBytes: ANALYZER_STATE_MAX_BYTES }],
      partitions: 3,
      replicationFactor: 1,
      logger: logger.child('bus'),
    });
    let n = 0;
    this.engine = new AnalysisEngine([], () => `${name}-inc-${++n}`, { bucketMs: BUCKET });
    this.changelog = new TargetStateChangelog(this.bus, name, logger.child('state'), (record) => this.handover.onRecord(record));
    this.handover = new StateHandover(this.engine, this.changelog, logger.child('state'), undefined, {}, () => this.now);
  }

  async start(): Promise<this> {
    await this.bus.start();
    await this.changelog.start();
    await waitFor('the changelog consumer joined its group', () => this.changelog.isReady());
    return this;
  }

  /** One bucket of the shop's traffic, as the consumer feeds it: handover first, then the engine. */
  feed(fault: boolean, noise: () => number, clock: { now: number }): IncidentEvent[] {
    this.now = clock.now;
    this.handover.beforeIngest('shop');
    this.engine.ingestSpans(
      'shop',
      spans(clock.now, 40, fault ? () => 2000 + noise() * 100 : () => 20 + noise() * 10, fault ? 3 : 0),
      clock.now,
    );
    clock.now += BUCKET;
    return [...this.engine.tick(clock.now), ...this.engine.tick(clock.now + BUCKET / 2)];
  }

  async stop(): Promise<void> {
    await this.changelog.close();
    await this.bus.close();
  }
}

describe('the analyzer state changelog on a real broker', () => {
  let prefix: string;
  const replicas: Replica[] = [];

  beforeEach(() => {
    prefix = `t${randomUUID().slice(0, 8)}.`;
  });

  afterEach(async () => {
    for (const r of replicas.splice(0)) await r.stop();
  });

  it('moves a target to the replica that gets its partition: the open incident continues and resolves there, the old replica lets go of it', async () => {
    const a = await new Replica(prefix, 'replica-a').start();
    replicas.push(a);
    const noise = rng(3);
    const clock = { now: 1_700_000_000_000 };
    for (let i = 0; i < 40; i++) expect(a.feed(false, noise, clock)).toEqual([]);
    const opened = [0, 1, 2, 3].flatMap(() => a.feed(true, noise, clock)).filter((e) => e.type === 'homeostat.incident.opened.v1');
    expect(opened).toHaveLength(1);
    expect(await a.handover.publishDue(true)).toBe(1);
    // Nothing new since: nothing to publish.
    expect(await a.handover.publishDue(true)).toBe(0);

    // The partition moves: a replica started now reads the changelog from its beginning.
    const b = await new Replica(prefix, 'replica-b').start();
    replicas.push(b);
    await waitFor('replica b has read replica a’s state of shop', () => b.changelog.info('shop')?.owner === 'replica-a');
    const after = Array.from({ length: 12 }, () => b.feed(false, noise, clock)).flat();
    expect(b.lines.some((l) => l.includes('took over the state of shop from replica-a'))).toBe(true);
    // Warm detectors (normal traffic raises nothing) and the same incident, resolved by b.
    expect(after.map((e) => [e.type, e.data.incidentId])).toEqual([['homeostat.incident.resolved.v1', opened[0]!.data.incidentId]]);

    // b's state is newer than the last telemetry a had of shop: a drops it, and never expires the incident.
    expect(await b.handover.publishDue(true)).toBe(1);
    await waitFor('replica a dropped shop', () => !a.engine.targets().includes('shop'));
    expect(a.lines.some((l) => l.includes('shop moved to replica-b'))).toBe(true);
    expect(a.engine.tick(clock.now + 60 * 60_000)).toEqual([]);
  }, 120_000);

  it('starts a target cold when its record is unreadable, and counts records without an owner', async () => {
    const writer = await new Replica(prefix, 'replica-w').start();
    replicas.push(writer);
    await writer.bus.publishRaw({
      topic: ANALYZER_STATE_TOPIC,
      key: 'shop',
      value: Buffer.from('not gzip'),
      headers: { 'homeostat-owner': 'replica-x', 'homeostat-saved-at': '1' },
    });
    await writer.bus.publishRaw({ topic: ANALYZER_STATE_TOPIC, key: 'shop', value: Buffer.from('{}'), headers: {} });
    const reader = await new Replica(prefix, 'replica-r').start();
    replicas.push(reader);
    await waitFor('both records were read', () => reader.changelog.info('shop') !== undefined && reader.changelog.invalidRecords === 1);
    const noise = rng(5);
    const clock = { now: 1_700_000_000_000 };
    expect(reader.feed(false, noise, clock)).toEqual([]);
    expect(reader.lines.some((l) => l.includes('state of shop from replica-x is unreadable, starting cold'))).toBe(true);
    expect(reader.engine.targets()).toEqual(['shop']);
  }, 120_000);

  it('carries a target state larger than a Kafka record may be by default (1 MB)', async () => {
    const writer = await new Replica(prefix, 'replica-w').start();
    replicas.push(writer);
    const snapshot = writer.engine.snapshotTarget('shop', 1_700_000_000_000);
    // 4,000 log templates with 800 random characters each: about 2.4 MB compressed.
    snapshot.templates = Array.from({ length: 4_000 }, (_, i) => ({
      key: `shop\u0000t${i}`,
      state: { text: `template ${i}`, sample: randomBytes(600).toString('base64'), severity: 9 },
    }));
    expect(await writer.changelog.publish(snapshot)).toBe(true);
    const reader = await new Replica(prefix, 'replica-r').start();
    replicas.push(reader);
    await waitFor('the large record was read', () => reader.changelog.info('shop') !== undefined);
    expect(reader.changelog.take('shop')?.snapshot.templates).toHaveLength(4_000);
  }, 120_000);
});

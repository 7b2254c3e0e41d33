import { analyzerService } from '@homeostat/analyzer';
import { collectorService } from '@homeostat/collector';
import { learnerService } from '@homeostat/learner';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { createStoreClient, dropTestDatabase, type StoreHandle } from '@homeostat/store';
import { JsonLogger } from '@homeostat/telemetry';
import { eventually, testConfig } from '../support';

/*
 * An OTLP/protobuf export whose items are garbage: the collector does not decode items (README,
 * "Except OTLP protobuf as received"), so it answers 200; the analyzer and the learner both read
 * the payload and cannot decode it. It must be one dead letter, stored once.
 */

const DATABASE = 'ingest_it_bad_protobuf';

/** A length-delimited protobuf field. */
const field = (number: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([(number << 3) | 2, content.length]), content]);

/** ExportTraceServiceRequest { resource_spans { resource { service.name = shop }, scope_spans { spans: <garbage> } } }. */
function garbageSpans(): Buffer {
  const serviceName = field(1, Buffer.from('service.name'));
  const value = field(2, field(1, Buffer.from('bad-protobuf-shop')));
  const resource = field(1, field(1, Buffer.concat([serviceName, value])));
  // A span whose first field claims 127 bytes and has 1.
  const span = field(2, Buffer.from([0x0a, 0x7f, 0x01]));
  return field(1, Buffer.concat([resource, field(2, span)]));
}

describe('a protobuf export whose items are garbage', () => {
  let stack: RunningStack;
  let store: StoreHandle;

  beforeAll(async () => {
    await dropTestDatabase(DATABASE);
    const config = testConfig('embedded', DATABASE);
    stack = await runServices([collectorService, analyzerService, learnerService], config, new JsonLogger('bad-protobuf-it', 'error'));
    store = await createStoreClient({ dataDir: config.dataDir, database: DATABASE });
  });

  afterAll(async () => {
    await store?.close();
    await stack?.stop();
    await dropTestDatabase(DATABASE);
  });

  it('is acknowledged 200, and dead-lettered once (by the learner), not once per consumer group', async () => {
    const collector = stack.services.find((s) => s.name === 'collector');
    const res = await fetch(`${collector!.url}/v1/traces`, {
      method: 'POST',
      body: garbageSpans(),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(res.status).toBe(200);

    const storedDeadLetters = async (): Promise<number> => {
      const result = await store.client.query({
        query: "SELECT count() AS n FROM dead_letters WHERE topic = 'telemetry.spans' AND key = 'bad-protobuf-shop'",
        format: 'JSONEachRow',
      });
      return Number((await result.json<{ n: string }>())[0]?.n);
    };
    const handledBy = async (name: string): Promise<number> =>
      (await stack.bus.stats())
        .filter((s) => s.group.includes(name))
        .reduce((n, s) => n + s.processed.handled + s.processed.deadLettered, 0);
    await eventually('both groups to have read it and the dead letter to be stored', async () => {
      const lag = (await stack.bus.stats()).flatMap((s) => s.topics).reduce((n, t) => n + (t.lag ?? 0) + (t.queued ?? 0), 0);
      return (await handledBy('analyzer')) > 0 && (await storedDeadLetters()) > 0 && lag === 0;
    });
    const deadLettered = (await stack.bus.stats()).flatMap((s) =>
      s.deadLetters.filter((d) => d.topic === 'telemetry.spans').map((d) => [s.group, d.code, d.count]),
    );
    expect(deadLettered).toEqual([[expect.stringContaining('learner'), expect.any(String), 1]]);
    expect(await storedDeadLetters()).toBe(1);
  });
});

/**
 * Where the per-span work of ingest went: the collector only splits a protobuf request per
 * target (splitByTarget); each consumer (analyzer, learner) decodes and maps it
 * (expandOtlpEvent = protobufjs decode + mapping + the contract check of every span). Same
 * payload as the ingest bench: 500 spans × 20 attributes. One core, this process.
 *
 *   npm run bench:decode            (BENCH_SPANS, BENCH_ITERATIONS to vary)
 */
import { randomBytes } from 'node:crypto';
import { createEnvelope, parseEnvelope, serializeEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { decodeProtobuf, encodeRequestProtobuf, expandOtlpEvent, splitByTarget } from '../src/index';

const SPANS = Number(process.env['BENCH_SPANS'] ?? 500);
const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 200);

function payload(): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const routes = ['/checkout', '/cart', '/products/:id', '/login', '/search'];
  const spans = Array.from({ length: SPANS }, (_, i) => ({
    traceId: randomBytes(16),
    spanId: randomBytes(8),
    parentSpanId: i % 4 === 0 ? Buffer.alloc(0) : randomBytes(8),
    name: `GET ${routes[i % routes.length]}`,
    kind: (i % 3) + 1,
    startTimeUnixNano: String(now + BigInt(i) * 1000n),
    endTimeUnixNano: String(now + BigInt(i) * 1000n + 2_500_000n),
    attributes: [
      ...['http.request.method', 'url.scheme', 'server.address', 'network.protocol.version', 'db.system', 'db.operation.name', 'db.collection.name', 'thread.name', 'client.address', 'url.path'].map((key, k) => ({ key, value: { stringValue: `${key}-${(i + k) % 7}` } })),
      { key: 'http.route', value: { stringValue: routes[i % routes.length] } },
      { key: 'user_agent.original', value: { stringValue: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' } },
      ...['http.response.status_code', 'server.port', 'http.request.body.size', 'http.response.body.size', 'retry.count'].map((key, k) => ({ key, value: { intValue: 200 + i + k } })),
      { key: 'cache.hit', value: { boolValue: i % 2 === 0 } },
      { key: 'pool.utilization', value: { doubleValue: (i % 100) / 100 } },
      { key: 'feature.flags', value: { arrayValue: { values: [{ stringValue: 'new-cart' }, { stringValue: 'fast-search' }] } } },
    ],
    status: { code: i % 17 === 0 ? 2 : 0 },
  }));
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }, { key: 'host.name', value: { stringValue: 'shop-7d9f' } }] };
  return Buffer.from(encodeRequestProtobuf('traces', { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'http', version: '0.57.0' }, spans }] }] }));
}

function time(name: string, run: () => void): void {
  for (let i = 0; i < Math.min(50, ITERATIONS); i++) run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) run();
  const perRequestMs = Number(process.hrtime.bigint() - start) / 1e6 / ITERATIONS;
  process.stdout.write(`${name.padEnd(58)} ${perRequestMs.toFixed(3).padStart(8)} ms/request  ${Math.round((SPANS / perRequestMs) * 1000).toLocaleString('en').padStart(12)} spans/s\n`);
}

const body = payload();
const event = createEnvelope('homeostat.telemetry.spans.otlp.v1', { source: 'collector', subject: 'shop', data: { items: SPANS, payload: body } }) as AnyEnvelope;
const [structured] = expandOtlpEvent(event).events;
if (structured === undefined) throw new Error('the payload mapped to no batch');
const json = serializeEnvelope(structured);
process.stdout.write(`decode bench: ${SPANS} spans × 20 attributes (${(body.length / 1024).toFixed(0)} KiB protobuf), ${ITERATIONS} iterations\n`);
time('collector: splitByTarget (walk, count, no decoding)', () => splitByTarget('traces', body));
time('consumer: protobufjs decode only', () => decodeProtobuf('traces', body));
time('consumer: expandOtlpEvent (decode + map + check each span)', () => expandOtlpEvent(event));
time('before, consumer: parse + check the JSON event of the same spans', () => parseEnvelope('telemetry.spans', json));

import { randomBytes } from 'node:crypto';
import { encodeRequestProtobuf } from '../codec';

/**
 * The benchmarks' OTLP/protobuf traces request: `spanCount` spans of one service, ~20 attributes each
 * (HTTP, DB, cache, retry, an array value), every 17th an error. `npm run bench:ingest` sends it
 * and `npm run bench:decode` decodes it, so their figures are about the same bytes.
 */
export function benchTracesRequest(spanCount: number, nowMs = Date.now()): Buffer {
  return Buffer.from(
    encodeRequestProtobuf(
      'traces',
      benchTracesObject(spanCount, nowMs, (id) => id),
    ),
  );
}

/**
 * The same request as OTLP/JSON, as `@opentelemetry/exporter-trace-otlp-http` (the JS SDK's
 * default exporter) sends it: ids in hex, times as decimal strings. `npm run bench:pipeline` sends both.
 */
export function benchTracesRequestJson(spanCount: number, nowMs = Date.now()): Buffer {
  return Buffer.from(JSON.stringify(benchTracesObject(spanCount, nowMs, (id) => id.toString('hex'))));
}

function benchTracesObject<Id>(spanCount: number, nowMs: number, id: (bytes: Buffer) => Id): Record<string, unknown> {
  const now = BigInt(nowMs) * 1_000_000n;
  const routes = ['/checkout', '/cart', '/products/:id', '/login', '/search'];
  const spans = Array.from({ length: spanCount }, (_, i) => ({
    traceId: id(randomBytes(16)),
    spanId: id(randomBytes(8)),
    parentSpanId: id(i % 4 === 0 ? Buffer.alloc(0) : randomBytes(8)),
    name: `GET ${routes[i % routes.length]}`,
    kind: (i % 3) + 1,
    startTimeUnixNano: String(now + BigInt(i) * 1000n),
    endTimeUnixNano: String(now + BigInt(i) * 1000n + 2_500_000n),
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'GET' } },
      { key: 'http.route', value: { stringValue: routes[i % routes.length] } },
      { key: 'url.path', value: { stringValue: `/products/${i}` } },
      { key: 'url.scheme', value: { stringValue: 'http' } },
      { key: 'http.response.status_code', value: { intValue: i % 17 === 0 ? 503 : 200 } },
      { key: 'server.address', value: { stringValue: 'shop.internal' } },
      { key: 'server.port', value: { intValue: 3000 } },
      { key: 'network.protocol.version', value: { stringValue: '1.1' } },
      { key: 'client.address', value: { stringValue: `10.0.${i % 255}.${(i * 7) % 255}` } },
      {
        key: 'user_agent.original',
        value: { stringValue: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' },
      },
      { key: 'http.request.body.size', value: { intValue: 512 + i } },
      { key: 'http.response.body.size', value: { intValue: 2048 + i } },
      { key: 'db.system', value: { stringValue: 'postgresql' } },
      { key: 'db.operation.name', value: { stringValue: 'SELECT' } },
      { key: 'db.collection.name', value: { stringValue: 'products' } },
      { key: 'cache.hit', value: { boolValue: i % 2 === 0 } },
      { key: 'retry.count', value: { intValue: i % 3 } },
      { key: 'pool.utilization', value: { doubleValue: (i % 100) / 100 } },
      { key: 'feature.flags', value: { arrayValue: { values: [{ stringValue: 'new-cart' }, { stringValue: 'fast-search' }] } } },
      { key: 'thread.name', value: { stringValue: 'main' } },
    ],
    status: { code: i % 17 === 0 ? 2 : 0 },
  }));
  const resource = {
    attributes: [
      { key: 'service.name', value: { stringValue: 'shop' } },
      { key: 'service.version', value: { stringValue: '1.4.2' } },
      { key: 'host.name', value: { stringValue: 'shop-7d9f' } },
      { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
    ],
  };
  return {
    resourceSpans: [{ resource, scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.57.0' }, spans }] }],
  };
}

import { createEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { Writer } from 'protobufjs';
import { OtlpDecodeError, decodeProtobuf, encodeRequestProtobuf, expandOtlpEvent, mapOtlpPayload, splitByTarget } from './index';

const T0 = '1735725600000000000';
const T1 = '1735725600250000000';
const id = (n: number, bytes: number): Buffer => Buffer.from(n.toString(16).padStart(bytes * 2, '0'), 'hex');

const span = (n: number, traceBytes = 16) => ({
  traceId: id(n + 1, traceBytes),
  spanId: id(n + 1, 8),
  name: `op ${n}`,
  kind: 2,
  startTimeUnixNano: T0,
  endTimeUnixNano: T1,
  attributes: [{ key: 'n', value: { intValue: n } }],
});
const resourceSpans = (service: string | undefined, scopes: number[][], schemaUrl?: string) => ({
  resource: {
    attributes:
      service === undefined
        ? []
        : [
            { key: 'service.name', value: { stringValue: service } },
            { key: 'host.name', value: { stringValue: 'h1' } },
          ],
  },
  scopeSpans: scopes.map((spans, i) => ({ scope: { name: `scope-${i}`, version: '1.0' }, spans: spans.map((n) => span(n)) })),
  ...(schemaUrl ? { schemaUrl } : {}),
});
const request = (...resources: ReturnType<typeof resourceSpans>[]): Buffer =>
  Buffer.from(encodeRequestProtobuf('traces', { resourceSpans: resources }));

/** Span numbers per subject, in order, after decoding every payload with the full decoder. */
function spansBySubject(payloads: { subject: string; payload: Uint8Array }[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const p of payloads) {
    for (const b of mapOtlpPayload('traces', p.payload).batches) {
      expect(b.subject).toBe(p.subject);
      (out[p.subject] ??= []).push(...b.data.spans.map((s) => s.attributes['n'] as number));
    }
  }
  return out;
}

describe('splitByTarget (the collector’s protobuf path)', () => {
  it('forwards a one-target request as it is, without a copy, and counts its spans', () => {
    const body = request(resourceSpans('shop', [[1, 2], [3]]));
    const { payloads, items } = splitByTarget('traces', body);
    expect(items).toBe(3);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toMatchObject({ subject: 'shop', items: 3 });
    expect(payloads[0]!.payload).toBe(body);
  });

  it('groups resources by service.name, in order of appearance, each payload a valid request', () => {
    const body = request(
      resourceSpans('shop', [[1]]),
      resourceSpans('cart', [[2, 3]]),
      resourceSpans('shop', [[4]], 'https://opentelemetry.io/schemas/1.26.0'),
      resourceSpans(undefined, [[5]]),
    );
    const { payloads, items } = splitByTarget('traces', body);
    expect(items).toBe(5);
    expect(payloads.map((p) => [p.subject, p.items])).toEqual([
      ['shop', 2],
      ['cart', 2],
      ['unknown_service', 1],
    ]);
    expect(spansBySubject(payloads)).toEqual({ shop: [1, 4], cart: [2, 3], unknown_service: [5] });
    const shop = mapOtlpPayload('traces', payloads[0]!.payload).batches;
    expect(shop[1]!.data.resource.schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
  });

  it('cuts a target with more items than the limit between spans, keeping resource and scope', () => {
    const body = request(
      resourceSpans('shop', [
        [1, 2, 3, 4, 5],
        [6, 7],
      ]),
      resourceSpans('shop', [[8]]),
    );
    const { payloads } = splitByTarget('traces', body, { maxItemsPerPayload: 3 });
    expect(payloads.map((p) => p.items)).toEqual([3, 3, 2]);
    expect(spansBySubject(payloads)).toEqual({ shop: [1, 2, 3, 4, 5, 6, 7, 8] });
    const batches = payloads.flatMap((p) => mapOtlpPayload('traces', p.payload).batches);
    for (const b of batches) expect(b.data.resource.attributes).toEqual({ 'service.name': 'shop', 'host.name': 'h1' });
    expect(batches.map((b) => [b.data.scope.name, b.data.spans.length])).toEqual([
      ['scope-0', 3],
      ['scope-0', 2],
      ['scope-1', 1],
      ['scope-1', 1],
      ['scope-0', 1],
    ]);
  });

  it('cuts a target with more bytes than the limit between spans, each payload within it, and sends a span larger than it alone', () => {
    const numbers = Array.from({ length: 40 }, (_, i) => i);
    const body = request(resourceSpans('shop', [numbers.slice(0, 25), numbers.slice(25)]));
    const spanBytes = Math.ceil(body.length / 40);
    const { payloads } = splitByTarget('traces', body, { maxPayloadBytes: spanBytes * 10 });
    expect(payloads.length).toBeGreaterThanOrEqual(4);
    for (const p of payloads) expect(p.payload.byteLength).toBeLessThanOrEqual(spanBytes * 10);
    expect(payloads.reduce((n, p) => n + p.items, 0)).toBe(40);
    expect(spansBySubject(payloads)).toEqual({ shop: numbers });
    // Within the limit as a whole: one payload, the request itself.
    expect(splitByTarget('traces', body, { maxPayloadBytes: body.length }).payloads.map((p) => p.payload)).toEqual([body]);
    // A limit smaller than any span: one span per payload, none lost.
    const tiny = splitByTarget('traces', body, { maxPayloadBytes: 10 }).payloads;
    expect(tiny.map((p) => p.items)).toEqual(numbers.map(() => 1));
    expect(spansBySubject(tiny)).toEqual({ shop: numbers });
  });

  it('publishes nothing for resources without items', () => {
    expect(splitByTarget('traces', request(resourceSpans('shop', [[]]))).payloads).toEqual([]);
    expect(splitByTarget('traces', Buffer.alloc(0))).toEqual({ payloads: [], items: 0, dataPoints: 0 });
  });

  it('works for every signal (metrics and log records are the items)', () => {
    const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'db' } }] };
    const metrics = encodeRequestProtobuf('metrics', {
      resourceMetrics: [
        {
          resource,
          scopeMetrics: [
            {
              scope: { name: 's' },
              metrics: [
                { name: 'a', gauge: { dataPoints: [{ timeUnixNano: T1, asInt: 1 }] } },
                { name: 'b', gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: 2 }] } },
              ],
            },
          ],
        },
      ],
    });
    expect(splitByTarget('metrics', metrics).payloads.map((p) => [p.subject, p.items])).toEqual([['db', 2]]);
    const logs = encodeRequestProtobuf('logs', {
      resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 's' }, logRecords: [{ timeUnixNano: T0, body: { stringValue: 'x' } }] }] }],
    });
    const [payload] = splitByTarget('logs', logs).payloads;
    expect(payload).toMatchObject({ subject: 'db', items: 1 });
    expect(mapOtlpPayload('logs', payload!.payload).batches[0]!.data.logRecords[0]!.body).toBe('x');
  });

  it('counts the data points of every kind of metric (what the learner stores a row for)', () => {
    const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'db' } }] };
    const point = { timeUnixNano: T1, asDouble: 1 };
    const body = encodeRequestProtobuf('metrics', {
      resourceMetrics: [
        {
          resource,
          scopeMetrics: [
            {
              scope: { name: 's' },
              metrics: [
                { name: 'g', unit: 'ms', gauge: { dataPoints: [point, point, point] } },
                { name: 's', sum: { dataPoints: [point], aggregationTemporality: 2, isMonotonic: true } },
                {
                  name: 'h',
                  histogram: {
                    dataPoints: [
                      { timeUnixNano: T1, count: 1, bucketCounts: [1], explicitBounds: [] },
                      { timeUnixNano: T1, count: 0 },
                    ],
                    aggregationTemporality: 1,
                  },
                },
                { name: 'e', exponentialHistogram: { dataPoints: [{ timeUnixNano: T1, count: 0, scale: 1 }], aggregationTemporality: 2 } },
                {
                  name: 'q',
                  summary: { dataPoints: [{ timeUnixNano: T1, count: 1, sum: 2, quantileValues: [{ quantile: 0.5, value: 2 }] }] },
                },
                { name: 'none', gauge: { dataPoints: [] } },
              ],
            },
          ],
        },
        { resource, scopeMetrics: [{ scope: { name: 't' }, metrics: [{ name: 'g2', gauge: { dataPoints: [point, point] } }] }] },
      ],
    });
    const split = splitByTarget('metrics', body);
    expect(split.items).toBe(7);
    expect(split.dataPoints).toBe(10);
    // The same count as the full decoder's mapping.
    const mapped = mapOtlpPayload('metrics', body);
    expect(mapped.errorMessage).toBe('');
    expect(mapped.accepted).toBe(10);
    const spans = splitByTarget('traces', request(resourceSpans('shop', [[1, 2]])));
    expect(spans.dataPoints).toBe(spans.items);
  });

  it('counts data points without refusing a metric whose inside is not valid protobuf (its consumers do)', () => {
    // Metric { name: 'x', gauge: <a data point whose length runs past the gauge> }, then a valid one.
    const bad = Writer.create()
      .uint32(0x0a)
      .string('x')
      .uint32(0x2a)
      .bytes(Buffer.from([0x0a, 0x7f]))
      .finish();
    const good = Writer.create()
      .uint32(0x0a)
      .string('y')
      .uint32(0x2a)
      .bytes(Buffer.from([0x0a, 0x00, 0x0a, 0x00]))
      .finish();
    const scope = Writer.create().uint32(0x12).bytes(bad).uint32(0x12).bytes(good).finish();
    const body = Writer.create().uint32(0x0a).bytes(Writer.create().uint32(0x12).bytes(scope).finish()).finish();
    const split = splitByTarget('metrics', body);
    expect(split.items).toBe(2);
    expect(split.dataPoints).toBe(3);
    expect(split.payloads).toHaveLength(1);
    // A metric that runs past its scope is refused, as before.
    const truncated = Writer.create()
      .uint32(0x0a)
      .bytes(
        Writer.create()
          .uint32(0x12)
          .bytes(scope.subarray(0, scope.length - 2))
          .finish(),
      )
      .finish();
    expect(() => splitByTarget('metrics', truncated)).toThrow(OtlpDecodeError);
  });

  it('refuses what is not protobuf at the outer levels, as the full decoder does', () => {
    for (const bad of [
      Buffer.from([0x0a, 0xff, 0xff, 0x01]),
      Buffer.from('{"resourceSpans": []}'),
      Buffer.from([0x0a, 0x02, 0x12, 0x05]),
    ]) {
      expect(() => splitByTarget('traces', bad)).toThrow(OtlpDecodeError);
      expect(() => splitByTarget('traces', bad)).toThrow(/not a valid protobuf ExportTraceServiceRequest/);
    }
  });
});

describe('expandOtlpEvent (the consumers’ side)', () => {
  const otlpEvent = (payload: Uint8Array, items: number): AnyEnvelope =>
    createEnvelope('homeostat.telemetry.spans.otlp.v1', { source: 'collector', subject: 'shop', data: { items, payload } }) as AnyEnvelope;

  it('turns an OTLP event into the structured events, checking each span', () => {
    const body = request({
      ...resourceSpans('shop', [[1]]),
      scopeSpans: [{ scope: { name: 's', version: '1' }, spans: [span(1), span(2, 5)] }],
    });
    const event = otlpEvent(body, 2);
    expect(event.datacontenttype).toBe('application/x-protobuf');
    const expanded = expandOtlpEvent(event);
    expect(expanded).toMatchObject({ accepted: 1, rejected: 1, errorMessage: expect.stringContaining('traceId must be 16 bytes') });
    expect(expanded.events).toHaveLength(1);
    expect(expanded.events[0]).toMatchObject({
      id: event.id,
      time: event.time,
      subject: 'shop',
      type: 'homeostat.telemetry.spans.v1',
      datacontenttype: 'application/json',
    });
  });

  it('leaves other events alone and refuses bytes that are not protobuf (not retryable)', () => {
    const structured = createEnvelope('homeostat.telemetry.spans.v1', {
      source: 'collector',
      subject: 'shop',
      data: mapOtlpPayload('traces', request(resourceSpans('shop', [[1]]))).batches[0]!.data,
    });
    expect(expandOtlpEvent(structured as AnyEnvelope).events).toEqual([structured]);
    let error: unknown;
    try {
      expandOtlpEvent(otlpEvent(Buffer.from([0x0a, 0xff, 0xff, 0x01]), 1));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error).toMatchObject({ retryable: false, code: 'OTLP_MALFORMED' });
    expect(() => decodeProtobuf('traces', Buffer.from([0x0a, 0xff, 0xff, 0x01]))).toThrow(OtlpDecodeError);
  });
});

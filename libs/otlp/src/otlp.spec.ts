import { spansBatchSchema, metricsBatchSchema, logsBatchSchema, satisfiesSpanContract } from '@homeostat/contracts';
import { benchTracesRequest } from './testing';
import {
  OtlpDecodeError,
  decodeJson,
  decodeProtobuf,
  decodeResponseProtobuf,
  encodeExportResponse,
  encodeRequestProtobuf,
  encodeStatus,
  mapLogs,
  mapMetrics,
  mapTraces,
} from './index';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const PARENT = '53995c3f42cd8ad8';
const T0 = '1735725600000000000';
const T1 = '1735725600250000000';
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** The same OTLP attribute list in both encodings: every AnyValue variant. */
const attributesPb = [
  { key: 'http.route', value: { stringValue: '/checkout' } },
  { key: 'http.response.status_code', value: { intValue: 503 } },
  { key: 'big', value: { intValue: '9007199254740993' } },
  { key: 'ratio', value: { doubleValue: 0.25 } },
  { key: 'retry', value: { boolValue: true } },
  { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }, { boolValue: false }] } } },
  {
    key: 'db',
    value: {
      kvlistValue: {
        values: [
          { key: 'system', value: { stringValue: 'postgresql' } },
          { key: 'pool', value: { kvlistValue: { values: [{ key: 'size', value: { intValue: 10 } }] } } },
        ],
      },
    },
  },
  { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 3]) } },
  { key: 'empty', value: {} },
];
const attributesJson = [
  { key: 'http.route', value: { stringValue: '/checkout' } },
  { key: 'http.response.status_code', value: { intValue: '503' } },
  { key: 'big', value: { intValue: '9007199254740993' } },
  { key: 'ratio', value: { doubleValue: 0.25 } },
  { key: 'retry', value: { boolValue: true } },
  { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }, { boolValue: false }] } } },
  {
    key: 'db',
    value: {
      kvlistValue: {
        values: [
          { key: 'system', value: { stringValue: 'postgresql' } },
          { key: 'pool', value: { kvlistValue: { values: [{ key: 'size', value: { intValue: '10' } }] } } },
        ],
      },
    },
  },
  { key: 'raw', value: { bytesValue: 'AQID' } },
  { key: 'empty', value: {} },
];
const expectedAttributes = {
  'http.route': '/checkout',
  'http.response.status_code': 503,
  big: '9007199254740993',
  ratio: 0.25,
  retry: true,
  tags: ['a', '2', 'false'],
  'db.system': 'postgresql',
  'db.pool.size': 10,
  raw: 'AQID',
  empty: '',
};

const resourcePb = {
  attributes: [
    { key: 'service.name', value: { stringValue: 'shop' } },
    { key: 'host.name', value: { stringValue: 'shop-1' } },
  ],
};
const scope = { name: '@opentelemetry/instrumentation-http', version: '0.57.0' };

function tracesRequest(encoding: 'protobuf' | 'json', spans: Record<string, unknown>[]): unknown {
  const request = {
    resourceSpans: [{ resource: resourcePb, schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', scopeSpans: [{ scope, spans }] }],
  };
  return encoding === 'protobuf' ? decodeProtobuf('traces', encodeRequestProtobuf('traces', request)) : decodeJson(JSON.stringify(request));
}

const span = (encoding: 'protobuf' | 'json', over: Record<string, unknown> = {}): Record<string, unknown> => {
  const id = (s: string): Buffer | string => (encoding === 'protobuf' ? hex(s) : s);
  return {
    traceId: id(TRACE),
    spanId: id(SPAN),
    parentSpanId: id(PARENT),
    name: 'GET /checkout',
    kind: 2,
    startTimeUnixNano: T0,
    endTimeUnixNano: T1,
    attributes: encoding === 'protobuf' ? attributesPb : attributesJson,
    status: { code: 2, message: 'pool exhausted' },
    events: [{ timeUnixNano: T0, name: 'exception', attributes: [{ key: 'exception.type', value: { stringValue: 'PoolTimeout' } }] }],
    links: [{ traceId: id(TRACE), spanId: id(PARENT), attributes: [] }],
    ...over,
  };
};

describe('traces', () => {
  it.each(['protobuf', 'json'] as const)('maps an %s request to one SpansBatch per resource × scope, attributes flattened', (encoding) => {
    const result = mapTraces(tracesRequest(encoding, [span(encoding)]));
    expect(result).toMatchObject({ accepted: 1, rejected: 0, errorMessage: '' });
    expect(result.batches).toHaveLength(1);
    const batch = result.batches[0]!;
    expect(batch.subject).toBe('shop');
    expect(spansBatchSchema.safeParse(batch.data).success).toBe(true);
    expect(batch.data).toEqual({
      resource: { attributes: { 'service.name': 'shop', 'host.name': 'shop-1' }, schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
      scope,
      spans: [
        {
          traceId: TRACE,
          spanId: SPAN,
          parentSpanId: PARENT,
          name: 'GET /checkout',
          kind: 'server',
          startTimeUnixNano: T0,
          endTimeUnixNano: T1,
          attributes: expectedAttributes,
          status: { code: 'error', message: 'pool exhausted' },
          events: [{ timeUnixNano: T0, name: 'exception', attributes: { 'exception.type': 'PoolTimeout' } }],
          links: [{ traceId: TRACE, spanId: PARENT, attributes: {} }],
        },
      ],
    });
  });

  it('reads protobuf and JSON the same way', () => {
    expect(mapTraces(tracesRequest('json', [span('json')]))).toEqual(mapTraces(tracesRequest('protobuf', [span('protobuf')])));
  });

  it.each(['protobuf', 'json'] as const)('rejects bad spans alone and keeps the rest (%s)', (encoding) => {
    const bad = encoding === 'protobuf' ? Buffer.from('0102030405', 'hex') : '0102030405';
    const result = mapTraces(
      tracesRequest(encoding, [
        span(encoding),
        span(encoding, { traceId: bad }),
        span(encoding, { endTimeUnixNano: '1' }),
        span(encoding, { name: '' }),
        span(encoding, { spanId: encoding === 'protobuf' ? Buffer.alloc(8) : '0000000000000000' }),
      ]),
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected).toBe(4);
    expect(result.batches[0]!.data.spans).toHaveLength(1);
    expect(result.errorMessage).toContain('4 spans rejected');
    expect(result.errorMessage).toContain('resourceSpans[0].scopeSpans[0].spans[1]: traceId must be 16 bytes');
    expect(result.errorMessage).toContain('spans[2]: endTimeUnixNano must not be before startTimeUnixNano');
    expect(result.errorMessage).toContain('spans[3]: name must not be empty');
    expect(result.errorMessage).toContain('spans[4]: spanId must be 8 bytes');
  });

  it('names a resource without service.name unknown_service, keeps resources and scopes apart, and slices big batches', () => {
    const s = span('json', { attributes: [] });
    const request = {
      resourceSpans: [
        { resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'a' }, spans: [s] }, { spans: [s, s, s] }] },
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] },
          scopeSpans: [{ scope: { name: 'b', attributes: [{ key: 'k', value: { stringValue: 'v' } }] }, spans: [s] }],
        },
      ],
    };
    const result = mapTraces(request, { maxItemsPerBatch: 2 });
    expect(result.batches.map((b) => [b.subject, b.data.scope, b.data.spans.length])).toEqual([
      ['unknown_service', { name: 'a' }, 1],
      ['unknown_service', { name: '' }, 2],
      ['unknown_service', { name: '' }, 1],
      ['cart', { name: 'b', attributes: { k: 'v' } }, 1],
    ]);
    expect(result.accepted).toBe(5);
  });

  it('accepts enum names and numbers as numbers in JSON', () => {
    const result = mapTraces(
      decodeJson(
        JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    span('json', {
                      kind: 'SPAN_KIND_CLIENT',
                      startTimeUnixNano: 1735725600000000,
                      endTimeUnixNano: 1735725600000001,
                      status: {},
                    }),
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    expect(result.batches[0]!.data.spans[0]).toMatchObject({
      kind: 'client',
      startTimeUnixNano: '1735725600000000',
      status: { code: 'unset' },
    });
  });
});

describe('metrics', () => {
  const attrs = [{ key: 'state', value: { stringValue: 'used' } }];
  const metricsJson = [
    {
      name: 'db.client.connections.usage',
      unit: '{connection}',
      gauge: {
        dataPoints: [
          { attributes: attrs, timeUnixNano: T1, asInt: '7' },
          { timeUnixNano: T1, asDouble: 0.5 },
        ],
      },
    },
    {
      name: 'http.server.requests',
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ startTimeUnixNano: T0, timeUnixNano: T1, asInt: 12 }] },
    },
    {
      name: 'http.server.duration',
      unit: 'ms',
      histogram: {
        aggregationTemporality: 1,
        dataPoints: [{ timeUnixNano: T1, count: '3', sum: 30, bucketCounts: ['1', '2', '0'], explicitBounds: [10, 100], min: 5, max: 20 }],
      },
    },
    {
      name: 'latency.exp',
      exponentialHistogram: {
        aggregationTemporality: 2,
        dataPoints: [{ timeUnixNano: T1, count: 4, sum: 10, scale: 2, zeroCount: 1, positive: { offset: -1, bucketCounts: ['1', '2'] } }],
      },
    },
    {
      name: 'rpc.summary',
      summary: {
        dataPoints: [
          {
            timeUnixNano: T1,
            count: 2,
            sum: 3,
            quantileValues: [
              { quantile: 0.5, value: 1 },
              { quantile: 1, value: 2 },
            ],
          },
        ],
      },
    },
  ];
  const request = { resourceMetrics: [{ resource: resourcePb, scopeMetrics: [{ scope, metrics: metricsJson }] }] };
  const expected = [
    {
      name: 'db.client.connections.usage',
      unit: '{connection}',
      type: 'gauge',
      points: [
        { attributes: { state: 'used' }, timeUnixNano: T1, value: 7 },
        { attributes: {}, timeUnixNano: T1, value: 0.5 },
      ],
    },
    {
      name: 'http.server.requests',
      type: 'sum',
      isMonotonic: true,
      aggregationTemporality: 'cumulative',
      points: [{ attributes: {}, startTimeUnixNano: T0, timeUnixNano: T1, value: 12 }],
    },
    {
      name: 'http.server.duration',
      unit: 'ms',
      type: 'histogram',
      aggregationTemporality: 'delta',
      points: [
        { attributes: {}, timeUnixNano: T1, count: 3, sum: 30, bucketCounts: [1, 2, 0], explicitBounds: [10, 100], min: 5, max: 20 },
      ],
    },
    {
      name: 'latency.exp',
      type: 'exponential_histogram',
      aggregationTemporality: 'cumulative',
      points: [
        {
          attributes: {},
          timeUnixNano: T1,
          count: 4,
          sum: 10,
          scale: 2,
          zeroCount: 1,
          positive: { offset: -1, bucketCounts: [1, 2] },
          negative: { offset: 0, bucketCounts: [] },
        },
      ],
    },
    {
      name: 'rpc.summary',
      type: 'summary',
      points: [
        {
          attributes: {},
          timeUnixNano: T1,
          count: 2,
          sum: 3,
          quantileValues: [
            { quantile: 0.5, value: 1 },
            { quantile: 1, value: 2 },
          ],
        },
      ],
    },
  ];

  it.each([
    ['json', () => decodeJson(JSON.stringify(request))],
    ['protobuf', () => decodeProtobuf('metrics', encodeRequestProtobuf('metrics', request))],
  ])('maps every metric type from %s', (_encoding, decode) => {
    const result = mapMetrics(decode());
    expect(result).toMatchObject({ accepted: 6, rejected: 0 });
    expect(result.batches).toHaveLength(1);
    expect(metricsBatchSchema.safeParse(result.batches[0]!.data).success).toBe(true);
    expect(result.batches[0]!.data.metrics).toEqual(expected);
  });

  it('rejects bad data points alone, and all points of a metric with a bad header', () => {
    const result = mapMetrics({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: 1 }, { timeUnixNano: T1 }, { asDouble: 2 }] } },
                {
                  name: 's',
                  sum: {
                    aggregationTemporality: 0,
                    dataPoints: [
                      { timeUnixNano: T1, asInt: 1 },
                      { timeUnixNano: T1, asInt: 2 },
                    ],
                  },
                },
                {
                  name: 'h',
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [{ timeUnixNano: T1, count: 1, bucketCounts: [1], explicitBounds: [1, 2] }],
                  },
                },
                { name: '', gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: 1 }] } },
              ],
            },
          ],
        },
      ],
    });
    expect(result.accepted).toBe(1);
    expect(result.rejected).toBe(6);
    expect(result.batches[0]!.data.metrics.map((m) => m.name)).toEqual(['g']);
    expect(result.errorMessage).toContain('metrics[0].gauge.dataPoints[1]: has no value');
    expect(result.errorMessage).toContain('metrics[0].gauge.dataPoints[2]: timeUnixNano is missing');
    expect(result.errorMessage).toContain('metrics[1].sum: aggregationTemporality must be DELTA (1) or CUMULATIVE (2)');
    expect(result.errorMessage).toContain('metrics[2].histogram.dataPoints[0]: bucketCounts must have one more entry than explicitBounds');
  });
});

describe('logs', () => {
  const RECEIVED = '1735725699000000000';
  const records = (encoding: 'protobuf' | 'json'): Record<string, unknown>[] => [
    {
      timeUnixNano: T0,
      observedTimeUnixNano: T1,
      severityNumber: 17,
      severityText: 'ERROR',
      body: { stringValue: 'timeout acquiring connection after 5000 ms' },
      attributes: [{ key: 'code.function', value: { stringValue: 'acquire' } }],
      traceId: encoding === 'protobuf' ? hex(TRACE) : TRACE,
      spanId: encoding === 'protobuf' ? hex(SPAN) : SPAN,
      flags: 1,
      eventName: 'db.pool.timeout',
    },
    {
      body: {
        kvlistValue: {
          values: [
            { key: 'user', value: { stringValue: 'u1' } },
            { key: 'n', value: { intValue: 3 } },
          ],
        },
      },
      traceId: encoding === 'protobuf' ? Buffer.from([1, 2]) : '0102',
    },
  ];
  const request = (encoding: 'protobuf' | 'json'): unknown => {
    const r = { resourceLogs: [{ resource: resourcePb, scopeLogs: [{ scope, logRecords: records(encoding) }] }] };
    return encoding === 'protobuf' ? decodeProtobuf('logs', encodeRequestProtobuf('logs', r)) : decodeJson(JSON.stringify(r));
  };

  it.each(['protobuf', 'json'] as const)(
    'maps %s log records: structured bodies as JSON, missing times filled, invalid ids dropped',
    (encoding) => {
      const result = mapLogs(request(encoding), { receivedAtUnixNano: RECEIVED });
      expect(result).toMatchObject({ accepted: 2, rejected: 0 });
      expect(logsBatchSchema.safeParse(result.batches[0]!.data).success).toBe(true);
      expect(result.batches[0]!.data.logRecords).toEqual([
        {
          timeUnixNano: T0,
          observedTimeUnixNano: T1,
          severityNumber: 17,
          severityText: 'ERROR',
          body: 'timeout acquiring connection after 5000 ms',
          attributes: { 'code.function': 'acquire', 'event.name': 'db.pool.timeout' },
          traceId: TRACE,
          spanId: SPAN,
          flags: 1,
        },
        { timeUnixNano: RECEIVED, observedTimeUnixNano: RECEIVED, severityNumber: 0, body: '{"user":"u1","n":3}', attributes: {} },
      ]);
    },
  );

  it('rejects a record with an unknown severity and keeps the rest', () => {
    const result = mapLogs(
      { resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 99 }, { severityNumber: 'SEVERITY_NUMBER_WARN' }] }] }] },
      { receivedAtUnixNano: RECEIVED },
    );
    expect(result).toMatchObject({ accepted: 1, rejected: 1 });
    expect(result.batches[0]!.data.logRecords[0]!.severityNumber).toBe(13);
    expect(result.errorMessage).toContain('logRecords[0]: severityNumber Too big');
  });
});

describe('responses and decode errors', () => {
  it('encodes Export*ServiceResponse with partial_success only when something was rejected', () => {
    expect(encodeExportResponse('traces', 'protobuf', { rejected: 0, errorMessage: '' })).toHaveLength(0);
    expect(Buffer.from(encodeExportResponse('traces', 'json')).toString()).toBe('{}');
    const pb = encodeExportResponse('metrics', 'protobuf', { rejected: 2, errorMessage: 'two bad' });
    expect(decodeResponseProtobuf('metrics', pb)).toEqual({ partialSuccess: { rejectedDataPoints: 2, errorMessage: 'two bad' } });
    expect(JSON.parse(Buffer.from(encodeExportResponse('logs', 'json', { rejected: 1, errorMessage: 'x' })).toString())).toEqual({
      partialSuccess: { rejectedLogRecords: '1', errorMessage: 'x' },
    });
  });

  it('encodes google.rpc.Status', () => {
    expect(decodeResponseProtobuf('google.rpc.Status', encodeStatus('protobuf', 3, 'bad'))).toEqual({ code: 3, message: 'bad' });
    expect(JSON.parse(Buffer.from(encodeStatus('json', 3, 'bad')).toString())).toEqual({ code: 3, message: 'bad' });
  });

  it('reports malformed payloads as OtlpDecodeError', () => {
    expect(() => decodeProtobuf('traces', Buffer.from([0x0a, 0xff, 0xff, 0x01]))).toThrow(OtlpDecodeError);
    expect(() => decodeJson('{"resourceSpans": [')).toThrow(OtlpDecodeError);
    expect(() => decodeJson('[]')).toThrow(OtlpDecodeError);
  });
});

describe('the spans mapTraces maps', () => {
  it('pass the fast contract check, so zod is off the common path', () => {
    const { batches } = mapTraces(decodeProtobuf('traces', benchTracesRequest(50)));
    const spans = batches.flatMap((b) => b.data.spans);
    expect(spans).toHaveLength(50);
    for (const span of spans) expect(satisfiesSpanContract(span)).toBe(true);
  });
});

import {
  OTLP_LIMITS,
  OtlpDecodeError,
  OtlpLimitExceeded,
  decodeJson,
  decodeProtobuf,
  encodeRequestProtobuf,
  mapLogs,
  mapMetrics,
  mapOtlpPayload,
  mapTraces,
  splitByTarget,
} from './index';

const T0 = '1735725600000000000';
const T1 = '1735725600250000000';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const resourceNamed = (service: string): Record<string, unknown> => ({
  attributes: [{ key: 'service.name', value: { stringValue: service } }],
});

function logs(service: string, record: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceLogs: [{ resource: resourceNamed(service), scopeLogs: [{ logRecords: [{ timeUnixNano: T0, ...record }] }] }],
  };
}

function traces(service: string, span: Record<string, unknown> = {}, hexIds = true): Record<string, unknown> {
  const id = (h: string): string | Buffer => (hexIds ? h : Buffer.from(h, 'hex'));
  return {
    resourceSpans: [
      {
        resource: resourceNamed(service),
        scopeSpans: [
          { spans: [{ traceId: id(TRACE), spanId: id(SPAN), name: 'GET /', startTimeUnixNano: T0, endTimeUnixNano: T1, ...span }] },
        ],
      },
    ],
  };
}

function metrics(metric: Record<string, unknown>): Record<string, unknown> {
  return { resourceMetrics: [{ resource: resourceNamed('shop'), scopeMetrics: [{ metrics: [metric] }] }] };
}

/** An AnyValue `depth` levels of kvlistValue (or arrayValue) deep, built without recursion. */
function nested(kind: 'kvlistValue' | 'arrayValue', depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { stringValue: 'bottom' };
  for (let i = 0; i < depth; i++)
    value = kind === 'kvlistValue' ? { kvlistValue: { values: [{ key: 'k', value }] } } : { arrayValue: { values: [value] } };
  return value;
}

/** The same as OTLP/JSON text, written out: JSON.stringify is recursive and gives out that deep. */
function nestedJson(kind: 'kvlistValue' | 'arrayValue', depth: number): string {
  const open = kind === 'kvlistValue' ? '{"kvlistValue":{"values":[{"key":"k","value":' : '{"arrayValue":{"values":[';
  const close = kind === 'kvlistValue' ? '}]}}' : ']}}';
  return `${open.repeat(depth)}{"stringValue":"bottom"}${close.repeat(depth)}`;
}

const refusal = (run: () => unknown): OtlpLimitExceeded => {
  try {
    run();
  } catch (error) {
    if (error instanceof OtlpLimitExceeded) return error;
    throw error;
  }
  throw new Error('expected OtlpLimitExceeded');
};

describe('OTLP_LIMITS: identifiers (the bus key, series names, labels)', () => {
  const huge = 'x'.repeat(2 * 1024 * 1024);

  it('refuses a request whose service.name is longer than 256 characters, in JSON and protobuf, on every path', () => {
    const json = decodeJson(JSON.stringify(logs(huge)));
    const protobuf = encodeRequestProtobuf('logs', logs(huge));
    const message = 'resourceLogs[0]: resource attribute service.name is 2097152 characters; at most 256';
    expect(refusal(() => mapLogs(json)).message).toBe(message);
    expect(refusal(() => mapLogs(decodeProtobuf('logs', protobuf))).message).toBe(message);
    // The collector's protobuf path reads only the resources: it refuses before anything is keyed.
    expect(refusal(() => splitByTarget('logs', protobuf)).message).toBe(message);
    expect(() => mapOtlpPayload('logs', protobuf)).toThrow(OtlpLimitExceeded);
    expect(new OtlpLimitExceeded('x').retryable).toBe(false);
  });

  it('takes a service.name of exactly 256 characters', () => {
    const name = 's'.repeat(OTLP_LIMITS.targetChars);
    expect(mapLogs(logs(name)).batches[0]?.subject).toBe(name);
    expect(splitByTarget('logs', encodeRequestProtobuf('logs', logs(name))).payloads[0]?.subject).toBe(name);
  });

  it('refuses a metric name longer than 256 characters and a data point with too many or too long labels, saying where', () => {
    const gauge = (name: string, attributes: unknown[] = []): Record<string, unknown> => ({
      name,
      gauge: { dataPoints: [{ timeUnixNano: T1, asInt: 1, attributes }] },
    });
    expect(refusal(() => mapMetrics(metrics(gauge('m'.repeat(300))))).message).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0]: name is 300 characters; at most 256',
    );
    const many = Array.from({ length: 129 }, (_, i) => ({ key: `k${i}`, value: { stringValue: 'v' } }));
    expect(refusal(() => mapMetrics(metrics(gauge('m', many)))).message).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]: has 129 attributes; at most 128',
    );
    expect(refusal(() => mapMetrics(metrics(gauge('m', [{ key: 'k'.repeat(257), value: { intValue: 1 } }])))).message).toMatch(
      /dataPoints\[0\]: attribute key "k{64}…" is 257 characters; at most 256$/,
    );
    expect(refusal(() => mapMetrics(metrics(gauge('m', [{ key: 'route', value: { stringValue: 'r'.repeat(1025) } }])))).message).toMatch(
      /dataPoints\[0\]: attribute "route" is 1025 characters; at most 1024$/,
    );
    expect(mapMetrics(metrics(gauge('m'.repeat(256), many.slice(0, 128)))).accepted).toBe(1);
  });

  it('refuses a span whose name (its route when it has no route attribute) is longer than 1024 characters', () => {
    expect(refusal(() => mapTraces(traces('shop', { name: 'n'.repeat(1025) }))).message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0]: name is 1025 characters; at most 1024',
    );
  });
});

describe('OTLP_LIMITS: nesting', () => {
  it.each([
    ['kvlistValue', 5_000],
    ['arrayValue', 10_000],
  ] as const)('refuses a log body of %s nested %d deep with a clear message', (kind, depth) => {
    const json = decodeJson(JSON.stringify(logs('shop', { body: 'BODY' })).replace('"BODY"', nestedJson(kind, depth)));
    expect(refusal(() => mapLogs(json)).message).toBe(
      'resourceLogs[0].scopeLogs[0].logRecords[0]: body nests arrayValue and kvlistValue more than 32 levels deep',
    );
  });

  it('refuses a protobuf log body nested deeper than 32 levels that protobufjs decodes (at most 100 messages deep)', () => {
    const protobuf = encodeRequestProtobuf('logs', logs('shop', { body: nested('arrayValue', 40) }));
    expect(refusal(() => mapLogs(decodeProtobuf('logs', protobuf))).message).toBe(
      'resourceLogs[0].scopeLogs[0].logRecords[0]: body nests arrayValue and kvlistValue more than 32 levels deep',
    );
  });

  it('says a protobuf request nested 20,000 deep is nested too deeply', () => {
    // Encoded by hand (protobufjs's encoder is recursive too): each level's tag and length, outside in.
    const innermost = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue { string_value: "x" }
    const prefixes: Buffer[] = [];
    let length = innermost.length;
    for (let i = 0; i < 20_000; i++) {
      // ArrayValue { values: [that] }, then AnyValue { array_value: that }
      for (const tag of [0x0a, 0x2a]) {
        const prefix = Buffer.concat([Buffer.from([tag]), varint(length)]);
        prefixes.push(prefix);
        length += prefix.length;
      }
    }
    const anyValue = Buffer.concat([...prefixes.reverse(), innermost]);
    const field = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), varint(content.length), content]);
    const request = field(0x0a, field(0x12, field(0x12, Buffer.concat([Buffer.from([0x09]), Buffer.alloc(8, 1), field(0x2a, anyValue)]))));
    const error = (() => {
      try {
        decodeProtobuf('logs', request);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect((error as Error).message).toBe(
      'not a valid protobuf ExportLogsServiceRequest: it nests messages too deeply (arrayValue and kvlistValue may nest at most 32 levels)',
    );
  });

  it('refuses attributes nested too deeply (span, resource and scope), and takes 32 levels', () => {
    const deep = [{ key: 'payload', value: nested('kvlistValue', 5_000) }];
    expect(refusal(() => mapTraces(traces('shop', { attributes: deep }))).message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0]: attribute "payload" nests arrayValue and kvlistValue more than 32 levels deep',
    );
    const inResource = { resourceLogs: [{ resource: { attributes: deep }, scopeLogs: [{ logRecords: [{ timeUnixNano: T0 }] }] }] };
    expect(refusal(() => mapLogs(inResource)).message).toBe(
      'resourceLogs[0]: resource: attribute "payload" nests arrayValue and kvlistValue more than 32 levels deep',
    );
    const inScope = { resourceLogs: [{ scopeLogs: [{ scope: { name: 's', attributes: deep }, logRecords: [{ timeUnixNano: T0 }] }] }] };
    expect(refusal(() => mapLogs(inScope)).message).toMatch(/^resourceLogs\[0\]\.scopeLogs\[0\]: scope: attribute "payload" nests/);
    const ok = mapLogs(logs('shop', { body: nested('arrayValue', 32), attributes: [{ key: 'a', value: nested('kvlistValue', 32) }] }));
    expect(ok.accepted).toBe(1);
  });
});

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

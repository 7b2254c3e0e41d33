import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeRequestProtobuf } from '@homeostat/otlp';
import { Answers, request } from './client';

/** mulberry32: a small seeded PRNG, so a run's requests can be made again from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

/** Nested AnyValues as text (JSON.stringify itself overflows the stack on thousands of levels). */
export function deepAnyValue(kind: 'kvlistValue' | 'arrayValue', depth: number): string {
  const open = kind === 'kvlistValue' ? '{"kvlistValue":{"values":[{"key":"k","value":' : '{"arrayValue":{"values":[';
  const close = kind === 'kvlistValue' ? '}]}}' : ']}}';
  return `${open.repeat(depth)}{"stringValue":"x"}${close.repeat(depth)}`;
}

const now = (): string => String(BigInt(Date.now()) * 1_000_000n);
const attrs = (service: string) => [{ key: 'service.name', value: { stringValue: service } }];

/** A valid request of each OTLP signal, for the mutations to start from. */
export function otlpTemplates(service: string): Record<'traces' | 'metrics' | 'logs', Record<string, unknown>> {
  return {
    traces: {
      resourceSpans: [
        {
          resource: { attributes: attrs(service) },
          scopeSpans: [
            {
              scope: { name: 'fuzz' },
              spans: [
                {
                  traceId: '0af7651916cd43dd8448eb211c80319c',
                  spanId: 'b7ad6b7169203331',
                  name: 'GET /fuzz',
                  kind: 2,
                  startTimeUnixNano: now(),
                  endTimeUnixNano: now(),
                  attributes: [{ key: 'http.route', value: { stringValue: '/fuzz' } }],
                  status: { code: 2 },
                },
              ],
            },
          ],
        },
      ],
    },
    metrics: {
      resourceMetrics: [
        {
          resource: { attributes: attrs(service) },
          scopeMetrics: [
            {
              scope: { name: 'fuzz' },
              metrics: [
                { name: 'fuzz.gauge', gauge: { dataPoints: [{ asDouble: 1.5, timeUnixNano: now(), attributes: [] }] } },
                {
                  name: 'fuzz.duration',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [{ count: '2', sum: 0.3, bucketCounts: ['1', '1'], explicitBounds: [0.1], timeUnixNano: now() }],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
    logs: {
      resourceLogs: [
        {
          resource: { attributes: attrs(service) },
          scopeLogs: [
            {
              scope: { name: 'fuzz' },
              logRecords: [
                { timeUnixNano: now(), severityNumber: 17, severityText: 'ERROR', body: { stringValue: 'fuzz failed' }, attributes: [] },
              ],
            },
          ],
        },
      ],
    },
  };
}

const WEIRD_STRINGS = [
  '',
  '%E0%A4%A',
  '%00',
  '\u0000',
  '\ud800',
  "'; DROP TABLE otel_traces; --",
  '../../etc/passwd',
  '${SHOP_URL}',
  '{{7*7}}',
  '🙂'.repeat(50),
  'a'.repeat(300),
];

/** A replacement for one JSON value: wrong types, extremes, huge strings, deep nesting. */
function hostileValue(rng: Rng): string {
  switch (int(rng, 0, 9)) {
    case 0:
      return JSON.stringify('x'.repeat(pick(rng, [1_000, 70_000, 300_000, 2_000_000])));
    case 1:
      return deepAnyValue(pick(rng, ['kvlistValue', 'arrayValue'] as const), pick(rng, [64, 200, 5_000, 20_000]));
    case 2:
      return pick(rng, ['null', 'true', '-1', '1e308', '-0', '18446744073709551616', '"NaN"', '[]', '{}', '[[[[[]]]]]']);
    case 3:
      return JSON.stringify(pick(rng, WEIRD_STRINGS));
    case 4:
      return `[${Array.from({ length: pick(rng, [1_000, 20_000]) }, () => '{}').join(',')}]`;
    case 5:
      return `{${Array.from({ length: pick(rng, [500, 5_000]) }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    case 6:
      return `${'['.repeat(pick(rng, [1_000, 50_000]))}${']'.repeat(pick(rng, [0, 1_000, 50_000]))}`;
    case 7:
      return JSON.stringify({ stringValue: pick(rng, WEIRD_STRINGS) });
    case 8:
      return JSON.stringify(String.fromCharCode(...Array.from({ length: 64 }, () => int(rng, 0, 0xffff))));
    default:
      return '"' + '\\u'.repeat(3) + '"';
  }
}

/** Replaces the value at one random position of a JSON text (found by its `:`), or the whole. */
function mutateJson(rng: Rng, text: string): string {
  const colons: number[] = [];
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) colons.push(i);
  if (colons.length === 0 || rng() < 0.05) return hostileValue(rng);
  const at = pick(rng, colons) + 1;
  // The value's end: the next , } or ] at depth 0 (good enough for these templates).
  let depth = 0;
  let end = at;
  let inString = false;
  for (; end < text.length; end++) {
    const c = text[end];
    if (inString) {
      if (c === '\\') end++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
  }
  return text.slice(0, at) + hostileValue(rng) + text.slice(end);
}

function mutateBytes(rng: Rng, bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  switch (int(rng, 0, 3)) {
    case 0:
      return out.subarray(0, int(rng, 0, out.length));
    case 1:
      for (let i = 0; i < int(rng, 1, 8); i++) if (out.length > 0) out[int(rng, 0, out.length - 1)] = int(rng, 0, 255);
      return out;
    case 2: {
      const at = int(rng, 0, out.length);
      return Buffer.concat([
        out.subarray(0, at),
        Buffer.from(Array.from({ length: int(rng, 1, 64) }, () => int(rng, 0, 255))),
        out.subarray(at),
      ]);
    }
    default:
      return Buffer.concat([out, out]);
  }
}

/** A length-delimited protobuf field, to build messages the encoder would refuse to make. */
function field(num: number, value: Buffer): Buffer {
  const varint = (n: number): number[] => {
    const bytes: number[] = [];
    while (n > 127) {
      bytes.push((n & 127) | 128);
      n >>>= 7;
    }
    bytes.push(n);
    return bytes;
  };
  return Buffer.concat([Buffer.from([...varint((num << 3) | 2), ...varint(value.length)]), value]);
}

/** An AnyValue nesting kvlistValue `depth` deep, in protobuf (AnyValue.kvlist_value = 6, KeyValueList.values = 1, KeyValue.key/value = 1/2). */
function deepProtobufAnyValue(depth: number): Buffer {
  let value = field(1, Buffer.from('x'));
  for (let i = 0; i < depth; i++) value = field(6, field(1, Buffer.concat([field(1, Buffer.from('k')), field(2, value)])));
  return value;
}

export interface FuzzCase {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  what: string;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/x-protobuf',
  'application/protobuf',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
  'application/json; charset="',
  ';;;',
];

function collectorCase(rng: Rng, webhookSecret: string): FuzzCase {
  const templates = otlpTemplates(`fuzz-${int(rng, 0, 3)}`);
  const route = pick(rng, ['traces', 'metrics', 'logs', 'builds', 'webhooks/github'] as const);
  const headers: Record<string, string> = {};
  let body: Buffer;
  let what = '';
  if (route === 'builds') {
    const build = {
      repository: 'acme/shop',
      commit: 'a1b2c3d',
      branch: 'main',
      pipeline: 'ci',
      job: 'test',
      status: 'failed',
      log: 'FAIL x',
    };
    body = Buffer.from(rng() < 0.8 ? mutateJson(rng, JSON.stringify(build)) : JSON.stringify(build));
    headers['content-type'] = rng() < 0.8 ? 'application/json' : pick(rng, CONTENT_TYPES);
  } else if (route === 'webhooks/github') {
    const delivery = {
      action: 'completed',
      workflow_run: { id: 1, name: 'ci', head_sha: 'a1b2c3d', head_branch: 'main', conclusion: 'failure', run_attempt: 1 },
      repository: { full_name: 'acme/shop' },
    };
    body = Buffer.from(rng() < 0.8 ? mutateJson(rng, JSON.stringify(delivery)) : JSON.stringify(delivery));
    headers['content-type'] = 'application/json';
    headers['x-github-event'] = pick(rng, ['workflow_run', 'check_run', 'ping', '', 'x'.repeat(5_000)]);
    // Mostly signed with the right secret, so the parser is reached.
    const signed = rng() < 0.7 ? `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}` : pick(rng, WEIRD_STRINGS);
    headers['x-hub-signature-256'] = signed;
  } else {
    const protobuf = rng() < 0.4;
    const json = JSON.stringify(templates[route]);
    if (protobuf) {
      headers['content-type'] = 'application/x-protobuf';
      const valid = Buffer.from(encodeRequestProtobuf(route, templates[route]));
      const r = rng();
      body =
        r < 0.6
          ? mutateBytes(rng, valid)
          : r < 0.8
            ? field(1, field(1, field(1, deepProtobufAnyValue(pick(rng, [50, 101, 1_000, 10_000])))))
            : Buffer.from(Array.from({ length: int(rng, 0, 4096) }, () => int(rng, 0, 255)));
      what = 'protobuf';
    } else {
      headers['content-type'] = rng() < 0.85 ? 'application/json' : pick(rng, CONTENT_TYPES);
      body = rng() < 0.2 ? mutateBytes(rng, Buffer.from(json)) : Buffer.from(mutateJson(rng, json));
      what = 'json';
    }
  }
  const encoding = rng();
  if (encoding < 0.1) {
    headers['content-encoding'] = 'gzip';
    body = gzipSync(body);
  } else if (encoding < 0.15) headers['content-encoding'] = pick(rng, ['gzip', 'deflate', 'br', 'zstd', 'x-unknown', 'gzip, gzip']);
  if (rng() < 0.1) headers['authorization'] = pick(rng, ['Bearer ', 'Bearer x', 'Basic %%%', 'x'.repeat(8_000)]);
  return { method: 'POST', path: `/v1/${route}`, headers, body, what: `${route} ${what} ${body.length} B` };
}

const CONSOLE_ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/api/health'],
  ['GET', '/api/incidents'],
  ['GET', '/api/incidents/:id'],
  ['GET', '/api/decisions'],
  ['GET', '/api/decisions/:id'],
  ['GET', '/api/analytics/learning-curve'],
  ['GET', '/api/analytics/effectiveness'],
  ['GET', '/api/control'],
  ['GET', '/api/telemetry/series'],
  ['POST', '/api/decisions/:id/approve'],
  ['POST', '/api/decisions/:id/reject'],
  ['POST', '/api/loops/:id/pause'],
  ['POST', '/api/loops/:id/resume'],
  ['POST', '/api/kill-switch'],
  ['GET', '/api/session'],
  ['POST', '/api/session'],
  ['DELETE', '/api/session'],
  ['GET', '/api/tokens'],
  ['GET', '/api/overview'],
  ['GET', '/api/events'],
  ['GET', '/'],
  ['GET', '/ui/:id'],
];

function consoleCase(rng: Rng, token: string): FuzzCase {
  const [method0, template] = pick(rng, CONSOLE_ROUTES);
  const method = rng() < 0.05 ? pick(rng, ['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE']) : method0;
  const id = pick(rng, [
    'dec-0',
    encodeURIComponent('x'.repeat(int(rng, 1, 9_000))),
    '%00',
    '%E0%A4%A',
    '..%2F..%2Fetc%2Fpasswd',
    encodeURIComponent("' OR 1=1 --"),
    '%ZZ',
    'shop',
    encodeURIComponent('🙂'),
  ]);
  let path = template.replace(':id', id);
  if (rng() < 0.5) {
    const values = [
      '-1',
      '0',
      '1',
      '1e99',
      '99999999999999999999',
      '%00',
      '%E0%A4%A',
      'x'.repeat(3_000),
      '[]',
      'shop',
      'open',
      '2026-12-03T21:00:00Z',
      '2026-13-45T99:00:00Z',
      encodeURIComponent('{"http.route":"/checkout"}'),
      encodeURIComponent(`{"a":${'['.repeat(5_000)}`),
      encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, 'v'])))),
      encodeURIComponent("shop' OR '1'='1"),
    ];
    const keys = ['limit', 'status', 'loop', 'mode', 'service', 'name', 'labels', 'from', 'to', 'step', 'since', 'limit[]'];
    path += `?${Array.from({ length: int(rng, 1, 5) }, () => `${pick(rng, keys)}=${pick(rng, values)}`).join('&')}`;
  }
  const headers: Record<string, string> = {};
  const auth = rng();
  if (auth < 0.5) headers['authorization'] = `Bearer ${token}`;
  else if (auth < 0.6) headers['authorization'] = pick(rng, ['Bearer', 'Bearer %E0%A4%A', `Bearer ${'x'.repeat(10_000)}`, 'Basic x', '']);
  else if (auth < 0.8)
    headers['cookie'] =
      `homeostat_console=${pick(rng, [token, '%E0%A4%A', '%', encodeURIComponent(token), 'x'.repeat(8_000), '"', ''])}${rng() < 0.3 ? '; homeostat_console=again; ;;=' : ''}`;
  if (rng() < 0.1) headers['accept'] = pick(rng, ['text/event-stream', '*/*', 'application/json;q=x', '']);
  if (rng() < 0.05) headers['x-forwarded-for'] = '1.2.3.4, ' + 'x'.repeat(1_000);
  let body: Buffer | undefined;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const valid =
      template === '/api/session'
        ? { token }
        : template === '/api/kill-switch'
          ? { enabled: false, reason: 'fuzz' }
          : { by: 'fuzz', reason: 'fuzz' };
    body = Buffer.from(rng() < 0.7 ? mutateJson(rng, JSON.stringify(valid)) : JSON.stringify(valid));
    headers['content-type'] = rng() < 0.85 ? 'application/json' : pick(rng, CONTENT_TYPES);
    // The kill switch is never turned on here: the loop must go on acting after the fuzz.
    if (template === '/api/kill-switch' && body.includes('true')) body = Buffer.from(JSON.stringify(valid));
  }
  return { method, path, headers, body, what: `${method} ${path.slice(0, 80)}` };
}

export interface FuzzResult {
  cases: number;
  answers: Answers;
  seconds: number;
}

/**
 * A seeded fuzz of every HTTP endpoint of the collector and the console, on loopback: at most
 * `count` requests and `budgetMs` in all, 4 at a time. Each is answered within `timeoutMs` or
 * counts as a hang; a 5xx other than 503 counts as a 5xx.
 */
export async function fuzz(options: {
  seed: number;
  count: number;
  budgetMs: number;
  collectorUrl: string;
  consoleUrl: string;
  /** The console token of an admin (half the console requests carry it), and the collector's GitHub webhook secret. */
  token: string;
  webhookSecret: string;
  timeoutMs?: number;
  /** Requests at a time (4). */
  concurrency?: number;
}): Promise<FuzzResult> {
  const rng = prng(options.seed);
  const answers = new Answers();
  const started = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.count && Date.now() - started < options.budgetMs) {
      next++;
      const c = rng() < 0.55 ? collectorCase(rng, options.webhookSecret) : consoleCase(rng, options.token);
      const base = c.path.startsWith('/v1/') ? options.collectorUrl : options.consoleUrl;
      // A header value is a byte string: what fetch cannot send goes as %<char code> (the server still sees it as garbage).
      const headers = Object.fromEntries(
        Object.entries(c.headers).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/gu, (ch) => `%${ch.charCodeAt(0).toString(16)}`)]),
      );
      const r = await request(`${base}${c.path}`, { method: c.method, body: c.body, headers }, options.timeoutMs ?? 10_000);
      answers.count(r.status, `${c.what} → ${r.body.slice(0, 160)}`, r.ms);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return { cases: next, answers, seconds: Math.round((Date.now() - started) / 1000) };
}

import * as http from 'node:http';
import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Histogram } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { parseConfigPatch } from '../config/shop-config.schema';
import { FAULT_NAMES, isFaultName } from '../faults/faults';
import type { ShopService } from '../shop.service';
import { ATTR, DURATION_BUCKETS_S, METRIC } from '../telemetry/semconv';
import type { ShopTelemetry } from '../telemetry/telemetry';
import { HttpError, toErrorReply } from './http-errors';
import { IdempotencyStore, type StoredResponse } from '@homeostat/example-kit';

const MAX_BODY_BYTES = 64 * 1024;
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

interface Request {
  url: URL;
  params: Record<string, string>;
  body: unknown;
  ctx: Context;
}

interface Route {
  method: string;
  /** The route template, as in http.route. */
  route: string;
  pattern: RegExp;
  /** Business routes count in the SLO window and the concurrency limit. */
  business?: boolean;
  /** Actuator and fault calls: an Idempotency-Key applies them once. */
  idempotent?: boolean;
  handle(req: Request): Promise<StoredResponse> | StoredResponse;
}

function itemOf(url: URL): number {
  const raw = url.searchParams.get('item') ?? '1';
  const item = Number(raw);
  if (!Number.isInteger(item) || item < 1) throw new HttpError(400, 'BAD_REQUEST', `item must be a positive integer, got "${raw}"`);
  return item;
}

function routes(shop: ShopService): Route[] {
  const ok = (body: unknown, status = 200): StoredResponse => ({ status, body });
  return [
    {
      method: 'GET',
      route: '/health',
      pattern: /^\/health$/,
      handle: () => {
        const report = shop.health();
        return { status: report.status === 'ok' ? 200 : 503, body: report };
      },
    },
    {
      method: 'GET',
      route: '/checkout',
      pattern: /^\/checkout$/,
      business: true,
      handle: async (r) => ok(await shop.checkout(itemOf(r.url), r.ctx)),
    },
    {
      method: 'GET',
      route: '/catalog',
      pattern: /^\/catalog$/,
      business: true,
      handle: async (r) => {
        const { body, cache } = await shop.catalog(itemOf(r.url), r.ctx);
        return ok({ item: body, cache });
      },
    },
    {
      method: 'GET',
      route: '/stock',
      pattern: /^\/stock$/,
      business: true,
      handle: async (r) => ok(await shop.stock(itemOf(r.url), r.ctx)),
    },
    { method: 'GET', route: '/faults', pattern: /^\/faults$/, handle: () => ok({ active: shop.activeFaults(), known: FAULT_NAMES }) },
    {
      method: 'POST',
      route: '/faults/{name}',
      pattern: /^\/faults\/(?<name>[^/]+)$/,
      idempotent: true,
      handle: (r) => {
        const name = r.params['name'] ?? '';
        if (!isFaultName(name))
          throw new HttpError(404, 'UNKNOWN_FAULT', `unknown fault "${name}"; known: ${FAULT_NAMES.join(', ')}`, { known: FAULT_NAMES });
        shop.inject(name);
        return ok({ injected: name, active: shop.activeFaults() });
      },
    },
    {
      method: 'DELETE',
      route: '/faults',
      pattern: /^\/faults$/,
      idempotent: true,
      handle: () => ok({ cleared: shop.clearFaults(), active: shop.activeFaults() }),
    },
    { method: 'GET', route: '/actuator/config', pattern: /^\/actuator\/config$/, handle: () => ok(shop.describeConfig()) },
    {
      method: 'PUT',
      route: '/actuator/config',
      pattern: /^\/actuator\/config$/,
      idempotent: true,
      handle: (r) => {
        const patch = parseConfigPatch(r.body);
        if (!patch.ok) throw new HttpError(400, 'INVALID_CONFIG', `invalid config: ${patch.errors.join('; ')}`, { errors: patch.errors });
        return ok(shop.updateConfig(patch.value));
      },
    },
    {
      method: 'POST',
      route: '/actuator/config/rollback',
      pattern: /^\/actuator\/config\/rollback$/,
      idempotent: true,
      handle: () => ok(shop.rollbackConfig()),
    },
    {
      method: 'POST',
      route: '/actuator/pool/recycle',
      pattern: /^\/actuator\/pool\/recycle$/,
      idempotent: true,
      handle: async () => ok(await shop.recyclePool()),
    },
    {
      method: 'POST',
      route: '/actuator/restart',
      pattern: /^\/actuator\/restart$/,
      idempotent: true,
      handle: () => {
        const result = shop.restart();
        return ok({ status: 'restarting', ...result }, 202);
      },
    },
  ];
}

/**
 * The shop's HTTP API on node:http: one server span and one http.server.request.duration
 * measurement per request, the SLO window and concurrency limit for business routes, and
 * Idempotency-Key handling for every call that changes something.
 */
export function createShopServer(shop: ShopService, telemetry: ShopTelemetry): http.Server {
  const table = routes(shop);
  const idempotency = new IdempotencyStore();
  const propagator = new W3CTraceContextPropagator();
  const duration: Histogram = telemetry.meter.createHistogram(METRIC.httpServerRequestDuration, {
    unit: 's',
    description: 'Duration of HTTP server requests.',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  let businessInFlight = 0;

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://shop');
    const method = req.method ?? 'GET';
    const samePath = table.filter((r) => r.pattern.test(url.pathname));
    const route = samePath.find((r) => r.method === method);
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = telemetry.tracer.startSpan(
      route ? `${method} ${route.route}` : method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR.httpRequestMethod]: method,
          [ATTR.urlPath]: url.pathname,
          ...(route ? { [ATTR.httpRoute]: route.route } : {}),
          [ATTR.serverAddress]: req.socket.localAddress ?? '127.0.0.1',
          [ATTR.serverPort]: req.socket.localPort ?? 0,
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    const endSlo = route?.business && !shop.restarting ? shop.slo.begin() : undefined;
    if (route?.business) businessInFlight++;

    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (route?.business) businessInFlight--;
      endSlo?.(status >= 500);
      const attrs = {
        [ATTR.httpRequestMethod]: method,
        [ATTR.httpResponseStatusCode]: status,
        ...(route ? { [ATTR.httpRoute]: route.route } : {}),
        ...(status >= 500 ? { [ATTR.errorType]: String(status) } : {}),
      };
      span.setAttributes(attrs);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
      span.end();
      duration.record((performance.now() - started) / 1_000, attrs);
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };

    const run = async (): Promise<void> => {
      if (!route) {
        if (samePath.length > 0) {
          reply(
            405,
            {
              error: 'METHOD_NOT_ALLOWED',
              message: `${method} is not allowed on ${url.pathname}; use ${samePath.map((r) => r.method).join(', ')}`,
            },
            { allow: samePath.map((r) => r.method).join(', ') },
          );
        } else {
          reply(404, { error: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` });
        }
        return;
      }
      if (shop.restarting && route.route !== '/health') {
        reply(503, { error: 'RESTARTING', message: 'the shop is restarting' }, { 'retry-after': '3' });
        return;
      }
      if (route.business && businessInFlight > shop.config.concurrencyLimit) {
        reply(
          503,
          { error: 'OVERLOADED', message: `more than ${shop.config.concurrencyLimit} requests in flight (concurrencyLimit)` },
          { 'retry-after': '1' },
        );
        return;
      }
      const body = method === 'PUT' || method === 'POST' ? await readJson(req) : undefined;
      const match = route.pattern.exec(url.pathname);
      const request: Request = { url, params: { ...(match?.groups ?? {}) }, body, ctx };
      const key = req.headers[IDEMPOTENCY_KEY_HEADER];
      if (route.idempotent && typeof key === 'string' && key.length > 0) {
        span.setAttribute(ATTR.idempotencyKey, key);
        const outcome = await idempotency.run(key, `${method} ${url.pathname}`, () => answer(route, request));
        if (outcome.kind === 'conflict') {
          reply(422, { error: 'IDEMPOTENCY_KEY_REUSED', message: outcome.message });
        } else {
          reply(
            outcome.response.status,
            outcome.response.body,
            outcome.kind === 'replayed' ? { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } : {},
          );
        }
        return;
      }
      const response = await answer(route, request);
      reply(response.status, response.body);
    };

    run().catch((error: unknown) => {
      const { status, body, retryAfterSeconds } = toErrorReply(error);
      if (status >= 500 && error instanceof Error) span.recordException(error);
      reply(status, body, retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : {});
    });
  });
  server.keepAliveTimeout = 30_000;
  return server;
}

/** Runs a route, turning its errors into answers so that an idempotent call remembers them too. */
async function answer(route: Route, request: Request): Promise<StoredResponse> {
  try {
    return await route.handle(request);
  } catch (error) {
    if (error instanceof HttpError || !(error instanceof Error)) {
      const { status, body } = toErrorReply(error);
      return { status, body };
    }
    const reply = toErrorReply(error);
    if (reply.status >= 500) throw error;
    return { status: reply.status, body: reply.body };
  }
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new HttpError(400, 'INVALID_JSON', `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  });
}

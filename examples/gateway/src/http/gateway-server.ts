import * as http from 'node:http';
import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ConfigStore, ConfigVersion } from '../config/config-store';
import { mergeConfigPatch, parseConfig, type GatewayConfig } from '../config/gateway-config.schema';
import type { GatewayProxy } from '../proxy/gateway-proxy';
import { ATTR } from '../telemetry/semconv';
import type { GatewayTelemetry } from '../telemetry/telemetry';
import { HttpError, toErrorReply } from './http-errors';
import { IdempotencyStore, type StoredResponse } from '@homeostat/example-kit';

const MAX_ACTUATOR_BODY_BYTES = 1024 * 1024;
const MAX_PROXY_BODY_BYTES = 8 * 1024 * 1024;
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** The actuator, the same shape as the demo shop's so the executor's HTTP adapter drives both alike. */
export class ConfigActuator {
  constructor(
    private readonly store: ConfigStore,
    private readonly apply: (config: GatewayConfig, version: number) => void,
    private readonly telemetry: GatewayTelemetry,
  ) {}

  describe(): { version: number; config: GatewayConfig; history: Array<Omit<ConfigVersion, 'config'>> } {
    const live = this.store.live;
    return {
      version: live.version,
      config: live.config,
      history: this.store.history().map(({ version, parent, reason, createdAt }) => ({ version, parent, reason, createdAt })),
    };
  }

  /** `replace`: the body is the whole config (what `homeostat intent --apply` sends); otherwise it is merged over the live one. */
  update(body: unknown, replace: boolean): { version: number; config: GatewayConfig } {
    const parsed = replace ? parseConfig(body) : mergeConfigPatch(this.store.live.config, body);
    if (!parsed.ok) throw new HttpError(400, 'INVALID_CONFIG', `invalid config: ${parsed.errors.join('; ')}`, { errors: parsed.errors });
    const reason = `PUT /actuator/config${replace ? '?mode=replace' : ''} ${JSON.stringify(body).slice(0, 500)}`;
    const entry = this.store.apply(parsed.value, reason);
    this.apply(entry.config, entry.version);
    this.telemetry.logger.info(`config version ${entry.version} live`, { [ATTR.configVersion]: entry.version });
    return { version: entry.version, config: entry.config };
  }

  rollback(): { from: number; to: number; config: GatewayConfig } {
    const { from, to } = this.store.rollback();
    this.apply(to.config, to.version);
    this.telemetry.logger.info(`config rolled back from version ${from.version} to ${to.version}`, { [ATTR.configVersion]: to.version });
    return { from: from.version, to: to.version, config: to.config };
  }
}

/**
 * The gateway's HTTP front: its own routes (`/health`, `/actuator/config`) and everything else
 * proxied by route. One server span and one http.server.request.duration measurement per request.
 */
export function createGatewayServer(proxy: GatewayProxy, actuator: ConfigActuator, telemetry: GatewayTelemetry): http.Server {
  const propagator = new W3CTraceContextPropagator();
  const idempotency = new IdempotencyStore();

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const url = new URL(target, 'http://gateway');
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = telemetry.tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { [ATTR.httpRequestMethod]: method, [ATTR.urlPath]: url.pathname } },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    let routeName: string | undefined;
    let routeTemplate: string | undefined;
    let cacheResult: string | undefined;
    let configVersion: number | undefined;
    let knobs: Record<string, string | number | boolean> | undefined;

    const reply = (status: number, body: Buffer | unknown, headers: Record<string, string> = {}): void => {
      const attrs = {
        [ATTR.httpRequestMethod]: method,
        [ATTR.httpResponseStatusCode]: status,
        ...(routeTemplate ? { [ATTR.httpRoute]: routeTemplate } : {}),
        ...(routeName ? { [ATTR.route]: routeName } : {}),
        ...(cacheResult ? { [ATTR.cacheResult]: cacheResult } : {}),
        ...(status >= 500 ? { [ATTR.errorType]: String(status) } : {}),
      };
      span.updateName(routeTemplate ? `${method} ${routeTemplate}` : method);
      span.setAttributes(attrs);
      // On the span only (not the duration histogram's labels): which config served a request is what
      // keeps an optimize experiment's baseline to the config it replaces.
      if (configVersion !== undefined) span.setAttribute(ATTR.configVersion, configVersion);
      if (knobs !== undefined) span.setAttributes(knobs);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
      span.end();
      // Only the proxied routes are the gateway's work: its actuator and health answers stay out of the SLO series.
      if (routeName) proxy.metrics.serverDuration.record((performance.now() - started) / 1_000, attrs);
      if (res.writableEnded || res.destroyed) return;
      if (Buffer.isBuffer(body)) {
        res.writeHead(status, { ...headers, 'content-length': String(body.length) });
        res.end(method === 'HEAD' ? undefined : body);
      } else {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      }
    };

    const own = async (): Promise<boolean> => {
      const path = url.pathname;
      if (path === '/health') {
        routeTemplate = '/health';
        reply(200, { status: 'ok', configVersion: actuator.describe().version });
        return true;
      }
      if (path !== '/actuator/config' && path !== '/actuator/config/rollback') return false;
      routeTemplate = path;
      const allowed = path === '/actuator/config' ? ['GET', 'PUT'] : ['POST'];
      if (!allowed.includes(method)) {
        reply(
          405,
          { error: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${path}; use ${allowed.join(', ')}` },
          { allow: allowed.join(', ') },
        );
        return true;
      }
      if (method === 'GET') {
        reply(200, actuator.describe());
        return true;
      }
      const run = async (): Promise<StoredResponse> => {
        try {
          if (method === 'PUT') {
            const body = parseJson(await readBody(req, MAX_ACTUATOR_BODY_BYTES));
            return { status: 200, body: actuator.update(body, url.searchParams.get('mode') === 'replace') };
          }
          return { status: 200, body: actuator.rollback() };
        } catch (error) {
          const { status, body } = toErrorReply(error);
          return { status, body };
        }
      };
      const key = req.headers[IDEMPOTENCY_KEY_HEADER];
      if (typeof key === 'string' && key.length > 0) {
        const outcome = await idempotency.run(key, `${method} ${path}`, run);
        if (outcome.kind === 'conflict') reply(422, { error: 'IDEMPOTENCY_KEY_REUSED', message: outcome.message });
        else reply(outcome.response.status, outcome.response.body, outcome.kind === 'replayed' ? { 'Idempotent-Replayed': 'true' } : {});
      } else {
        const response = await run();
        reply(response.status, response.body);
      }
      return true;
    };

    const run = async (): Promise<void> => {
      if (await own()) return;
      const matched = proxy.match(method, url.pathname);
      if (!matched) {
        reply(404, { error: 'NOT_FOUND', message: `no route serves ${url.pathname}` });
        return;
      }
      routeName = matched.route.name;
      configVersion = proxy.configVersion;
      knobs = proxy.knobAttributes(matched.route);
      routeTemplate = `${matched.route.config.path}/*`;
      if (!matched.allowed) {
        const allow = matched.route.config.methods.join(', ');
        reply(405, { error: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on route ${routeName}; use ${allow}` }, { allow });
        return;
      }
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, MAX_PROXY_BODY_BYTES);
      const response = await proxy.handle(matched.route, { method, target, headers: req.headers, body, ctx });
      cacheResult = response.cache;
      reply(response.status, response.body, {
        ...response.headers,
        'x-cache': response.cache.toUpperCase(),
        'x-gateway-attempts': String(response.attempts),
      });
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

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'INVALID_JSON', `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', `body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { z } from 'zod';

/**
 * An upstream service behind the gateway: a small real HTTP server with a fixed number of workers
 * (requests beyond `capacity` wait in its queue, so an overloaded replica gets slower as a real one
 * does), a service time per request, and optionally a dependency it calls over HTTP on every read.
 * Faults are knobs set over HTTP: `slowMs` (this replica turns slow), `errorRatio` (a share of
 * requests answer 503), `burst` (an error burst for a while); a slow dependency is the dependency's
 * own `slowMs`.
 */
export interface UpstreamOptions {
  name: string;
  port: number;
  host?: string;
  /** Service time of one request. */
  latencyMs: number;
  /** Uniform extra service time in [0, jitterMs]. */
  jitterMs?: number;
  /** Requests worked on at once; more wait. */
  capacity: number;
  /** `Cache-Control: public, max-age=N` on reads; 0 sends none. A request's `?cc=` overrides it. */
  maxAgeS?: number;
  /** Base URL of a service this one calls on every read (GET <dependency>/lookup/<path>). */
  dependency?: string;
  random?: () => number;
}

export const upstreamFaultsSchema = z
  .object({
    slowMs: z.number().int().min(0).max(60_000).optional(),
    errorRatio: z.number().min(0).max(1).optional(),
    burst: z
      .object({ durationMs: z.number().int().min(1).max(600_000), ratio: z.number().min(0).max(1) })
      .strict()
      .optional(),
  })
  .strict();
export type UpstreamFaults = z.infer<typeof upstreamFaultsSchema>;

export interface UpstreamStats {
  name: string;
  requests: number;
  reads: number;
  writes: number;
  errors: number;
  inFlight: number;
  queued: number;
  byPath: Record<string, number>;
}

export interface RunningUpstream {
  url: string;
  stats(): UpstreamStats;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startUpstream(options: UpstreamOptions): Promise<RunningUpstream> {
  const random = options.random ?? Math.random;
  let faults: { slowMs: number; errorRatio: number; burstUntil: number; burstRatio: number } = {
    slowMs: 0,
    errorRatio: 0,
    burstUntil: 0,
    burstRatio: 0,
  };
  const stats: UpstreamStats = { name: options.name, requests: 0, reads: 0, writes: 0, errors: 0, inFlight: 0, queued: 0, byPath: {} };
  const waiting: Array<() => void> = [];
  let working = 0;
  const acquire = async (): Promise<void> => {
    if (working < options.capacity) {
      working++;
      return;
    }
    stats.queued++;
    await new Promise<void>((resolve) => waiting.push(resolve));
    stats.queued--;
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else working--;
  };

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (url.pathname === '/health') return json(res, 200, { status: 'ok', name: options.name });
      if (url.pathname === '/stats' && method === 'GET') return json(res, 200, stats);
      if (url.pathname === '/faults') {
        if (method === 'DELETE') {
          faults = { slowMs: 0, errorRatio: 0, burstUntil: 0, burstRatio: 0 };
          return json(res, 200, { faults });
        }
        if (method !== 'PUT') return json(res, 405, { error: 'METHOD_NOT_ALLOWED' }, { allow: 'PUT, DELETE' });
        let body: unknown;
        try {
          body = JSON.parse(text || '{}');
        } catch {
          return json(res, 400, { error: 'INVALID_JSON', message: 'body is not valid JSON' });
        }
        const parsed = upstreamFaultsSchema.safeParse(body);
        if (!parsed.success)
          return json(res, 400, {
            error: 'INVALID_FAULTS',
            message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
          });
        const f = parsed.data;
        faults = {
          slowMs: f.slowMs ?? faults.slowMs,
          errorRatio: f.errorRatio ?? faults.errorRatio,
          burstUntil: f.burst ? Date.now() + f.burst.durationMs : faults.burstUntil,
          burstRatio: f.burst ? f.burst.ratio : faults.burstRatio,
        };
        return json(res, 200, { faults });
      }
      void serve(req, res, url, method, text);
    });
  });

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, method: string, text: string): Promise<void> => {
    stats.requests++;
    stats.byPath[`${method} ${url.pathname}`] = (stats.byPath[`${method} ${url.pathname}`] ?? 0) + 1;
    const read = method === 'GET' || method === 'HEAD';
    if (read) stats.reads++;
    else stats.writes++;
    await acquire();
    stats.inFlight++;
    try {
      await sleep(options.latencyMs + (options.jitterMs ?? 0) * random() + faults.slowMs);
      if (read && options.dependency) {
        const dep = await undiciRequest(`${options.dependency.replace(/\/+$/, '')}/lookup${url.pathname}`, {
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        await dep.body.dump();
        if (dep.statusCode >= 500) {
          stats.errors++;
          return json(res, 502, { error: 'DEPENDENCY_FAILED', replica: options.name, status: dep.statusCode });
        }
      }
      const ratio = Date.now() < faults.burstUntil ? Math.max(faults.burstRatio, faults.errorRatio) : faults.errorRatio;
      if (ratio > 0 && random() < ratio) {
        stats.errors++;
        return json(res, 503, { error: 'UNAVAILABLE', replica: options.name });
      }
      if (!read) return json(res, 201, { replica: options.name, path: url.pathname, received: text.length, write: stats.writes });
      const headers: Record<string, string> = {};
      const cc = url.searchParams.get('cc') ?? (options.maxAgeS ? `public, max-age=${options.maxAgeS}` : null);
      if (cc) headers['cache-control'] = cc;
      const vary = url.searchParams.get('vary');
      if (vary) headers['vary'] = vary;
      const varied = vary
        ? Object.fromEntries(
            vary
              .split(',')
              .map((h) => h.trim().toLowerCase())
              .map((h) => [h, req.headers[h] ?? null]),
          )
        : undefined;
      json(
        res,
        200,
        { replica: options.name, path: url.pathname, query: url.search, served: stats.requests, ...(varied ? { varied } : {}) },
        headers,
      );
    } catch (error) {
      stats.errors++;
      json(res, 502, {
        error: 'DEPENDENCY_UNREACHABLE',
        replica: options.name,
        message: error instanceof Error ? error.message : String(error),
      });
    } finally {
      stats.inFlight--;
      release();
    }
  };

  server.keepAliveTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    stats: () => ({ ...stats, byPath: { ...stats.byPath } }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

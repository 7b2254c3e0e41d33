import * as http from 'node:http';
import {
  defaultTextMapSetter,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Histogram,
  type Meter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { RetryPolicy } from '../config/shop-config.schema';
import { backoffDelayMs, isRetryableStatus, type RetryBudget } from '../resilience/retry-policy';
import { ATTR, DOWNSTREAM_SERVICE, DURATION_BUCKETS_S, METRIC } from '../telemetry/semconv';
import type { ShopLogger } from '../telemetry/telemetry';
import { RETRY_ATTEMPT_HEADER } from './inventory-server';

/** Above the slow dependency's ~2 s, so slowness shows as latency and not as errors. */
const ATTEMPT_TIMEOUT_MS = 3_000;

export class DownstreamError extends Error {
  readonly code = 'DOWNSTREAM_FAILED';
  constructor(
    message: string,
    readonly status: number | null,
    readonly attempts: number,
  ) {
    super(message);
  }
}

interface Attempt {
  status: number | null;
  body?: unknown;
  error?: string;
}

export interface InventoryClientDeps {
  baseUrl: string;
  tracer: Tracer;
  meter: Meter;
  logger: ShopLogger;
  policy: () => RetryPolicy;
  budget: () => RetryBudget;
  random?: () => number;
}

/** Calls the inventory with the live retry policy: one client span per attempt. */
export class InventoryClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly duration: Histogram;
  private readonly server: URL;

  constructor(private readonly deps: InventoryClientDeps) {
    this.server = new URL(deps.baseUrl);
    this.duration = deps.meter.createHistogram(METRIC.httpClientRequestDuration, {
      unit: 's',
      description: 'Duration of HTTP client requests.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
  }

  async get(path: string, template: string, parent: Context): Promise<unknown> {
    const policy = this.deps.policy();
    const budget = this.deps.budget();
    budget.recordCall();
    let last: Attempt = { status: null };
    let attempts = 0;
    for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
      if (attempt > 0) {
        if (!budget.tryRetry(policy.budget)) {
          this.deps.logger.warn(
            `retry budget exhausted for GET ${template} (${(policy.budget ?? 0) * 100} % of calls)`,
            { [ATTR.peerService]: DOWNSTREAM_SERVICE },
            parent,
          );
          break;
        }
        const delay = backoffDelayMs(policy, attempt, this.deps.random);
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
      attempts++;
      last = await this.attempt(path, template, attempt, parent);
      if (last.status !== null && last.status < 300) return last.body;
      if (last.status !== null && !isRetryableStatus(last.status)) break;
    }
    const what = last.status !== null ? `HTTP ${last.status}` : (last.error ?? 'no answer');
    this.deps.logger.warn(
      `inventory GET ${template} failed after ${attempts} attempt(s): ${what}`,
      { [ATTR.peerService]: DOWNSTREAM_SERVICE, attempts },
      parent,
    );
    throw new DownstreamError(`inventory GET ${template} failed after ${attempts} attempt(s): ${what}`, last.status, attempts);
  }

  close(): void {
    this.agent.destroy();
  }

  private async attempt(path: string, template: string, resendCount: number, parent: Context): Promise<Attempt> {
    const url = new URL(path, this.server);
    const span = this.deps.tracer.startSpan(
      `GET ${template}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.httpRequestMethod]: 'GET',
          [ATTR.urlFull]: url.toString(),
          [ATTR.urlTemplate]: template,
          [ATTR.serverAddress]: url.hostname,
          [ATTR.serverPort]: Number(url.port),
          [ATTR.peerService]: DOWNSTREAM_SERVICE,
          ...(resendCount > 0 ? { [ATTR.httpRequestResendCount]: resendCount } : {}),
        },
      },
      parent,
    );
    const headers: Record<string, string> = { [RETRY_ATTEMPT_HEADER]: String(resendCount) };
    this.propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
    const started = performance.now();
    const result = await this.send(url, headers);
    const attrs = {
      [ATTR.httpRequestMethod]: 'GET',
      // Which dependency: the logical name, which stays when its address changes.
      [ATTR.peerService]: DOWNSTREAM_SERVICE,
      [ATTR.serverAddress]: url.hostname,
      [ATTR.serverPort]: Number(url.port),
      [ATTR.urlTemplate]: template,
      ...(result.status !== null ? { [ATTR.httpResponseStatusCode]: result.status } : {}),
      ...(result.status === null || result.status >= 400
        ? { [ATTR.errorType]: result.status !== null ? String(result.status) : (result.error ?? 'error') }
        : {}),
    };
    this.duration.record((performance.now() - started) / 1_000, attrs);
    span.setAttributes(attrs);
    if (result.status === null || result.status >= 400)
      span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? `HTTP ${result.status}` });
    span.end();
    return result;
  }

  private send(url: URL, headers: Record<string, string>): Promise<Attempt> {
    return new Promise((resolve) => {
      const req = http.get(url, { agent: this.agent, headers, timeout: ATTEMPT_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          resolve({ status, body });
        });
        res.on('error', (error) => resolve({ status: null, error: error.message }));
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${ATTEMPT_TIMEOUT_MS} ms`)));
      req.on('error', (error) => resolve({ status: null, error: error.message }));
    });
  }
}

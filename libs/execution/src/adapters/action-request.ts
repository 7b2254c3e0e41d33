import { z } from 'zod';
import type { ActionCall } from '@homeostat/contracts';
import { renderJson, renderTemplate, renderUrl, TemplateError, type Environment, type JsonValue, type TemplateContext } from './template';

/** One HTTP request an adapter sends: everything resolved, nothing left to the environment. */
export interface ActionRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The status that means "applied"; undefined: any 2xx. */
  expectStatus?: number;
  timeoutMs: number;
}

export type RequestErrorCode = 'ADAPTER_UNSUPPORTED' | 'ADAPTER_PARAMS_INVALID' | 'TEMPLATE_INVALID';
export type BuildResult = { ok: true; request: ActionRequest } | { ok: false; code: RequestErrorCode; message: string };

export interface RequestInput {
  context: TemplateContext;
  env: Environment;
  /** `<decisionId>` for the action, `<decisionId>:rollback` for its inverse. */
  idempotencyKey: string;
  timeoutMs: number;
}

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
const method = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(METHODS, { error: `must be one of ${METHODS.join(', ')}` }));
const headers = z.record(z.string().min(1), z.string());
const expectStatus = z.number().int().min(100).max(599);

/** `http`: a call of the target's own actuator API. */
const httpParams = z
  .object({
    method,
    url: z.string().min(1),
    headers: headers.optional(),
    body: z.json().optional(),
    expectStatus: expectStatus.optional(),
  })
  .strict();

/** `webhook`: a notification to anything that takes one; POST with a JSON summary unless told. */
const webhookParams = z
  .object({
    url: z.string().min(1),
    method: method.default('POST'),
    headers: headers.optional(),
    body: z.json().optional(),
    expectStatus: expectStatus.optional(),
  })
  .strict();

/**
 * Builds the HTTP request of an http or webhook call (pure: the environment is given; kubernetes
 * calls are built by buildKubernetesCall). A ci call, a parameter the adapter does not know, or a
 * template that cannot be filled is an error with a code, so the decision gets a failed outcome
 * instead of the executor crashing.
 */
export function buildActionRequest(call: Pick<ActionCall, 'adapter' | 'params'>, input: RequestInput): BuildResult {
  switch (call.adapter) {
    case 'http':
    case 'webhook':
      break;
    case 'kubernetes':
      return {
        ok: false,
        code: 'ADAPTER_UNSUPPORTED',
        message: 'the kubernetes adapter makes API calls, not an HTTP request: see adapters/kubernetes',
      };
    case 'ci':
      return {
        ok: false,
        code: 'ADAPTER_UNSUPPORTED',
        message: `the ${call.adapter} adapter is not available in this executor yet (supported: http, webhook, kubernetes)`,
      };
  }
  const parsed = call.adapter === 'http' ? httpParams.safeParse(call.params) : webhookParams.safeParse(call.params);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
    return { ok: false, code: 'ADAPTER_PARAMS_INVALID', message: `${call.adapter} action params: ${problems}` };
  }
  const p = parsed.data;
  try {
    const url = renderUrl(p.url, input.context, input.env);
    const rendered: Record<string, string> = {};
    for (const [name, value] of Object.entries(p.headers ?? {})) {
      // Ours wins: the key is what makes a repeated call harmless on the target's side.
      if (name.toLowerCase() !== IDEMPOTENCY_HEADER.toLowerCase()) rendered[name] = renderTemplate(value, input.context, input.env);
    }
    const source: JsonValue | undefined = p.body ?? (call.adapter === 'webhook' ? defaultWebhookBody(input.context) : undefined);
    let body: string | undefined;
    if (source !== undefined && p.method !== 'GET' && p.method !== 'HEAD') {
      const value = renderJson(source, input.context, input.env);
      body = typeof value === 'string' ? value : JSON.stringify(value);
      if (!hasHeader(rendered, 'content-type'))
        rendered['Content-Type'] = typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
    }
    return {
      ok: true,
      request: {
        method: p.method,
        url,
        headers: { ...rendered, [IDEMPOTENCY_HEADER]: input.idempotencyKey },
        ...(body !== undefined ? { body } : {}),
        ...(p.expectStatus !== undefined ? { expectStatus: p.expectStatus } : {}),
        timeoutMs: input.timeoutMs,
      },
    };
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, code: 'TEMPLATE_INVALID', message: error.message };
    throw error;
  }
}

function defaultWebhookBody(context: TemplateContext): JsonValue {
  return {
    decisionId: context.decisionId,
    incidentId: context.incidentId,
    loop: context.loop,
    target: context.target,
    fingerprint: context.fingerprint,
    action: context.action,
  };
}

function hasHeader(h: Record<string, string>, name: string): boolean {
  return Object.keys(h).some((k) => k.toLowerCase() === name);
}

const SECRET_HEADER = /authorization|cookie|token|secret|password|api[-_]?key/i;

/** The request as people may see it (dry-run detail, logs): credentials masked. */
export function describeRequest(request: ActionRequest): Record<string, unknown> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) shown[name] = SECRET_HEADER.test(name) ? '***' : value;
  return {
    method: request.method,
    url: request.url,
    headers: shown,
    ...(request.body !== undefined ? { body: request.body } : {}),
    expectStatus: request.expectStatus ?? '2xx',
    timeoutMs: request.timeoutMs,
  };
}

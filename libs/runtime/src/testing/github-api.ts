import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * GitHub's REST API as its published OpenAPI description (`@octokit/openapi`'s api.github.com) says
 * it is, on loopback, for tests of code that calls GitHub: each request is matched to the
 * operation its method and path template describe, its query and JSON body are validated against
 * the operation's parameters and request body schema, and the answer is the operation's
 * documented example for its success status. A request the description does not describe, or
 * that does not validate, is answered 400/404 and recorded in `problems`. A test changes an
 * answer only through `answers`: another status the operation documents, or its documented
 * example changed. Answers are not validated against the response schemas: GitHub's own examples
 * do not always satisfy them (pulls/list's requested_teams lack `type`, repos/get lacks `language`).
 */

type Json = Record<string, unknown>;

interface Operation {
  readonly operationId: string;
  readonly parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Json }>;
  readonly requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  readonly responses: Record<string, { content?: Record<string, { schema?: Json; examples?: Record<string, { value?: unknown }> }> }>;
}

interface Route {
  readonly template: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: string[];
  readonly literals: number;
  /** As the description has it, with `$ref`s. */
  readonly raw: Operation;
}

/** A request as the server understood it. */
export interface SeenRequest {
  readonly operationId: string;
  readonly method: string;
  readonly template: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly headers: IncomingHttpHeaders;
}

/** What an answer hook returns: a documented status (default: the success one), a body (default: its documented example), headers. */
export interface Answer {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type AnswerHook = (request: SeenRequest, example: unknown) => Answer;

export interface GithubApiServerOptions {
  /** Per operationId (`repos/get-branch`), how to answer instead of the documented example. */
  readonly answers?: Readonly<Record<string, AnswerHook>>;
  /** Requests outside the API (the storage a log download redirects to); true when answered. */
  readonly outside?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

let loaded: { routes: Route[]; ajv: Ajv; operationOf: (route: Route) => Operation } | undefined;

/**
 * The description, read and indexed once per test file; an operation's `$ref`s are resolved when a
 * request first reaches it (the description resolved whole is 70 MB, with them 13 MB).
 */
function description(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  const spec = require('@octokit/openapi/generated/api.github.com.json') as { paths: Record<string, Record<string, Operation>> };
  const resolve = (node: unknown, refs: readonly string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => resolve(n, refs));
    if (typeof node !== 'object' || node === null) return node;
    const ref = (node as Json)['$ref'];
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      // A schema that contains itself: below its first occurrence it takes anything.
      if (refs.includes(ref)) return {};
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((at, key) => (at as Json | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
      if (target === undefined) throw new Error(`GitHub's description has no ${ref}`);
      return resolve(target, [...refs, ref]);
    }
    return Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, resolve(v, refs)]));
  };
  const resolved = new Map<Route, Operation>();
  const operationOf = (route: Route): Operation => {
    let operation = resolved.get(route);
    if (operation === undefined) {
      operation = resolve(route.raw, []) as Operation;
      resolved.set(route, operation);
    }
    return operation;
  };
  const routes: Route[] = [];
  for (const [template, methods] of Object.entries(spec.paths)) {
    const names: string[] = [];
    // Braces are not among the characters escaped: each {name} then becomes one path segment.
    const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const literals = template.split('/').filter((s) => s !== '' && !s.startsWith('{')).length;
    for (const [method, operation] of Object.entries(methods)) {
      if (typeof operation !== 'object' || operation === null || !('operationId' in operation)) continue;
      routes.push({ template, method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), names, literals, raw: operation });
    }
  }
  // The most literal template first: /repos/{o}/{r}/issues/comments/{id} before /repos/{o}/{r}/issues/{n}/comments.
  routes.sort((a, b) => b.literals - a.literals);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  loaded = { routes, ajv, operationOf };
  return loaded;
}

/**
 * An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes null among the types (Ajv takes
 * `nullable` only beside a `type`, and GitHub's description puts it beside `allOf` and `anyOf` too).
 */
const SUBSCHEMA = new Set(['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf']);
const SUBSCHEMAS_BY_NAME = new Set(['properties', 'patternProperties']);
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) {
    if (SUBSCHEMA.has(key)) out[key] = jsonSchemaOf(value);
    else if (SUBSCHEMAS_BY_NAME.has(key) && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(Object.entries(value as Json).map(([name, sub]) => [name, jsonSchemaOf(sub)]));
    } else out[key] = value;
  }
  if (out['nullable'] !== true) return out;
  delete out['nullable'];
  if (typeof out['type'] === 'string') {
    out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...(out['enum'] as unknown[]), null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

const validators = new WeakMap<object, ValidateFunction>();
function validate(ajv: Ajv, schema: Json, value: unknown, name = 'body'): string | undefined {
  let check = validators.get(schema);
  if (check === undefined) {
    check = ajv.compile(jsonSchemaOf(schema) as Json);
    validators.set(schema, check);
  }
  return check(value) ? undefined : ajv.errorsText(check.errors, { dataVar: name });
}

function successStatus(operation: Operation): number {
  const statuses = Object.keys(operation.responses)
    .map(Number)
    .filter((s) => s >= 200 && s < 400)
    .sort((a, b) => a - b);
  const status = statuses[0];
  if (status === undefined) throw new Error(`${operation.operationId} documents no success status`);
  return status;
}

/** The documented example of a status's JSON answer (the first one given); undefined when it documents none. */
function exampleOf(operation: Operation, status: number): unknown {
  const json = operation.responses[String(status)]?.content?.['application/json'];
  const first = Object.values(json?.examples ?? {})[0];
  return first?.value;
}

/** A query parameter's text as its schema's type, as GitHub reads it. */
function coerce(text: string, schema: Json | undefined): unknown {
  if (schema?.['type'] === 'integer' || schema?.['type'] === 'number')
    return text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
  if (schema?.['type'] === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

export class GithubApiServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** Every request the description describes, in order. */
    readonly requests: SeenRequest[],
    /** Every request it does not, or whose query or body does not validate, and every answer with an undocumented status. */
    readonly problems: string[],
  ) {}

  static async start(options: GithubApiServerOptions = {}): Promise<GithubApiServer> {
    const { routes, ajv, operationOf } = description();
    const requests: SeenRequest[] = [];
    const problems: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (options.outside?.(req, res)) return;
        const problem = (status: number, message: string): void => {
          problems.push(message);
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message, documentation_url: 'https://docs.github.com/rest' }));
        };
        const url = new URL(req.url ?? '/', 'http://localhost');
        const method = req.method ?? 'GET';
        let match: { route: Route; values: string[] } | undefined;
        for (const route of routes) {
          if (route.method !== method) continue;
          const m = route.pattern.exec(url.pathname);
          if (m !== null) {
            match = { route, values: m.slice(1) };
            break;
          }
        }
        if (match === undefined) return problem(404, `${method} ${url.pathname}: no operation of GitHub's description`);
        const { route, values } = match;
        const op = operationOf(route);
        const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')]));
        const documented = new Map((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
        for (const [name, text] of url.searchParams) {
          const p = documented.get(name);
          if (p === undefined) return problem(400, `${op.operationId}: query parameter '${name}' is not documented`);
          const wrong = p.schema ? validate(ajv, p.schema, coerce(text, p.schema), name) : undefined;
          if (wrong) return problem(400, `${op.operationId}: query parameter '${name}': ${wrong}`);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (raw !== '') {
          if (schema === undefined) return problem(400, `${op.operationId}: takes no request body, got ${raw.slice(0, 200)}`);
          try {
            body = JSON.parse(raw);
          } catch {
            return problem(400, `${op.operationId}: the request body is not JSON`);
          }
          const wrong = validate(ajv, schema, body);
          if (wrong) return problem(400, `${op.operationId}: the request body does not validate: ${wrong}`);
        } else if (op.requestBody?.required) {
          return problem(400, `${op.operationId}: the request body is required`);
        }
        const seen: SeenRequest = {
          operationId: op.operationId,
          method,
          template: route.template,
          params,
          query: url.searchParams,
          body,
          headers: req.headers,
        };
        requests.push(seen);
        const success = successStatus(op);
        const hook = options.answers?.[op.operationId];
        const answer: Answer = hook ? hook(seen, exampleOf(op, success)) : {};
        const status = answer.status ?? success;
        const response = op.responses[String(status)];
        if (response === undefined) return problem(500, `${op.operationId}: status ${status} is not documented`);
        const out = 'body' in answer ? answer.body : exampleOf(op, status);
        res.writeHead(status, { ...(out !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...answer.headers });
        res.end(out !== undefined ? JSON.stringify(out) : undefined);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new GithubApiServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, problems);
  }

  /** The requests of one operation. */
  of(operationId: string): SeenRequest[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A documented list as GitHub pages it: the `page` asked for, `per_page` items, and the `Link`
 * header to the next and last pages (Octokit's pagination follows it).
 */
export function pageOf<T>(request: SeenRequest, baseUrl: string, items: readonly T[]): Answer {
  const perPage = Number(request.query.get('per_page') ?? 30);
  const page = Number(request.query.get('page') ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string): string => {
    const url = new URL(
      request.template.replace(/\{([^}]+)\}/g, (_m, n: string) => encodeURIComponent(request.params[n] ?? '')),
      baseUrl,
    );
    for (const [k, v] of request.query) url.searchParams.set(k, v);
    url.searchParams.set('page', String(p));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = page < last ? [link(page + 1, 'next'), link(last, 'last')] : [];
  return { body: items.slice((page - 1) * perPage, page * perPage), ...(links.length > 0 ? { headers: { link: links.join(', ') } } : {}) };
}

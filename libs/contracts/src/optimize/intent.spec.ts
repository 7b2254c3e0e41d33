import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSpecError } from '../yaml/located-yaml';
import { looksLikeIntent, parseIntent } from './intent.parser';

const DEMO = join(__dirname, '..', '..', '..', '..', 'examples', 'gateway', 'intent', 'demo.intent.yaml');

/** A small valid intent; tests edit single lines, so line numbers below refer to this text. */
const MINIMAL = `apiVersion: homeostat.dev/v1
kind: Intent
metadata:
  name: shop-api
spec:
  upstreams:
    catalog:
      replicas:
        - url: http://127.0.0.1:4101
  routes:
    catalog:
      path: /catalog
      methods: [GET]
      upstream: catalog
      idempotent: true
      maxStaleness: 30s
      slo:
        p99: 250ms
        errorRatio: 0.01
`;

function withLine(n: number, text: string): string {
  const lines = MINIMAL.split('\n');
  expect(lines[n - 1]).toBeDefined();
  lines[n - 1] = text;
  return lines.join('\n');
}

function errorsOf(text: string) {
  const result = parseIntent(text, 'api.intent.yaml');
  if (result.ok) throw new Error('expected intent errors');
  return result.errors.map(formatSpecError);
}

describe('intent', () => {
  it('parses the minimal intent and the demo platform’s', async () => {
    expect(parseIntent(MINIMAL)).toMatchObject({ ok: true, intent: { spec: { routes: { catalog: { maxStaleness: '30s' } } } } });
    const demo = parseIntent(await readFile(DEMO, 'utf8'), DEMO);
    if (!demo.ok) throw new Error(demo.errors.map(formatSpecError).join('\n'));
    expect(Object.keys(demo.intent.spec.routes)).toEqual(['catalog', 'pricing', 'orders']);
  });

  it('reports a non-idempotent route that may be served stale at the line and column of maxStaleness', () => {
    expect(errorsOf(withLine(15, '      idempotent: false'))).toEqual([
      'api.intent.yaml:16:21  spec.routes.catalog.maxStaleness  a non-idempotent route is never served from a cache: must be 0s',
    ]);
  });

  it('reports unknown fields at their key, bad values at the value, missing ones at their parent', () => {
    expect(errorsOf(withLine(16, '      maxStale: 30s'))).toEqual([
      'api.intent.yaml:11:5  spec.routes.catalog.maxStaleness  required field is missing',
      'api.intent.yaml:16:7  spec.routes.catalog.maxStale  unknown field',
    ]);
    expect(errorsOf(withLine(18, '        p99: fast'))).toEqual([
      'api.intent.yaml:18:14  spec.routes.catalog.slo.p99  must be a duration like 500ms, 30s, 5m, 1h or 1h30m',
    ]);
    expect(errorsOf(withLine(18, '        p99: 0s'))).toEqual(['api.intent.yaml:18:14  spec.routes.catalog.slo.p99  must be more than 0']);
    expect(errorsOf(withLine(19, '        errorRatio: 2'))[0]).toMatch(
      /^api\.intent\.yaml:19:21 {2}spec\.routes\.catalog\.slo\.errorRatio {2}/,
    );
    expect(errorsOf(withLine(14, '      upstream: pricing'))).toEqual([
      'api.intent.yaml:14:17  spec.routes.catalog.upstream  unknown upstream "pricing"; declared: catalog',
    ]);
    expect(errorsOf(withLine(9, '        - url: ftp://x'))).toEqual([
      'api.intent.yaml:9:16  spec.upstreams.catalog.replicas[0].url  must be an http(s) URL',
    ]);
  });

  it('reads JSON intents with the same positions, and reports YAML syntax errors where they are', () => {
    const json = `{
  "apiVersion": "homeostat.dev/v1",
  "kind": "Intent",
  "metadata": { "name": "x" },
  "spec": { "upstreams": {}, "routes": { "a": { "path": "/a", "methods": ["GET"], "upstream": "b",
    "idempotent": true, "maxStaleness": "0s", "slo": { "p99": "1s", "errorRatio": 0 } } } }
}`;
    expect(looksLikeIntent(json)).toBe(true);
    const result = parseIntent(json, 'a.json');
    expect(result.ok ? [] : result.errors.map(formatSpecError)).toEqual([
      'a.json:5:95  spec.routes.a.upstream  unknown upstream "b"; declared: (none)',
    ]);
    expect(errorsOf('kind: Intent\nspec: [a\n')[0]).toMatch(/^api\.intent\.yaml:\d+:\d+ {2}<root> {2}/);
    expect(looksLikeIntent(MINIMAL)).toBe(true);
    expect(looksLikeIntent('kind: Loop\n')).toBe(false);
  });
});

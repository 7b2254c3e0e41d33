import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLoopSpecs, parseLoopSpec, validateLoopFiles } from './loop-spec.parser';

const EXAMPLE = join(__dirname, '../../../../examples/gateway/loops/gateway-optimize.yaml');

const errorsOf = (text: string) => {
  const result = parseLoopSpec(text, EXAMPLE);
  return result.ok ? [] : result.errors.map(({ line, column, path, message }) => ({ line, column, path, message }));
};

/** The line (1-based) of the last line of `text` matching `pattern`. */
const lineOf = (text: string, pattern: RegExp): number => {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i] ?? '')) return i + 1;
  return 0;
};

describe('the optimize section of a loop spec', () => {
  it('parses the gateway example with its defaults', async () => {
    const result = parseLoopSpec(await readFile(EXAMPLE, 'utf8'), EXAMPLE);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.spec.spec.kind).toBe('optimize');
    expect(result.spec.spec.optimize).toMatchObject({
      objective: 'p99',
      bucket: '2s',
      guardTolerance: 0.1,
      routes: { orders: { idempotent: false } },
    });
  });

  it('refuses a cache or retry range on a non-idempotent route, at its line and column', async () => {
    const example = await readFile(EXAMPLE, 'utf8');
    const text = example.replace(
      '          concurrencyLimit: { min: 8, max: 64 }',
      '          cacheTtl: { min: 1s, max: 5s }\n          retryAttempts: { min: 1, max: 2 }',
    );
    const errors = errorsOf(text);
    expect(errors).toEqual([
      expect.objectContaining({ line: lineOf(text, /cacheTtl: \{ min: 1s, max: 5s \}/), message: expect.stringMatching(/never cached/) }),
      expect.objectContaining({
        line: lineOf(text, /retryAttempts: \{ min: 1, max: 2 \}/),
        message: expect.stringMatching(/never retried/),
      }),
    ]);
    expect(errors[0]!.column).toBeGreaterThan(0);
  });

  it('refuses an inverted knob range, a TTL beyond the staleness allowed, and an optimize loop without its section', async () => {
    const example = await readFile(EXAMPLE, 'utf8');
    expect(errorsOf(example.replace('concurrencyLimit: { min: 16, max: 200 }', 'concurrencyLimit: { min: 300, max: 200 }'))).toEqual([
      expect.objectContaining({ path: 'spec.optimize.routes.catalog.knobs.concurrencyLimit.min', message: 'min must not be above max' }),
    ]);
    expect(errorsOf(example.replace('cacheTtl: { min: 500ms, max: 2s }', 'cacheTtl: { min: 500ms, max: 5s }'))).toEqual([
      expect.objectContaining({ path: 'spec.optimize.routes.pricing.knobs.cacheTtl.max', message: 'must not exceed maxStaleness (2s)' }),
    ]);
    expect(errorsOf(example.replace('  kind: optimize\n', ''))).toEqual([
      expect.objectContaining({ path: 'spec.optimize', message: expect.stringMatching(/only an optimize loop has one/) }),
    ]);
  });

  describe('with the intent it names', () => {
    const INTENT = join(__dirname, '../../../../examples/gateway/intent/demo.intent.yaml');

    it("takes each route's upstream, idempotency, staleness and SLO from the intent, relative to the loop file", async () => {
      const text = await readFile(EXAMPLE, 'utf8');
      expect(text).not.toMatch(/idempotent:/);
      const result = parseLoopSpec(text, EXAMPLE);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      expect(result.spec.spec.optimize?.routes).toMatchObject({
        catalog: { upstream: 'catalog', idempotent: true, maxStaleness: '30s', slo: { p99: '250ms', errorRatio: 0.01 } },
        pricing: { upstream: 'pricing', idempotent: true, maxStaleness: '2s', slo: { p99: '300ms', errorRatio: 0.01 } },
        orders: { upstream: 'orders', idempotent: false, maxStaleness: '0s', slo: { p99: '500ms', errorRatio: 0.001 } },
      });
    });

    it("refuses a fact that contradicts the intent, at the loop's line, naming where the intent says otherwise", async () => {
      const example = await readFile(EXAMPLE, 'utf8');
      const text = example.replace('      orders:\n        knobs:', '      orders:\n        idempotent: true\n        knobs:');
      const intentText = await readFile(INTENT, 'utf8');
      const intentLine =
        intentText
          .split('\n')
          .findIndex((l, i, all) => /idempotent: false/.test(l) && all.slice(0, i).some((p) => /^ {4}orders:/.test(p))) + 1;
      expect(errorsOf(text)).toEqual([
        {
          line: lineOf(text, /idempotent: true/),
          column: 21,
          path: 'spec.optimize.routes.orders.idempotent',
          message: `contradicts the intent: false at ${INTENT}:${intentLine}:19`,
        },
      ]);
      // Stated and equal is fine.
      expect(
        errorsOf(example.replace('      orders:\n        knobs:', '      orders:\n        idempotent: false\n        knobs:')),
      ).toEqual([]);
    });

    it('refuses a drainReplicas maximum that would drain every replica the intent gives the upstream, and one below 1', async () => {
      const example = await readFile(EXAMPLE, 'utf8');
      const text = example.replace('drainReplicas: { max: 1 }', 'drainReplicas: { max: 3 }');
      expect(errorsOf(text)).toEqual([
        expect.objectContaining({
          path: 'spec.optimize.routes.catalog.knobs.drainReplicas.max',
          line: lineOf(text, /drainReplicas: \{ max: 3 \}/),
          message: expect.stringMatching(/below the 3 replica\(s\) of upstream catalog/),
        }),
      ]);
      expect(errorsOf(example.replace('drainReplicas: { max: 1 }', 'drainReplicas: { max: 0 }'))).toEqual([
        expect.objectContaining({ path: 'spec.optimize.routes.catalog.knobs.drainReplicas.max' }),
      ]);
    });

    it("keeps the loop's own checks on the completed routes: a non-idempotent route of the intent is never cached", async () => {
      const example = await readFile(EXAMPLE, 'utf8');
      const text = example.replace('          concurrencyLimit: { min: 8, max: 64 }', '          cacheTtl: { min: 1s, max: 5s }');
      expect(errorsOf(text)).toEqual([
        expect.objectContaining({ path: 'spec.optimize.routes.orders.knobs.cacheTtl', message: expect.stringMatching(/never cached/) }),
      ]);
    });

    it("refuses a route the intent does not have, an unreadable intent, and an invalid one at the intent's own line", async () => {
      const example = await readFile(EXAMPLE, 'utf8');
      const unknown = example.replace('      orders:\n', '      invoices:\n');
      expect(errorsOf(unknown)).toEqual([
        expect.objectContaining({
          line: lineOf(unknown, /^ {6}invoices:/),
          path: 'spec.optimize.routes.invoices',
          message: expect.stringMatching(
            /route "invoices" is not in the intent .*demo\.intent\.yaml \(its routes: catalog, pricing, orders\)/,
          ),
        }),
      ]);
      const missing = example.replace('intent: ../intent/demo.intent.yaml', 'intent: ../intent/absent.yaml');
      expect(errorsOf(missing)).toEqual([
        expect.objectContaining({
          line: lineOf(missing, /intent: \.\.\/intent\/absent\.yaml/),
          path: 'spec.optimize.intent',
          message: expect.stringMatching(/^cannot read the intent .*absent\.yaml: ENOENT/),
        }),
      ]);

      // validate reports the intent's own error in the intent file, with its line and column.
      const dir = mkdtempSync(join(tmpdir(), 'loop-intent-'));
      const badIntent = (await readFile(INTENT, 'utf8')).replace('errorRatio: 0.001', 'errorRatio: 3');
      writeFileSync(join(dir, 'platform.intent.yaml'), badIntent);
      writeFileSync(join(dir, 'loop.yaml'), example.replace('intent: ../intent/demo.intent.yaml', 'intent: platform.intent.yaml'));
      const [result] = await validateLoopFiles([join(dir, 'loop.yaml')]);
      expect(result?.errors).toEqual([
        {
          file: join(dir, 'platform.intent.yaml'),
          line: lineOf(badIntent, /errorRatio: 3/),
          column: 21,
          path: 'spec.routes.orders.slo.errorRatio',
          message: expect.stringMatching(/1/),
        },
      ]);

      // A loops directory may hold the intent its loops name: it is read through them, not as a loop.
      writeFileSync(join(dir, 'platform.intent.yaml'), await readFile(INTENT, 'utf8'));
      const loops = await loadLoopSpecs(dir);
      expect(loops.map((l) => [l.metadata.name, l.spec.optimize?.routes['orders']?.idempotent])).toEqual([['gateway-optimize', false]]);
    });
  });
});

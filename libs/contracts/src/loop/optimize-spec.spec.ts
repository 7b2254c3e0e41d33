import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLoopSpec } from './loop-spec.parser';

const EXAMPLE = join(__dirname, '../../../../examples/gateway/loops/gateway-optimize.yaml');

const errorsOf = (text: string) => {
  const result = parseLoopSpec(text, 'gateway-optimize.yaml');
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
    const result = parseLoopSpec(await readFile(EXAMPLE, 'utf8'));
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
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from './duration';
import { formatSpecError, loadLoopSpecs, LoopSpecError, parseLoopSpec, validateLoopFiles, type SpecError } from './loop-spec.parser';
import { needsApproval } from './loop-spec.schema';

const FIXTURE = join(__dirname, '..', 'testing', 'fixtures', 'valid-loop.yaml');

/** A small valid spec; tests edit single lines, so line numbers below refer to this text. */
const MINIMAL = `apiVersion: homeostat.dev/v1
kind: Loop
metadata:
  name: shop-pool
  version: 3
spec:
  target:
    service: shop
  signals:
    - kind: metric
      name: db.client.connections.usage
  actions:
    - name: recycle-pool
      adapter: http
      params:
        url: http://shop:3000/actuator/pool/recycle
      risk: low
    - name: restart
      adapter: http
      risk: high
  guardrails:
    budget:
      maxActions: 3
      window: 10m
    cooldown: 2m
    blastRadius:
      maxConcurrent: 1
    circuitBreaker:
      consecutiveFailures: 3
    approval:
      aboveRisk: medium
    dryRun: false
  verification:
    healthCheck:
      url: http://shop:3000/health
    deadline: 1m
`;

/** Replaces the text of 1-based line `n` (the line must exist). */
function withLine(n: number, text: string | null, source = MINIMAL): string {
  const lines = source.split('\n');
  expect(lines[n - 1]).toBeDefined();
  if (text === null) lines.splice(n - 1, 1);
  else lines[n - 1] = text;
  return lines.join('\n');
}

function errorsOf(text: string): Omit<SpecError, 'file'>[] {
  const result = parseLoopSpec(text, 'loop.yaml');
  if (result.ok) throw new Error('expected spec errors');
  return result.errors.map(({ line, column, path, message }) => ({ line, column, path, message }));
}

describe('parseLoopSpec', () => {
  it('parses the example loop with its defaults', async () => {
    const result = parseLoopSpec(await readFile(FIXTURE, 'utf8'), FIXTURE);
    if (!result.ok) throw new Error(result.errors.map(formatSpecError).join('\n'));
    const { spec, metadata } = result.spec;
    expect(metadata).toMatchObject({ name: 'shop-pool-exhaustion', version: '1.2.0' });
    expect(spec.actions.map((a) => a.name)).toEqual([
      'recycle-pool',
      'raise-concurrency-limit',
      'restart',
      'rollback-config',
      'tune-cache',
    ]);
    expect(spec.actions[1]?.inverse).toEqual({
      adapter: 'http',
      params: { method: 'POST', url: 'http://shop:3000/actuator/config/rollback' },
    });
    expect(spec.guardrails.budget.perTarget).toBe(true);
    expect(spec.verification.healthCheck).toEqual({ url: 'http://shop:3000/health', expectStatus: 200, consecutive: 3, interval: '5s' });
  });

  it('accepts an integer version and keeps it as a string', () => {
    const result = parseLoopSpec(MINIMAL);
    if (!result.ok) throw new Error(result.errors.map(formatSpecError).join('\n'));
    expect(result.spec.metadata.version).toBe('3');
    expect(result.spec.spec.actions[1]?.params).toEqual({});
  });

  it('reports a wrong enum value at its line and column', () => {
    expect(errorsOf(withLine(20, '      risk: extreme'))).toEqual([
      { line: 20, column: 13, path: 'spec.actions[1].risk', message: expect.stringContaining('"low"|"medium"|"high"|"critical"') },
    ]);
  });

  it('reports a missing required field at the line of its parent mapping', () => {
    expect(errorsOf(withLine(25, null))).toEqual([
      { line: 21, column: 3, path: 'spec.guardrails.cooldown', message: 'required field is missing' },
    ]);
  });

  it('reports a missing field of a list item at the item', () => {
    expect(errorsOf(withLine(20, null))).toEqual([
      { line: 18, column: 7, path: 'spec.actions[1].risk', message: 'required field is missing' },
    ]);
  });

  it('reports an unknown key at the key', () => {
    expect(errorsOf(withLine(27, null, withLine(26, '    blastRadius: { maxConcurrent: 1, maxTotal: 4 }')))).toEqual([
      { line: 26, column: 38, path: 'spec.guardrails.blastRadius.maxTotal', message: 'unknown field' },
    ]);
    expect(errorsOf(withLine(2, 'kind: Loop\nstatus: active'))).toEqual([{ line: 3, column: 1, path: 'status', message: 'unknown field' }]);
  });

  it('reports a bad duration', () => {
    expect(errorsOf(withLine(24, '      window: 10 minutes'))).toEqual([
      { line: 24, column: 15, path: 'spec.guardrails.budget.window', message: expect.stringContaining('must be a duration') },
    ]);
    expect(errorsOf(withLine(25, '    cooldown: 120'))[0]).toMatchObject({ line: 25, path: 'spec.guardrails.cooldown' });
  });

  it('reports duplicate action names at the second one', () => {
    expect(errorsOf(withLine(18, '    - name: recycle-pool'))).toEqual([
      { line: 18, column: 13, path: 'spec.actions[1].name', message: 'duplicate action name "recycle-pool" (first at actions[0])' },
    ]);
  });

  it('reads what an action addresses, and leaves it out where a spec does not say', () => {
    const result = parseLoopSpec(withLine(17, '      risk: low\n      addresses: [db-pool, process]'), 'loop.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatSpecError).join('\n'));
    expect(result.spec.spec.actions.map((a) => a.addresses)).toEqual([['db-pool', 'process'], undefined]);
  });

  it('reports a component outside the vocabulary at its line and column, naming the ones there are', () => {
    expect(errorsOf(withLine(17, '      risk: low\n      addresses: [db-pool, db_pool]'))).toEqual([
      {
        line: 18,
        column: 28,
        path: 'spec.actions[0].addresses[1]',
        message: expect.stringContaining('"db-pool"|"database"|"downstream"|"retry-policy"|"config-change"|"process"'),
      },
    ]);
  });

  it('reports an empty or repeating list of components', () => {
    expect(errorsOf(withLine(17, '      risk: low\n      addresses: []'))).toEqual([
      { line: 18, column: 18, path: 'spec.actions[0].addresses', message: 'must name at least one component, or be left out' },
    ]);
    expect(errorsOf(withLine(17, '      risk: low\n      addresses: [downstream, downstream]'))).toEqual([
      { line: 18, column: 18, path: 'spec.actions[0].addresses', message: 'names a component twice' },
    ]);
  });

  it('reports an inverse that references a missing action', () => {
    expect(errorsOf(withLine(17, '      risk: low\n      inverse: undo-recycle'))).toEqual([
      { line: 18, column: 16, path: 'spec.actions[0].inverse', message: 'references unknown action "undo-recycle"' },
    ]);
  });

  it('accepts an inverse that names another action', () => {
    expect(parseLoopSpec(withLine(20, '      risk: high\n      inverse: recycle-pool')).ok).toBe(true);
  });

  it('reports a bad signal kind', () => {
    expect(errorsOf(withLine(10, '    - kind: trace'))).toEqual([
      { line: 10, column: 13, path: 'spec.signals[0].kind', message: expect.stringContaining("'metric' | 'log' | 'span' | 'build'") },
    ]);
  });

  it('reports a verification deadline shorter than the health check needs', () => {
    expect(errorsOf(withLine(36, '    deadline: 10s'))).toEqual([
      { line: 36, column: 15, path: 'spec.verification.deadline', message: 'is shorter than the 3 x 5s the health check needs' },
    ]);
  });

  it('reports a YAML syntax error with its position', () => {
    const errors = errorsOf(withLine(11, '      name: [db.client.connections.usage'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 12, path: '' });
  });

  it('reports a duplicate YAML key', () => {
    expect(errorsOf(withLine(8, '    service: shop\n    service: cart'))[0]).toMatchObject({ line: 9, column: 5, path: '' });
  });

  it('allows one loop per file', () => {
    expect(errorsOf(`${MINIMAL}---\n${MINIMAL}`)).toEqual([
      { line: 37, column: 1, path: '', message: 'one loop per file: found 2 YAML documents' },
    ]);
  });

  it('rejects an empty file and a wrong kind', () => {
    expect(errorsOf('')).toEqual([{ line: 1, column: 1, path: '', message: 'empty file: expected one Loop document' }]);
    expect(errorsOf(withLine(2, 'kind: Policy'))).toEqual([{ line: 2, column: 7, path: 'kind', message: expect.any(String) }]);
  });
});

describe('formatSpecError', () => {
  it('prints file:line:column, path and message', () => {
    expect(formatSpecError({ file: 'loops/shop.yaml', line: 4, column: 9, path: 'spec.cooldown', message: 'bad' })).toBe(
      'loops/shop.yaml:4:9  spec.cooldown  bad',
    );
  });
});

describe('loop files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homeostat-loops-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validateLoopFiles reports a missing file as an error result', async () => {
    const good = join(dir, 'good.yaml');
    await writeFile(good, MINIMAL);
    const results = await validateLoopFiles([good, join(dir, 'missing.yaml')]);
    expect(results[0]).toMatchObject({ file: good, ok: true, errors: [] });
    expect(results[0]?.spec?.metadata.name).toBe('shop-pool');
    expect(results[1]).toMatchObject({ ok: false, errors: [{ line: 0, path: '', message: expect.stringContaining('cannot read file') }] });
  });

  it('validateLoopFiles rejects two files declaring the same loop', async () => {
    await writeFile(join(dir, 'a.yaml'), MINIMAL);
    await writeFile(join(dir, 'b.yml'), MINIMAL);
    const results = await validateLoopFiles([join(dir, 'a.yaml'), join(dir, 'b.yml')]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]?.errors).toEqual([
      {
        file: join(dir, 'b.yml'),
        line: 4,
        column: 9,
        path: 'metadata.name',
        message: `loop "shop-pool" is already declared in ${join(dir, 'a.yaml')}`,
      },
    ]);
  });

  it('loadLoopSpecs reads every yaml file in a directory', async () => {
    await writeFile(join(dir, 'a.yaml'), MINIMAL);
    await writeFile(join(dir, 'b.yml'), withLine(4, '  name: other-loop'));
    await writeFile(join(dir, 'notes.txt'), 'not a loop');
    const specs = await loadLoopSpecs(dir);
    expect(specs.map((s) => s.metadata.name)).toEqual(['shop-pool', 'other-loop']);
  });

  it('loadLoopSpecs throws one error listing every problem', async () => {
    await writeFile(join(dir, 'a.yaml'), withLine(20, '      risk: extreme'));
    await writeFile(join(dir, 'b.yaml'), withLine(25, null, withLine(4, '  name: other-loop')));
    const error = await loadLoopSpecs(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoopSpecError);
    const { errors, message, code } = error as LoopSpecError;
    expect(code).toBe('LOOP_SPEC_INVALID');
    expect(errors.map((e) => `${e.line} ${e.path}`)).toEqual(['20 spec.actions[1].risk', '21 spec.guardrails.cooldown']);
    expect(message).toContain(`${join(dir, 'a.yaml')}:20:13  spec.actions[1].risk`);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '1.5s', '5 m', '-1s', '3w'])('rejects %p', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});

describe('needsApproval', () => {
  it('asks a person only above the threshold', () => {
    expect(needsApproval('medium', 'medium')).toBe(false);
    expect(needsApproval('high', 'medium')).toBe(true);
    expect(needsApproval('critical', 'never')).toBe(false);
  });
});

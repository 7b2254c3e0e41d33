import { spanSchema, spansBatchSchema, type Span } from './telemetry.schema';
import { checkSpansBatch, satisfiesSpanContract } from './span-check';

const valid: Span = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  parentSpanId: '00f067aa0ba902b8',
  traceState: 'k=v',
  name: 'GET /cart',
  kind: 'server',
  startTimeUnixNano: '1700000000000000000',
  endTimeUnixNano: '1700000000250000000',
  attributes: { 'http.route': '/cart', 'http.response.status_code': 200, 'cache.hit': true, flags: ['a', 'b'] },
  status: { code: 'error', message: 'boom' },
  events: [{ timeUnixNano: '1700000000100000000', name: 'exception', attributes: { 'exception.type': 'Error' } }],
  links: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4737', spanId: '00f067aa0ba902b9', attributes: {} }],
};

/** Each field of the span broken in the ways the contract refuses (and a few it accepts). */
function variants(): [string, unknown][] {
  const out: [string, unknown][] = [];
  const set = (label: string, patch: (s: Record<string, unknown>) => void): void => {
    const copy = structuredClone(valid) as unknown as Record<string, unknown>;
    patch(copy);
    out.push([label, copy]);
  };
  for (const [field, values] of Object.entries({
    traceId: ['', '0'.repeat(32), 'A'.repeat(32), 'g'.repeat(32), 'a'.repeat(31), 42, undefined],
    spanId: ['', '0'.repeat(16), 'F'.repeat(16), 'a'.repeat(17), null],
    parentSpanId: ['0'.repeat(16), 'x', undefined],
    traceState: [1, undefined, ''],
    name: ['', 1, undefined],
    kind: ['SERVER', 2, undefined],
    startTimeUnixNano: ['-1', '1.5', '1'.repeat(21), 1700000000000000000, '1700000000300000000'],
    endTimeUnixNano: ['', '99', '00001700000000250000000', '1700000000250000000 '],
    attributes: [null, [], { a: null }, { a: {} }, { a: [1] }, { a: Infinity }, { a: NaN }, { a: [] }, { '': 'x' }],
    status: [{}, { code: 'ERROR' }, { code: 'ok', extra: 1 }, { code: 'ok', message: 3 }, null],
    events: [null, [{}], [{ timeUnixNano: '1', name: '', attributes: {} }], [{ timeUnixNano: 'x', name: 'e', attributes: {} }]],
    links: [
      null,
      [{ traceId: valid.traceId, spanId: '0'.repeat(16), attributes: {} }],
      [{ traceId: valid.traceId, spanId: valid.spanId }],
      undefined,
    ],
  }))
    for (const v of values as unknown[]) set(`${field} = ${JSON.stringify(v) ?? String(v)}`, (s) => (s[field] = v));
  set('an unknown key', (s) => (s['droppedAttributesCount'] = 0));
  set('parentSpanId absent', (s) => delete s['parentSpanId']);
  set('links absent', (s) => delete s['links']);
  set('an event with an unknown key', (s) => ((s['events'] as Record<string, unknown>[])[0]!['x'] = 1));
  set('a link with an unknown key', (s) => ((s['links'] as Record<string, unknown>[])[0]!['x'] = 1));
  set('start after end (16+ digits)', (s) => (s['startTimeUnixNano'] = '1700000000250000001'));
  set('start after end (short)', (s) => ((s['startTimeUnixNano'] = '20'), (s['endTimeUnixNano'] = '19')));
  set('start equal to end', (s) => (s['startTimeUnixNano'] = s['endTimeUnixNano']));
  return out;
}

describe('satisfiesSpanContract', () => {
  it('passes a valid span, so zod is off the common path (libs/otlp checks the spans it maps pass too)', () => {
    expect(satisfiesSpanContract(valid)).toBe(true);
  });

  it.each(variants())('never passes what spanSchema refuses: %s', (_label, span) => {
    const fast = satisfiesSpanContract(span as Span);
    const zod = spanSchema.safeParse(span).success;
    if (fast) expect(zod).toBe(true);
  });
});

describe('checkSpansBatch', () => {
  const batch = { resource: { attributes: { 'service.name': 'shop' } }, scope: { name: 'http' }, spans: [valid] };

  it('gives what spansBatchSchema gives for a valid batch', () => {
    expect(checkSpansBatch(batch)).toEqual(spansBatchSchema.safeParse(batch));
  });

  it.each([
    ['no spans', { ...batch, spans: [] }],
    ['an invalid span', { ...batch, spans: [valid, { ...valid, name: '' }] }],
    ['an unknown key', { ...batch, extra: 1 }],
    ['a resource with an unknown key', { ...batch, resource: { attributes: {}, x: 1 } }],
    ['no scope', { resource: batch.resource, spans: [valid] }],
    ['not an object', 'spans'],
  ])('refuses what spansBatchSchema refuses, with its reason: %s', (_label, value) => {
    const fast = checkSpansBatch(value);
    const zod = spansBatchSchema.safeParse(value);
    expect(fast.success).toBe(false);
    expect(zod.success).toBe(false);
    expect(fast.error?.issues.map((i) => i.path.join('.'))).toEqual(zod.error?.issues.map((i) => i.path.join('.')));
  });
});

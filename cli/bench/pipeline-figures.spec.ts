import { catchUpSeconds, counterValue, libraryOf, storedAt, summarizeProfile, threadGroup, type CpuProfile } from './pipeline-figures';

const TEXT = [
  '# HELP homeostat_telemetry_items_stored_total Telemetry rows the learner inserted into ClickHouse, per signal.',
  '# TYPE homeostat_telemetry_items_stored_total counter',
  'homeostat_telemetry_items_stored_total{signal="spans"} 12300',
  'homeostat_telemetry_items_stored_total{signal="metrics"} 45',
  'homeostat_telemetry_items_stored_total_extra{signal="spans"} 999',
  'homeostat_store_insert_batch_rows_bucket{le="10",table="otel_traces"} 3',
  'homeostat_collector_requests_total{signal="spans",encoding="json",code="200"} 10',
  'homeostat_collector_requests_total{signal="spans",encoding="json",code="429"} 4',
  'process_resident_memory_bytes 1.5e8',
].join('\n');

describe('counterValue', () => {
  it('reads the sample whose labels match, ignoring metrics whose name only starts with it', () => {
    expect(counterValue(TEXT, 'homeostat_telemetry_items_stored_total', { signal: 'spans' })).toBe(12300);
    expect(counterValue(TEXT, 'homeostat_telemetry_items_stored_total', { signal: 'metrics' })).toBe(45);
  });

  it('sums the series that match a subset of their labels, and reads unlabelled samples', () => {
    expect(counterValue(TEXT, 'homeostat_collector_requests_total', { signal: 'spans' })).toBe(14);
    expect(counterValue(TEXT, 'homeostat_collector_requests_total', { code: '429' })).toBe(4);
    expect(counterValue(TEXT, 'process_resident_memory_bytes')).toBe(1.5e8);
  });

  it('is undefined when no series matches', () => {
    expect(counterValue(TEXT, 'homeostat_telemetry_items_stored_total', { signal: 'logs' })).toBeUndefined();
    expect(counterValue('', 'homeostat_telemetry_items_stored_total')).toBeUndefined();
  });

  it('unescapes label values', () => {
    expect(counterValue('m{path="a\\"b"} 2', 'm', { path: 'a"b' })).toBe(2);
  });
});

describe('catchUpSeconds and storedAt', () => {
  const samples = [
    { atMs: 1000, stored: 0 },
    { atMs: 2000, stored: 500 },
    { atMs: 3000, stored: 900 },
    { atMs: 4500, stored: 1000 },
  ];

  it('is the time from the end of the load to the first sample that reached the target', () => {
    expect(catchUpSeconds(samples, 1000, 2500)).toBe(2);
    expect(catchUpSeconds(samples, 900, 2500)).toBe(0.5);
  });

  it('is 0 when stored had reached the target before the load ended, undefined when never', () => {
    expect(catchUpSeconds(samples, 500, 2500)).toBe(0);
    expect(catchUpSeconds(samples, 1001, 2500)).toBeUndefined();
  });

  it('storedAt is the last sample at or before the time', () => {
    expect(storedAt(samples, 2999)).toBe(500);
    expect(storedAt(samples, 3000)).toBe(900);
    expect(storedAt(samples, 0)).toBe(0);
  });
});

describe('threadGroup', () => {
  it("tells the main thread, node's other threads and ClickHouse's apart", () => {
    expect(threadGroup('node', true)).toBe('js-main');
    expect(threadGroup('node', false)).toBe('node-workers');
    expect(threadGroup('V8 DefaultWorke', false)).toBe('node-workers');
    expect(threadGroup('MergeMutate', false)).toBe('clickhouse');
    expect(threadGroup('ThreadPool', false)).toBe('clickhouse');
  });
});

describe('summarizeProfile', () => {
  const repo = 'file:///work/repo';
  // root → collector handler → JSON.parse (native) ; root → collector handler → zod parse ; root → (garbage collector)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 5, 6] },
      {
        id: 2,
        callFrame: { functionName: 'handle', url: `${repo}/services/collector/src/otlp.controller.ts`, lineNumber: 9 },
        children: [3, 4],
      },
      { id: 3, callFrame: { functionName: 'parse', url: '', lineNumber: -1 } },
      { id: 4, callFrame: { functionName: 'safeParse', url: `${repo}/node_modules/zod/v4/core/parse.js`, lineNumber: 0 } },
      { id: 5, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      { id: 6, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    ],
    samples: [3, 3, 4, 6, 2, 5],
    timeDeltas: [1000, 1000, 1000, 7000, 500, 500],
  };

  it('charges self time to its library and to the nearest calling stage of the repo, idle time apart', () => {
    const s = summarizeProfile(profile);
    expect(s.totalMs).toBe(4);
    expect(s.idleMs).toBe(7);
    expect(s.byLibrary).toEqual([
      { name: '(native)', ms: 2, share: 0.5 },
      { name: 'zod', ms: 1, share: 0.25 },
      { name: 'services/collector', ms: 0.5, share: 0.125 },
      { name: '(garbage collector)', ms: 0.5, share: 0.125 },
    ]);
    expect(s.byStage).toEqual([
      { name: 'services/collector', ms: 3.5, share: 0.875 },
      { name: '(garbage collector)', ms: 0.5, share: 0.125 },
    ]);
    expect(s.top[0]).toEqual({ fn: 'parse', where: '(native)', ms: 2, share: 0.5 });
    expect(s.top[1]?.where).toBe('zod/v4/core/parse.js:1');
  });

  it('libraryOf names scoped packages, repo projects and node internals', () => {
    expect(libraryOf('file:///x/node_modules/@clickhouse/client-common/dist/a.js', 'f')).toBe('@clickhouse/client-common');
    expect(libraryOf('file:///x/libs/otlp/src/traces.ts', 'f')).toBe('libs/otlp');
    expect(libraryOf('node:internal/streams/readable', 'f')).toBe('node:internal');
    expect(libraryOf('', '(program)')).toBe('(program)');
  });
});

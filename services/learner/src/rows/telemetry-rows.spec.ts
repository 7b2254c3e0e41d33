import { BUILD_LOG_INLINE_MAX_BYTES, telemetryRows } from './telemetry-rows';
import { attributeValueToString, isoToUnixNanos, plainDecimal, traceContextOf } from './row-values';
import {
  buildEvent,
  incidentOpened,
  logsEvent,
  metricsEvent,
  spansEvent,
  SPAN_ID,
  TRACE_ID,
  TRACEPARENT,
  event,
} from './testing/sample-events';

const noExemplars = {
  'Exemplars.FilteredAttributes': [],
  'Exemplars.TimeUnix': [],
  'Exemplars.Value': [],
  'Exemplars.SpanId': [],
  'Exemplars.TraceId': [],
};

describe('telemetryRows', () => {
  describe('spans → otel_traces', () => {
    it('writes one row per span in the exporter layout, nanoseconds kept', () => {
      const groups = telemetryRows(spansEvent());
      expect(groups.map((g) => g.table)).toEqual(['otel_traces']);
      const [first, second] = groups[0]?.rows ?? [];
      expect(first).toEqual({
        Timestamp: '2025-01-01 10:00:00.123456789',
        TraceId: TRACE_ID,
        SpanId: SPAN_ID,
        ParentSpanId: '',
        TraceState: 'vendor=1',
        SpanName: 'GET /checkout',
        SpanKind: 'Server',
        ServiceName: 'shop',
        ResourceAttributes: { 'service.name': 'shop', 'host.name': 'shop-1', 'process.pid': '4242' },
        ScopeName: '@opentelemetry/instrumentation-http',
        ScopeVersion: '0.57.0',
        SpanAttributes: {
          'http.route': '/checkout',
          'http.response.status_code': '503',
          'http.server.duration': '0.25',
          'error.flag': 'true',
          'http.request.header.accept': '["application/json","text/html"]',
          'tiny.number': '0.0000001',
        },
        Duration: '250000001',
        StatusCode: 'Error',
        StatusMessage: 'pool exhausted',
        'Events.Timestamp': ['2025-01-01 10:00:00.200000001', '2025-01-01 10:00:00.300000002'],
        'Events.Name': ['exception', 'retry'],
        'Events.Attributes': [{ 'exception.type': 'PoolTimeout', attempt: '3' }, {}],
        'Links.TraceId': ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
        'Links.SpanId': ['bbbbbbbbbbbbbbbb'],
        'Links.TraceState': [''],
        'Links.Attributes': [{ 'link.kind': 'follows' }],
      });
      expect(second).toMatchObject({
        Timestamp: '2025-01-01 10:00:00.130000000',
        ParentSpanId: SPAN_ID,
        SpanKind: 'Client',
        StatusCode: 'Unset',
        StatusMessage: '',
        Duration: '0',
        'Events.Timestamp': [],
        'Links.TraceId': [],
        'Links.Attributes': [],
      });
    });

    it('maps every span kind and status code to pdata String()', () => {
      const kinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
      const codes = ['unset', 'ok', 'error'] as const;
      const base = spansEvent().data;
      const template = base.spans[1];
      if (!template) throw new Error('fixture has two spans');
      const spans = kinds.map((kind, i) => ({ ...template, kind, status: { code: codes[i % 3] ?? 'unset' } }));
      const rows = telemetryRows(event('homeostat.telemetry.spans.v1', { ...base, spans }))[0]?.rows ?? [];
      expect(rows.map((r) => [r['SpanKind'], r['StatusCode']])).toEqual([
        ['Unspecified', 'Unset'],
        ['Internal', 'Ok'],
        ['Server', 'Error'],
        ['Client', 'Unset'],
        ['Producer', 'Ok'],
        ['Consumer', 'Error'],
      ]);
    });

    it('falls back to the envelope subject when the resource has no service.name', () => {
      const base = spansEvent().data;
      const rows = telemetryRows(
        event('homeostat.telemetry.spans.v1', { ...base, resource: { attributes: { 'host.name': 'x' } } }, { subject: 'payments' }),
      )[0]?.rows;
      expect(rows?.[0]?.['ServiceName']).toBe('payments');
    });

    it('computes Duration with BigInt beyond 2^53 ns', () => {
      const base = spansEvent().data;
      const template = base.spans[1];
      if (!template) throw new Error('fixture has two spans');
      const span = { ...template, startTimeUnixNano: '1', endTimeUnixNano: '9007199254740993001' };
      const rows = telemetryRows(event('homeostat.telemetry.spans.v1', { ...base, spans: [span] }))[0]?.rows;
      expect(rows?.[0]?.['Duration']).toBe('9007199254740993000');
      expect(rows?.[0]?.['Timestamp']).toBe('1970-01-01 00:00:00.000000001');
    });
  });

  describe('logs → otel_logs', () => {
    it('writes one row per record, with the observed time when the record has none', () => {
      const groups = telemetryRows(logsEvent());
      expect(groups.map((g) => g.table)).toEqual(['otel_logs']);
      expect(groups[0]?.rows).toEqual([
        {
          Timestamp: '2025-01-01 10:00:00.123456789',
          TraceId: TRACE_ID,
          SpanId: SPAN_ID,
          TraceFlags: 1,
          SeverityText: 'ERROR',
          SeverityNumber: 17,
          ServiceName: 'shop',
          Body: 'timeout acquiring connection after 5000 ms',
          ResourceSchemaUrl: '',
          ResourceAttributes: { 'service.name': 'shop' },
          ScopeSchemaUrl: '',
          ScopeName: 'pino',
          ScopeVersion: '9.5.0',
          ScopeAttributes: { 'logger.name': 'db' },
          LogAttributes: { 'pool.size': '10', 'code.function': 'acquire' },
          EventName: '',
        },
        {
          Timestamp: '2025-01-01 10:00:01.000000007',
          TraceId: '',
          SpanId: '',
          TraceFlags: 0,
          SeverityText: '',
          SeverityNumber: 9,
          ServiceName: 'shop',
          Body: 'pool recycled',
          ResourceSchemaUrl: '',
          ResourceAttributes: { 'service.name': 'shop' },
          ScopeSchemaUrl: '',
          ScopeName: 'pino',
          ScopeVersion: '9.5.0',
          ScopeAttributes: { 'logger.name': 'db' },
          LogAttributes: {},
          EventName: '',
        },
      ]);
    });
  });

  describe('build reported → otel_logs', () => {
    it('writes one summary line under the repository, with the build as attributes', () => {
      const groups = telemetryRows(buildEvent('FAIL src/cart.spec.ts\n  expected 2, got 3\n'));
      expect(groups.map((g) => g.table)).toEqual(['otel_logs']);
      expect(groups[0]?.rows).toEqual([
        {
          Timestamp: '2025-01-01 10:00:01.500000000',
          TraceId: TRACE_ID,
          SpanId: SPAN_ID,
          TraceFlags: 1,
          SeverityText: 'ERROR',
          SeverityNumber: 17,
          ServiceName: 'acme/shop',
          Body: 'build failed: ci/unit-tests @ 9fceb02d0ae598e95dc970b74767f19372d61af8',
          ResourceSchemaUrl: '',
          ResourceAttributes: { 'service.name': 'acme/shop' },
          ScopeSchemaUrl: '',
          ScopeName: 'collector',
          ScopeVersion: '',
          ScopeAttributes: {},
          LogAttributes: {
            'homeostat.event.type': 'homeostat.build.reported.v1',
            'build.repository': 'acme/shop',
            'build.commit': '9fceb02d0ae598e95dc970b74767f19372d61af8',
            'build.branch': 'main',
            'build.pipeline': 'ci',
            'build.job': 'unit-tests',
            'build.status': 'failed',
            'build.run_id': '812',
            'build.attempt': '2',
            'build.duration_ms': '121500',
            'build.started_at': '2025-01-01T09:58:00Z',
            'build.finished_at': '2025-01-01T10:00:01.5Z',
            'build.url': 'https://ci.example.com/acme/shop/812',
            'build.pull_request.number': '57',
            'build.pull_request.url': 'https://git.example.com/acme/shop/pull/57',
            'build.log.bytes': '42',
            'build.log': 'FAIL src/cart.spec.ts\n  expected 2, got 3\n',
          },
          EventName: 'homeostat.build.reported.v1',
        },
      ]);
    });

    it('keeps a log of up to 16 KiB (UTF-8 bytes) in the row and leaves a longer one in the event', () => {
      const fits = 'é'.repeat(BUILD_LOG_INLINE_MAX_BYTES / 2); // 2 bytes each: exactly 16 KiB
      const tooLong = `${fits}x`;
      const attrs = (log: string) => telemetryRows(buildEvent(log))[0]?.rows[0]?.['LogAttributes'] as Record<string, string>;
      expect(attrs(fits)['build.log']).toBe(fits);
      expect(attrs(tooLong)['build.log']).toBeUndefined();
      expect(attrs(tooLong)['build.log.bytes']).toBe(String(BUILD_LOG_INLINE_MAX_BYTES + 1));
      const none = telemetryRows(buildEvent())[0]?.rows[0]?.['LogAttributes'] as Record<string, string>;
      expect(Object.keys(none).filter((k) => k.startsWith('build.log'))).toEqual([]);
    });

    it('stores a passed build as INFO at the event time when it has no times of its own, without a trace when it has none', () => {
      const data = { repository: 'acme/shop', commit: 'abc', pipeline: 'ci', job: 'lint', status: 'passed' as const };
      const row = telemetryRows(event('homeostat.build.reported.v1', data, { traceparent: null }))[0]?.rows[0];
      expect(row).toMatchObject({
        Timestamp: '2025-01-01 10:00:05.250000000',
        SeverityText: 'INFO',
        SeverityNumber: 9,
        TraceId: '',
        SpanId: '',
        TraceFlags: 0,
        Body: 'build passed: ci/lint @ abc',
      });
    });
  });

  describe('metrics → otel_metrics_*', () => {
    const common = {
      ResourceAttributes: { 'service.name': 'shop' },
      ResourceSchemaUrl: '',
      ScopeName: 'shop-meter',
      ScopeVersion: '',
      ScopeAttributes: { 'meter.kind': 'app' },
      ScopeDroppedAttrCount: 0,
      ScopeSchemaUrl: '',
      ServiceName: 'shop',
      TimeUnix: '2025-01-01 10:00:00.123456789',
      Flags: 0,
    };

    it('writes each point into the table of its metric type, in the exporter layout', () => {
      const groups = telemetryRows(metricsEvent());
      const byTable = Object.fromEntries(groups.map((g) => [g.table, g.rows]));
      expect(groups.map((g) => g.table)).toEqual([
        'otel_metrics_gauge',
        'otel_metrics_sum',
        'otel_metrics_histogram',
        'otel_metrics_exponential_histogram',
        'otel_metrics_summary',
      ]);
      expect(byTable['otel_metrics_gauge']).toEqual([
        {
          ...common,
          ...noExemplars,
          MetricName: 'db.client.connections.usage',
          MetricDescription: 'connections in use',
          MetricUnit: '{connection}',
          Attributes: { state: 'used' },
          StartTimeUnix: '1970-01-01 00:00:00.000000000',
          Value: 10,
        },
      ]);
      expect(byTable['otel_metrics_sum']).toEqual([
        {
          ...common,
          ...noExemplars,
          MetricName: 'http.server.requests',
          MetricDescription: '',
          MetricUnit: '',
          Attributes: { 'http.route': '/checkout' },
          StartTimeUnix: '2025-01-01 09:50:00.000000000',
          Value: 1234,
          AggregationTemporality: 2,
          IsMonotonic: true,
        },
        expect.objectContaining({ Attributes: { 'http.route': '/health' }, Value: 7, AggregationTemporality: 2 }),
        expect.objectContaining({ MetricName: 'queue.delta', Value: -2.5, AggregationTemporality: 1, IsMonotonic: false }),
      ]);
      expect(byTable['otel_metrics_histogram']).toEqual([
        {
          ...common,
          ...noExemplars,
          MetricName: 'http.server.request.duration',
          MetricDescription: '',
          MetricUnit: 's',
          Attributes: { 'http.route': '/checkout' },
          StartTimeUnix: '2025-01-01 09:59:50.000000000',
          Count: 6,
          Sum: 3.5,
          BucketCounts: [1, 2, 3],
          ExplicitBounds: [0.1, 1],
          Min: 0.05,
          Max: 2.5,
          AggregationTemporality: 1,
        },
      ]);
      expect(byTable['otel_metrics_exponential_histogram']).toEqual([
        {
          ...common,
          ...noExemplars,
          MetricName: 'pool.wait',
          MetricDescription: '',
          MetricUnit: 'ms',
          Attributes: {},
          StartTimeUnix: '1970-01-01 00:00:00.000000000',
          Count: 9,
          Sum: 120.5,
          Scale: 3,
          ZeroCount: 1,
          PositiveOffset: -2,
          PositiveBucketCounts: [1, 0, 4],
          NegativeOffset: 1,
          NegativeBucketCounts: [3],
          Min: 0,
          Max: 0,
          AggregationTemporality: 2,
        },
      ]);
      expect(byTable['otel_metrics_summary']).toEqual([
        {
          ...common,
          MetricName: 'gc.pause',
          MetricDescription: '',
          MetricUnit: 'ms',
          Attributes: { kind: 'major' },
          StartTimeUnix: '1970-01-01 00:00:00.000000000',
          Count: 4,
          Sum: 42,
          'ValueAtQuantiles.Quantile': [0.5, 0.99],
          'ValueAtQuantiles.Value': [9, 20.5],
        },
      ]);
    });

    it('leaves out the tables a batch has no points for', () => {
      const base = metricsEvent().data;
      const gaugesOnly = { ...base, metrics: base.metrics.filter((m) => m.type === 'gauge') };
      expect(telemetryRows(event('homeostat.telemetry.metrics.v1', gaugesOnly)).map((g) => g.table)).toEqual(['otel_metrics_gauge']);
    });
  });

  it('has no rows for events that are not telemetry', () => {
    expect(telemetryRows(incidentOpened())).toEqual([]);
  });
});

describe('row values', () => {
  it('formats attribute values as pcommon AsString does', () => {
    expect(attributeValueToString('x')).toBe('x');
    expect(attributeValueToString(true)).toBe('true');
    expect(attributeValueToString(false)).toBe('false');
    expect(attributeValueToString(42)).toBe('42');
    expect(attributeValueToString(-0.5)).toBe('-0.5');
    expect(attributeValueToString([])).toBe('[]');
    expect(attributeValueToString(['a', 'b"c'])).toBe('["a","b\\"c"]');
  });

  it('writes numbers without exponent notation', () => {
    expect(plainDecimal(1e21)).toBe('1000000000000000000000');
    expect(plainDecimal(1.5e-7)).toBe('0.00000015');
    expect(plainDecimal(-2.5e22)).toBe('-25000000000000000000000');
    expect(plainDecimal(1.2345e-5)).toBe('0.000012345');
    expect(plainDecimal(123.456)).toBe('123.456');
  });

  it('reads RFC 3339 times to the nanosecond, offsets included', () => {
    expect(isoToUnixNanos('2025-01-01T10:00:00Z')).toBe(1_735_725_600_000_000_000n);
    expect(isoToUnixNanos('2025-01-01T10:00:00.123456789Z')).toBe(1_735_725_600_123_456_789n);
    expect(isoToUnixNanos('2025-01-01T11:30:00.5+01:30')).toBe(1_735_725_600_500_000_000n);
    expect(() => isoToUnixNanos('yesterday')).toThrow(RangeError);
  });

  it('reads the ids and flags of a traceparent', () => {
    expect(traceContextOf(TRACEPARENT)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 });
    expect(traceContextOf(undefined)).toBeUndefined();
    expect(traceContextOf('garbage')).toBeUndefined();
  });
});

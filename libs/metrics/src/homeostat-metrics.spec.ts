import { HomeostatMetrics } from './homeostat-metrics';
import { METRIC_NAMES, signalLabel, signalOfTopic } from './names';

/** The value of one sample in the exposition, e.g. value(text, 'x_total{signal="spans"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('HomeostatMetrics', () => {
  it('exposes the contract names, the telemetry counters at 0 before anything came in', async () => {
    const text = await new HomeostatMetrics({ defaultMetrics: false }).text();
    for (const signal of ['spans', 'metrics', 'logs']) {
      expect(value(text, `homeostat_telemetry_items_received_total{signal="${signal}"}`)).toBe(0);
      expect(value(text, `homeostat_telemetry_items_stored_total{signal="${signal}"}`)).toBe(0);
      expect(value(text, `homeostat_telemetry_items_refused_total{signal="${signal}",reason="invalid"}`)).toBe(0);
    }
    expect(text).toContain(`# TYPE ${METRIC_NAMES.itemsReceived} counter`);
    expect(text).toContain(`# TYPE ${METRIC_NAMES.busConsumerLag} gauge`);
    expect(text).toContain(`# TYPE ${METRIC_NAMES.insertDuration} histogram`);
  });

  it('adds per request by the item count, across scrapes', async () => {
    const m = new HomeostatMetrics({ defaultMetrics: false });
    m.itemsReceived('spans', 500);
    m.itemsReceived('metrics', 3);
    m.itemsRefused('spans', 'invalid', 2);
    m.itemsStored('spans', 498);
    let text = await m.text();
    expect(value(text, 'homeostat_telemetry_items_received_total{signal="spans"}')).toBe(500);
    expect(value(text, 'homeostat_telemetry_items_received_total{signal="metrics"}')).toBe(3);
    expect(value(text, 'homeostat_telemetry_items_refused_total{signal="spans",reason="invalid"}')).toBe(2);
    expect(value(text, 'homeostat_telemetry_items_stored_total{signal="spans"}')).toBe(498);
    m.itemsReceived('spans', 1);
    m.itemsReceived('spans', -5);
    m.itemsReceived('spans', Number.NaN);
    text = await m.text();
    expect(value(text, 'homeostat_telemetry_items_received_total{signal="spans"}')).toBe(501);
    // A second scrape without news reports the same totals.
    expect(value(await m.text(), 'homeostat_telemetry_items_received_total{signal="spans"}')).toBe(501);
  });

  it('counts requests and drops per label set through cells', async () => {
    const m = new HomeostatMetrics({ defaultMetrics: false });
    const ok = m.requestCell('spans', 'protobuf', 200);
    ok.add(1);
    ok.add(1);
    m.requestCell('spans', 'protobuf', 200).add(1);
    m.requestCell('logs', 'json', 429).add(1);
    m.droppedCell('metrics', 'learner').add(7);
    const text = await m.text();
    expect(value(text, 'homeostat_collector_requests_total{signal="spans",encoding="protobuf",code="200"}')).toBe(3);
    expect(value(text, 'homeostat_collector_requests_total{signal="logs",encoding="json",code="429"}')).toBe(1);
    expect(value(text, 'homeostat_telemetry_items_dropped_total{signal="metrics",stage="learner",reason="invalid"}')).toBe(7);
  });

  it('counts incidents, decisions and actions per loop from the events a stage publishes', async () => {
    const m = new HomeostatMetrics({ defaultMetrics: false });
    const action = { name: 'recycle-pool', adapter: 'http', params: {} };
    const events = [
      { type: 'homeostat.incident.opened.v1', data: { loop: 'shop' } },
      { type: 'homeostat.incident.updated.v1', data: { loop: 'shop' } },
      { type: 'homeostat.incident.resolved.v1', data: { loop: 'shop', resolution: 'recovered' } },
      { type: 'homeostat.decision.made.v1', data: { loop: 'shop', mode: 'execute' } },
      { type: 'homeostat.action.started.v1', data: { loop: 'shop', action } },
      { type: 'homeostat.outcome.recorded.v1', data: { loop: 'shop', action, status: 'rolled-back' } },
      { type: 'homeostat.knowledge.updated.v1', data: { loop: 'shop' } },
    ];
    for (const e of events) m.loopEvent(e as never);
    const text = await m.text();
    expect(value(text, 'homeostat_incidents_total{loop="shop",event="opened"}')).toBe(1);
    expect(value(text, 'homeostat_incidents_total{loop="shop",event="resolved"}')).toBe(1);
    expect(value(text, 'homeostat_incidents_resolved_total{loop="shop",resolution="recovered"}')).toBe(1);
    expect(value(text, 'homeostat_decisions_total{loop="shop",mode="execute"}')).toBe(1);
    expect(value(text, 'homeostat_actions_started_total{loop="shop",action="recycle-pool"}')).toBe(1);
    expect(value(text, 'homeostat_actions_total{loop="shop",action="recycle-pool",status="rolled-back"}')).toBe(1);
  });

  it('reads the bus at scrape time, once per scrape, and leaves out a source that fails', async () => {
    const m = new HomeostatMetrics({ defaultMetrics: false });
    let reads = 0;
    m.watchBus(() => {
      reads++;
      return [
        {
          group: 'homeostat-learner',
          processed: { handled: 10, duplicates: 1, deadLettered: 2, retries: 3 },
          deadLetters: [{ topic: 'telemetry.spans', code: 'CONTRACT_VIOLATION', count: 2 }],
          topics: [
            { topic: 'telemetry.spans', queued: 4, lag: 5 },
            { topic: 'loop.incidents', lag: 0 },
          ],
        },
      ];
    });
    m.watchBus(() => Promise.reject(new Error('broker down')));
    const text = await m.text();
    expect(reads).toBe(1);
    expect(value(text, 'homeostat_bus_queue_depth{group="homeostat-learner",topic="telemetry.spans"}')).toBe(4);
    expect(value(text, 'homeostat_bus_queue_depth{group="homeostat-learner",topic="loop.incidents"}')).toBeUndefined();
    expect(value(text, 'homeostat_bus_consumer_lag{group="homeostat-learner",topic="telemetry.spans"}')).toBe(5);
    expect(value(text, 'homeostat_bus_consumer_lag{group="homeostat-learner",topic="loop.incidents"}')).toBe(0);
    expect(value(text, 'homeostat_bus_messages_processed_total{group="homeostat-learner",outcome="handled"}')).toBe(10);
    expect(value(text, 'homeostat_bus_retries_total{group="homeostat-learner"}')).toBe(3);
    expect(
      value(text, 'homeostat_bus_dead_letters_total{group="homeostat-learner",topic="telemetry.spans",code="CONTRACT_VIOLATION"}'),
    ).toBe(2);
    // Totals, not increments: the next scrape shows the same.
    expect(value(await m.text(), 'homeostat_bus_messages_processed_total{group="homeostat-learner",outcome="handled"}')).toBe(10);
  });

  it('has the analyzer gauges only once an analyzer is watched', async () => {
    const m = new HomeostatMetrics({ defaultMetrics: false });
    expect(await m.text()).not.toContain(METRIC_NAMES.analyzerSeries);
    m.watchAnalyzer(() => ({ series: 12, templates: 3, targets: 2 }));
    const text = await m.text();
    expect(value(text, 'homeostat_analyzer_series')).toBe(12);
    expect(value(text, 'homeostat_analyzer_log_templates')).toBe(3);
    expect(value(text, 'homeostat_analyzer_targets')).toBe(2);
  });

  it('observes insert batch sizes and latencies per table', async () => {
    const m = new HomeostatMetrics({ defaultMetrics: false });
    m.insert('otel_traces', 500, 0.02, true);
    m.insert('otel_traces', 5, 0.3, false);
    const text = await m.text();
    expect(value(text, 'homeostat_store_insert_batch_rows_count{table="otel_traces"}')).toBe(2);
    expect(value(text, 'homeostat_store_insert_batch_rows_sum{table="otel_traces"}')).toBe(505);
    expect(value(text, 'homeostat_store_insert_duration_seconds_count{table="otel_traces",outcome="ok"}')).toBe(1);
    expect(value(text, 'homeostat_store_insert_duration_seconds_bucket{le="0.025",table="otel_traces",outcome="ok"}')).toBe(1);
    expect(value(text, 'homeostat_store_insert_duration_seconds_bucket{le="0.25",table="otel_traces",outcome="error"}')).toBe(0);
  });

  it('includes the process metrics (RSS, CPU, event loop) by default', async () => {
    const text = await new HomeostatMetrics().text();
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('labels signals as spans, metrics and logs', () => {
    expect(signalLabel('traces')).toBe('spans');
    expect(signalLabel('logs')).toBe('logs');
    expect(signalOfTopic('telemetry.metrics')).toBe('metrics');
    expect(signalOfTopic('loop.incidents')).toBeUndefined();
  });
});

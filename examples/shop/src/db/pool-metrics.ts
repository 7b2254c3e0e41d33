import type { Meter } from '@opentelemetry/api';
import { ATTR, DURATION_BUCKETS_S, METRIC, POOL_NAME } from '../telemetry/semconv';
import type { PoolObserver, PoolStats } from './connection-pool';

/**
 * The OpenTelemetry database client connection-pool metrics (db.client.connection.*). They are
 * created once per shop and read whichever pool is current, so a recycle or a restart keeps one
 * continuous series.
 */
export function createPoolMetrics(meter: Meter, current: () => PoolStats | null): PoolObserver {
  const pool = { [ATTR.dbPoolName]: POOL_NAME };
  const count = meter.createObservableUpDownCounter(METRIC.dbConnectionCount, {
    unit: '{connection}',
    description: 'The number of connections that are currently in state described by the state attribute.',
  });
  const max = meter.createObservableUpDownCounter(METRIC.dbConnectionMax, {
    unit: '{connection}',
    description: 'The maximum number of open connections allowed.',
  });
  const idleMax = meter.createObservableUpDownCounter(METRIC.dbConnectionIdleMax, {
    unit: '{connection}',
    description: 'The maximum number of idle open connections allowed.',
  });
  const idleMin = meter.createObservableUpDownCounter(METRIC.dbConnectionIdleMin, {
    unit: '{connection}',
    description: 'The minimum number of idle open connections allowed.',
  });
  const pending = meter.createObservableUpDownCounter(METRIC.dbConnectionPendingRequests, {
    unit: '{request}',
    description: 'The number of current pending requests for an open connection.',
  });
  meter.addBatchObservableCallback(
    (result) => {
      const stats = current();
      if (!stats) return;
      result.observe(count, stats.used, { ...pool, [ATTR.dbConnectionState]: 'used' });
      result.observe(count, stats.idle, { ...pool, [ATTR.dbConnectionState]: 'idle' });
      result.observe(max, stats.max, pool);
      result.observe(idleMax, stats.max, pool);
      result.observe(idleMin, stats.min, pool);
      result.observe(pending, stats.pending, pool);
    },
    [count, max, idleMax, idleMin, pending],
  );
  const timeouts = meter.createCounter(METRIC.dbConnectionTimeouts, {
    unit: '{timeout}',
    description: 'The number of connection timeouts that have occurred trying to obtain a connection from the pool.',
  });
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: DURATION_BUCKETS_S } });
  const createTime = histogram(METRIC.dbConnectionCreateTime, 'The time it took to create a new connection.');
  const waitTime = histogram(METRIC.dbConnectionWaitTime, 'The time it took to obtain an open connection from the pool.');
  const useTime = histogram(METRIC.dbConnectionUseTime, 'The time between borrowing a connection and returning it to the pool.');
  return {
    waited: (s) => waitTime.record(s, pool),
    timedOut: () => timeouts.add(1, pool),
    created: (s) => createTime.record(s, pool),
    used: (s) => useTime.record(s, pool),
  };
}

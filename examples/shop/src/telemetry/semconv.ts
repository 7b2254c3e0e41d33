/**
 * Every span, metric and attribute name the shop emits, in one place. They follow the
 * OpenTelemetry semantic conventions (v1.3x: http server/client, database client and its
 * connection-pool metrics), spelled out here rather than imported from the `incubating` entry
 * point, whose names may still change between minor releases.
 */
export const SERVICE_NAME = 'shop';
export const POOL_NAME = 'shop-db';
export const DOWNSTREAM_SERVICE = 'inventory';

export const ATTR = {
  httpRequestMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpResponseStatusCode: 'http.response.status_code',
  httpRequestResendCount: 'http.request.resend_count',
  urlPath: 'url.path',
  urlFull: 'url.full',
  urlTemplate: 'url.template',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
  peerService: 'peer.service',
  dbSystemName: 'db.system.name',
  dbNamespace: 'db.namespace',
  dbOperationName: 'db.operation.name',
  dbCollectionName: 'db.collection.name',
  dbQueryText: 'db.query.text',
  dbPoolName: 'db.client.connection.pool.name',
  dbConnectionState: 'db.client.connection.state',
  cacheHit: 'shop.cache.hit',
  actuatorAction: 'shop.actuator.action',
  idempotencyKey: 'shop.idempotency.key',
} as const;

export const METRIC = {
  httpServerRequestDuration: 'http.server.request.duration',
  httpClientRequestDuration: 'http.client.request.duration',
  dbOperationDuration: 'db.client.operation.duration',
  dbConnectionCount: 'db.client.connection.count',
  dbConnectionIdleMax: 'db.client.connection.idle.max',
  dbConnectionIdleMin: 'db.client.connection.idle.min',
  dbConnectionMax: 'db.client.connection.max',
  dbConnectionPendingRequests: 'db.client.connection.pending_requests',
  dbConnectionTimeouts: 'db.client.connection.timeouts',
  dbConnectionCreateTime: 'db.client.connection.create_time',
  dbConnectionWaitTime: 'db.client.connection.wait_time',
  dbConnectionUseTime: 'db.client.connection.use_time',
  cacheRequests: 'shop.cache.requests',
  retryAttempts: 'shop.retry.attempts',
} as const;

/** The semantic conventions' advisory buckets for durations in seconds. */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

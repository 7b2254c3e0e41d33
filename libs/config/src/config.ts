import { envSchema, type ConsoleToken, type Env, type ServiceName } from './config.schema';

export interface HomeostatConfig {
  mode: 'embedded' | 'kafka';
  dataDir: string;
  loopsDir?: string;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  kafka: {
    brokers: string[];
    clientId: string;
    /** How long a stage waits at start for a broker it cannot reach. */
    brokerWaitMs: number;
    topicPrefix: string;
    partitions: number;
    replicationFactor: number;
  };
  consumer: {
    maxAttempts: number;
    backoffMs: number;
    concurrency: number;
    idempotencyCapacity: number;
    inProcessQueueLimit: number;
    inProcessQueueItems: number;
  };
  clickhouse: {
    url?: string;
    username?: string;
    password?: string;
    database: string;
    /** chDB's data directory when there is no CLICKHOUSE_URL; default <dataDir>/chdb. */
    chdbDir?: string;
  };
  telemetry: { selfEndpoint?: string; disabled: boolean };
  shutdownTimeoutMs: number;
  decider: { seed: string };
  analyzer: {
    /** Width of the time buckets spans and logs are aggregated into before scoring. */
    bucketMs: number;
    /** How often buckets are closed and incidents advanced. */
    tickMs: number;
  };
  ports: Record<ServiceName, number>;
  /** Base URLs of services in other processes, for the ones that call each other's APIs. */
  urls: {
    learner: string;
    /** The console as people reach it (HOMEOSTAT_CONSOLE_URL), for links from outside; undefined: no links. */
    console?: string;
  };
  collector: {
    /** Largest request body accepted, before and after decompression. */
    maxBodyBytes: number;
    /** Spans, data points or log records per published event (keeps messages under broker limits). */
    maxItemsPerEvent: number;
    /** Bytes per published OTLP protobuf event (a target's request with more is split between items). */
    maxEventBytes: number;
    /**
     * Check protobuf exports item by item here (decoded, mapped, contract-checked, as JSON ones):
     * the answer carries partial_success and only valid items go on the bus. Off: protobuf goes on
     * the bus as received and the consumers drop what the contracts refuse (faster).
     */
    checkProtobuf: boolean;
    /**
     * Request bodies are put together in reused memory; free buffers kept, in bytes (0: none).
     * `poisonReleased`: overwrite them when given back, so that code reading a body after its
     * release fails (for tests).
     */
    bodyPool: { maxPooledBytes: number; poisonReleased: boolean };
    /** Bearer keys accepted on the collector's endpoints; empty → no authentication. */
    apiKeys: string[];
    /** The secret of GitHub webhook deliveries; undefined → the GitHub webhook accepts nothing. */
    githubWebhookSecret?: string;
    /** GitHub's API, and the token the failed jobs' logs of a delivery are read with; no token → a delivery's build has no log. */
    github: { apiUrl: string; token?: string };
  };
  console: {
    /** Who may use the console and with which role; empty → no authentication (everyone is an admin). */
    tokens: ConsoleToken[];
  };
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment once, at start-up. A bad setting stops the process with a
 * message that names the variable; nothing downstream reads process.env.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Env, string>> = {}): HomeostatConfig {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = overrides[key as keyof Env] ?? env[key];
    // An empty variable means "not set", as in most twelve-factor tooling.
    raw[key] = value === '' ? undefined : value;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  return {
    mode: e.HOMEOSTAT_MODE,
    dataDir: e.HOMEOSTAT_DATA_DIR,
    ...(e.HOMEOSTAT_LOOPS_DIR ? { loopsDir: e.HOMEOSTAT_LOOPS_DIR } : {}),
    host: e.HOMEOSTAT_HOST,
    logLevel: e.LOG_LEVEL,
    kafka: {
      brokers: (e.KAFKA_BROKERS ?? '')
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      clientId: e.KAFKA_CLIENT_ID,
      brokerWaitMs: e.KAFKA_BROKER_WAIT_MS,
      topicPrefix: e.HOMEOSTAT_TOPIC_PREFIX,
      partitions: e.HOMEOSTAT_TOPIC_PARTITIONS,
      replicationFactor: e.HOMEOSTAT_TOPIC_REPLICATION,
    },
    consumer: {
      maxAttempts: e.HOMEOSTAT_CONSUMER_MAX_ATTEMPTS,
      backoffMs: e.HOMEOSTAT_CONSUMER_BACKOFF_MS,
      concurrency: e.HOMEOSTAT_CONSUMER_CONCURRENCY,
      idempotencyCapacity: e.HOMEOSTAT_IDEMPOTENCY_CAPACITY,
      inProcessQueueLimit: e.HOMEOSTAT_INPROCESS_QUEUE_LIMIT,
      inProcessQueueItems: e.HOMEOSTAT_INPROCESS_QUEUE_ITEMS,
    },
    clickhouse: {
      ...(e.CLICKHOUSE_URL ? { url: e.CLICKHOUSE_URL } : {}),
      ...(e.CLICKHOUSE_USER ? { username: e.CLICKHOUSE_USER } : {}),
      ...(e.CLICKHOUSE_PASSWORD ? { password: e.CLICKHOUSE_PASSWORD } : {}),
      database: e.CLICKHOUSE_DATABASE,
      ...(e.CHDB_DIR ? { chdbDir: e.CHDB_DIR } : {}),
    },
    telemetry: {
      ...(e.HOMEOSTAT_SELF_OTLP_ENDPOINT ? { selfEndpoint: e.HOMEOSTAT_SELF_OTLP_ENDPOINT } : {}),
      disabled: e.OTEL_SDK_DISABLED ?? false,
    },
    shutdownTimeoutMs: e.HOMEOSTAT_SHUTDOWN_TIMEOUT_MS,
    decider: { seed: e.HOMEOSTAT_DECIDER_SEED },
    analyzer: { bucketMs: e.ANALYZER_BUCKET_MS, tickMs: e.ANALYZER_TICK_MS },
    urls: {
      learner: e.LEARNER_URL.replace(/\/$/, ''),
      ...(e.HOMEOSTAT_CONSOLE_URL ? { console: e.HOMEOSTAT_CONSOLE_URL.replace(/\/+$/, '') } : {}),
    },
    ports: {
      collector: e.COLLECTOR_PORT,
      analyzer: e.ANALYZER_PORT,
      decider: e.DECIDER_PORT,
      executor: e.EXECUTOR_PORT,
      learner: e.LEARNER_PORT,
      console: e.CONSOLE_PORT,
    },
    collector: {
      maxBodyBytes: e.COLLECTOR_MAX_BODY_BYTES,
      maxItemsPerEvent: e.COLLECTOR_MAX_ITEMS_PER_EVENT,
      maxEventBytes: e.COLLECTOR_MAX_EVENT_BYTES,
      checkProtobuf: e.COLLECTOR_CHECK_PROTOBUF,
      bodyPool: { maxPooledBytes: e.COLLECTOR_BODY_POOL_BYTES, poisonReleased: e.COLLECTOR_BODY_POOL_POISON },
      apiKeys: e.HOMEOSTAT_API_KEYS ?? [],
      ...(e.GITHUB_WEBHOOK_SECRET ? { githubWebhookSecret: e.GITHUB_WEBHOOK_SECRET } : {}),
      github: { apiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''), ...(e.GITHUB_TOKEN ? { token: e.GITHUB_TOKEN } : {}) },
    },
    console: { tokens: e.CONSOLE_TOKENS ?? [] },
  };
}

import { z } from 'zod';

export const SERVICE_NAMES = ['collector', 'analyzer', 'decider', 'executor', 'learner', 'console'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Default HTTP port of each service (health, readiness and its own API). */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  collector: 4318,
  analyzer: 8081,
  decider: 8082,
  executor: 8083,
  learner: 8084,
  console: 8080,
};

const intFromEnv = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

export const CONSOLE_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export interface ConsoleToken {
  /** Who the token belongs to: recorded as the actor of every command given with it. */
  name: string;
  role: ConsoleRole;
  token: string;
}

/**
 * `CONSOLE_TOKENS`: entries `name:role:token` separated by commas or newlines (so a mounted file's
 * content can be passed as is). Names are unique; tokens have at least 16 printable characters.
 */
function parseConsoleTokens(text: string, ctx: z.RefinementCtx): ConsoleToken[] {
  const entries = text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '' && !e.startsWith('#'));
  const tokens: ConsoleToken[] = [];
  entries.forEach((entry, i) => {
    const [name = '', role = '', ...rest] = entry.split(':');
    const token = rest.join(':');
    const problem = !/^[A-Za-z0-9._@-]{1,64}$/.test(name)
      ? `entry ${i + 1}: the name must be 1-64 letters, digits, ".", "_", "@" or "-" (expected name:role:token)`
      : !(CONSOLE_ROLES as readonly string[]).includes(role)
        ? `entry ${i + 1} (${name}): the role must be one of ${CONSOLE_ROLES.join(', ')}, got "${role}"`
        : !/^[\x21-\x7e]{16,}$/.test(token)
          ? `entry ${i + 1} (${name}): the token must have at least 16 printable characters without spaces`
          : tokens.some((t) => t.name === name)
            ? `entry ${i + 1}: the name ${name} is used twice`
            : tokens.some((t) => t.token === token)
              ? `entry ${i + 1} (${name}): the token is used twice`
              : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else tokens.push({ name, role: role as ConsoleRole, token });
  });
  if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one name:role:token entry' });
  return tokens;
}

/**
 * Every setting Homeostat reads from the environment, one entry per variable, so an error names
 * the variable a person has to fix.
 */
export const envSchema = z
  .object({
    HOMEOSTAT_MODE: z.enum(['embedded', 'kafka']).default('embedded'),
    HOMEOSTAT_DATA_DIR: z.string().min(1).default('./.homeostat'),
    HOMEOSTAT_LOOPS_DIR: z.string().min(1).optional(),
    HOMEOSTAT_HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug', 'verbose']).default('info'),

    KAFKA_BROKERS: z.string().optional(),
    KAFKA_CLIENT_ID: z.string().min(1).default('homeostat'),
    KAFKA_BROKER_WAIT_MS: intFromEnv(0, 86_400_000).default(300_000),
    HOMEOSTAT_TOPIC_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"')
      .default(''),
    HOMEOSTAT_TOPIC_PARTITIONS: intFromEnv(1, 10_000).default(6),
    HOMEOSTAT_TOPIC_REPLICATION: intFromEnv(1, 16).default(1),
    HOMEOSTAT_CONSUMER_MAX_ATTEMPTS: intFromEnv(1, 100).default(3),
    HOMEOSTAT_CONSUMER_BACKOFF_MS: intFromEnv(0, 600_000).default(200),
    HOMEOSTAT_CONSUMER_CONCURRENCY: intFromEnv(1, 256).default(1),
    HOMEOSTAT_IDEMPOTENCY_CAPACITY: intFromEnv(1_000, 100_000_000).default(200_000),
    HOMEOSTAT_INPROCESS_QUEUE_LIMIT: intFromEnv(1, 10_000_000).default(10_000),
    /** Spans, metric data points and log records waiting per consumer group in process before the collector answers 429. */
    HOMEOSTAT_INPROCESS_QUEUE_ITEMS: intFromEnv(1, 100_000_000).default(100_000),

    CLICKHOUSE_URL: z.url().optional(),
    CLICKHOUSE_USER: z.string().optional(),
    CLICKHOUSE_PASSWORD: z.string().optional(),
    /** chDB's data directory (embedded ClickHouse); default <HOMEOSTAT_DATA_DIR>/chdb. One per process. */
    CHDB_DIR: z.string().min(1).optional(),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
      .default('homeostat'),

    HOMEOSTAT_SELF_OTLP_ENDPOINT: z.url().optional(),
    HOMEOSTAT_SHUTDOWN_TIMEOUT_MS: intFromEnv(100, 600_000).default(30_000),
    OTEL_SDK_DISABLED: bool.optional(),

    /** Seeds the decider's exploration (Thompson sampling), for reproducible runs. */
    HOMEOSTAT_DECIDER_SEED: z.string().default(''),
    ANALYZER_BUCKET_MS: intFromEnv(100, 3_600_000).default(10_000),
    ANALYZER_TICK_MS: intFromEnv(10, 60_000).default(1_000),

    COLLECTOR_PORT: intFromEnv(0, 65535).default(DEFAULT_PORTS.collector),
    COLLECTOR_MAX_BODY_BYTES: intFromEnv(1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
    COLLECTOR_MAX_ITEMS_PER_EVENT: intFromEnv(1, 1_000_000).default(512),
    /** Bytes per published OTLP protobuf event (under Kafka's record limit, 1 MB by default, with its headers). */
    COLLECTOR_MAX_EVENT_BYTES: intFromEnv(1024, 1024 * 1024 * 1024).default(768 * 1024),
    /** Decode and check protobuf exports item by item in the collector, as JSON ones (partial_success), at a cost in throughput. */
    COLLECTOR_CHECK_PROTOBUF: bool.default(false),
    /** Free request-body buffers the collector keeps for reuse (0: every body gets fresh memory). */
    COLLECTOR_BODY_POOL_BYTES: intFromEnv(0, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
    /** Overwrite body buffers when they come back to the pool, so a reader that kept them fails loudly (tests). */
    COLLECTOR_BODY_POOL_POISON: bool.default(false),
    /** The secret GitHub signs webhook deliveries with (X-Hub-Signature-256); without it /v1/webhooks/github accepts nothing. */
    GITHUB_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    /** A token the collector reads the failed jobs' logs of a GitHub webhook delivery with (Actions: read); without it such builds carry no log. */
    GITHUB_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional(),
    /** GitHub's REST API for the collector's log reads (GitHub Enterprise Server: https://<host>/api/v3). */
    GITHUB_API_URL: z.url().default('https://api.github.com'),
    HOMEOSTAT_API_KEYS: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k !== ''),
      )
      .pipe(
        z
          .array(
            z
              .string()
              .min(16, 'each key must have at least 16 characters')
              .regex(/^[\x21-\x7e]+$/, 'each key must be printable ASCII without spaces'),
          )
          .min(1, 'must list at least one key'),
      )
      .optional(),
    ANALYZER_PORT: intFromEnv(0, 65535).default(DEFAULT_PORTS.analyzer),
    DECIDER_PORT: intFromEnv(0, 65535).default(DEFAULT_PORTS.decider),
    EXECUTOR_PORT: intFromEnv(0, 65535).default(DEFAULT_PORTS.executor),
    LEARNER_PORT: intFromEnv(0, 65535).default(DEFAULT_PORTS.learner),
    CONSOLE_PORT: intFromEnv(0, 65535).default(DEFAULT_PORTS.console),
    /** The console's address as people reach it: a forge's commit status and comment link to the decision there. */
    HOMEOSTAT_CONSOLE_URL: z.url().optional(),
    /** Where the console reads the ledger from when the learner runs in another process. */
    LEARNER_URL: z.url().default(`http://127.0.0.1:${DEFAULT_PORTS.learner}`),
    /** Access to the console (UI and control API): `name:role:token` entries; unset → open (the embedded demo). */
    CONSOLE_TOKENS: z
      .string()
      .transform((s, ctx) => parseConsoleTokens(s, ctx))
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.HOMEOSTAT_MODE === 'kafka' && !env.KAFKA_BROKERS) {
      ctx.addIssue({ code: 'custom', path: ['KAFKA_BROKERS'], message: 'is required when HOMEOSTAT_MODE=kafka (e.g. 127.0.0.1:9092)' });
    }
  });

export type Env = z.output<typeof envSchema>;

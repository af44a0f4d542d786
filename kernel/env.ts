import { z } from 'zod';
import { parseFaults } from './faults.ts';
import { checkSecrets } from './secrets.ts';

/**
 * Every setting the system reads, validated once at start-up. Nothing below this module reads
 * `process.env`: the typed `Config` is passed down from each composition root.
 */
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(p)), {
      message: `must start with ${protocols.join(' or ')}`,
    });
/** One URL, or several replicas' URLs separated by commas. */
const urlList = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v))
  .refine((v) => v === undefined || v.split(',').every((u) => /^https?:\/\/\S+$/.test(u.trim())), {
    message: 'must be http(s) URLs separated by commas',
  });
/** A value that may be absent; set but empty counts as absent. */
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v));
const millis = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: port(4000),
  ORDER_PORT: port(4001),
  INVENTORY_PORT: port(4002),
  PAYMENT_PORT: port(4003),
  ORDER_URL: urlList,
  INVENTORY_URL: urlList,
  PAYMENT_URL: urlList,
  SUBGRAPH_TIMEOUT_MS: millis(10_000),
  HTTP_REQUEST_TIMEOUT_MS: millis(30_000),
  HTTP_HEADERS_TIMEOUT_MS: millis(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: millis(5000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(2000),
  GATEWAY_PLAYGROUND: z.enum(['true', 'false']).optional(),
  GATEWAY_CONSOLE: z.enum(['true', 'false']).optional(),
  GATEWAY_APOLLO_TELEMETRY: z.enum(['true', 'false']).default('false'),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(1).max(150).default(30),
  /** Browser apps on other origins allowed to call the gateway: exact origins, comma-separated. */
  GATEWAY_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(/^https?:\/\/[^/\s]+$/, 'must be origins like https://shop.example.com (scheme and host, no path)'),
      ),
    ),
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).default(3000),
  RATE_LIMIT_PER_CUSTOMER_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_MUTATIONS_PER_CUSTOMER_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  GATEWAY_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(12),
  GATEWAY_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(30),
  GATEWAY_MAX_LIST_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(262_144),
  GATEWAY_MAX_COST: z.coerce.number().int().min(1).default(5000),
  GATEWAY_INTROSPECTION: z.enum(['true', 'false']).optional(),
  LIVE_MAX_QUEUE: z.coerce.number().int().min(1).default(100),
  LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(50),
  LIVE_MAX_CONNECTIONS_PER_CUSTOMER: z.coerce.number().int().min(1).default(20),
  LIVE_CONNECTION_INIT_TIMEOUT_MS: millis(3000),
  DATABASE_URL: optionalUrl(['postgres://', 'postgresql://']),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  REDIS_URL: optionalUrl(['redis://', 'rediss://']),
  KAFKA_BROKERS: z
    .string()
    .trim()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((b) => b.trim())
            .filter(Boolean)
        : undefined,
    )
    .refine((v) => v === undefined || v.every((b) => /^[^\s:]+:\d+$/.test(b)), {
      message: 'must be a comma-separated list of host:port',
    }),
  KAFKA_CLIENT_ID: z.string().default('sagaway'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/, 'may contain only letters, digits, ".", "_" and "-"')
    .default('sagaway'),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(256).default(6),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(3000).max(300_000).default(10_000),
  JWT_SECRET: optionalText().refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  JWT_JWKS_URL: optionalUrl(['https://', 'http://']),
  GATEWAY_SECRET: optionalText(),
  METRICS_TOKEN: optionalText().refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  PAYMENT_TOKEN_KEY: optionalText(),
  PAYMENT_TOKEN_PREVIOUS_KEYS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean)
        : [],
    ),
  JWT_ISSUER: z.string().min(1).default('sagaway'),
  JWT_AUDIENCE: z.string().min(1).default('sagaway-api'),
  JWT_MAX_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(86_400),
  DATA_DIR: z.string().default('.data'),
  OUTBOX_POLL_MS: millis(250),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(0),
  OUTBOX_RETENTION_HOURS: z.coerce.number().positive().default(24),
  INBOX_RETENTION_HOURS: z.coerce.number().positive().default(168),
  SAGA_DEADLINE_MS: millis(30_000),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(30),
  CACHE_KEY_PREFIX: z.string().min(1).default('sagaway:'),
  GATEWAY_RESPONSE_CACHE: z.enum(['true', 'false']).default('true'),
  GATEWAY_CACHE_VOLATILE_TTL_MS: millis(1000),
  GATEWAY_CACHE_LOCAL_MB: z.coerce.number().int().min(0).default(4),
  SAGA_SWEEP_MS: millis(1000),
  SAGA_RETRY_BACKOFF_MS: millis(500),
  SAGA_ADMISSION_WAIT_MS: millis(10_000),
  ORDER_MAX_OPEN_PER_CUSTOMER: z.coerce.number().int().min(1).default(50),
  ORDER_MAX_OPEN_UNITS_PER_CUSTOMER: z.coerce.number().int().min(1).default(500),
  SAGA_ADMISSION_SAMPLE_MS: millis(250),
  SAGA_ADMISSION_MIN_IN_FLIGHT: z.coerce.number().int().min(1).default(200),
  SAGA_ADMISSION_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(5000),
  SUBGRAPH_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
  SUBGRAPH_BREAKER_HALF_OPEN_MS: millis(2000),
  MESSAGE_SCHEMA_VERSION: z.coerce.number().int().min(1).optional(),
  CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  FAULTS: z
    .string()
    .default('')
    .refine((v) => {
      try {
        parseFaults(v);
        return true;
      } catch {
        return false;
      }
    }, 'must list known fault points, e.g. outbox.crashBeforePublish:1'),
  SEED_DEMO_CATALOG: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
});

/** The environment as the system reads it: every variable checked, secrets as the mode requires. */
export const checkedEnvSchema = envSchema.superRefine(checkSecrets);

/** The environment after validation. */
export type Env = z.infer<typeof envSchema>;

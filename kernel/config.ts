import { z } from 'zod';
import type { TokenPolicy } from './auth.ts';
import { type Faults, parseFaults } from './faults.ts';
import type { HttpSettings } from './http.ts';
import type { QueryLimits } from './limits.ts';

/** The secret `npm start` signs its demo tokens with: public, so never accepted outside development and tests. */
export const DEVELOPMENT_JWT_SECRET = 'sagaway-development-secret-change-me';
/** The development key that seals payment tokens: public too. */
export const DEVELOPMENT_PAYMENT_TOKEN_KEY = 'sagaway-development-payment-token-key';
/** The development secret the gateway signs its subgraph requests with: public too. */
export const DEVELOPMENT_GATEWAY_SECRET = 'sagaway-development-gateway-secret';
/** Secrets that are public (in this repository's history or docs) and so refused where it matters. */
const KNOWN_SECRETS = new Set([
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_PAYMENT_TOKEN_KEY,
  DEVELOPMENT_GATEWAY_SECRET,
  'change-me',
  'secret',
  'changeme',
]);
/** The shortest secret accepted in production. */
export const MIN_PRODUCTION_SECRET = 32;

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

const envSchema = z.object({
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
  OUTBOX_RETENTION_HOURS: z.coerce.number().positive().default(24),
  INBOX_RETENTION_HOURS: z.coerce.number().positive().default(168),
  SAGA_DEADLINE_MS: millis(30_000),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(30),
  CACHE_KEY_PREFIX: z.string().min(1).default('sagaway:'),
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

/**
 * Production, or any process pointed at real infrastructure outside the test runner: no public
 * default may stand in for a secret there.
 */
const isStrict = (e: { NODE_ENV: string; DATABASE_URL?: string; KAFKA_BROKERS?: string[]; REDIS_URL?: string }) =>
  e.NODE_ENV === 'production' || (e.NODE_ENV !== 'test' && Boolean(e.DATABASE_URL || e.KAFKA_BROKERS || e.REDIS_URL));

/** Checks a secret the strict modes require; returns what is wrong with it, if anything. */
function secretProblem(
  value: string | undefined,
  { required = true }: { required?: boolean } = {},
): string | undefined {
  if (value === undefined)
    return required
      ? 'is required in production and with real infrastructure (NODE_ENV=production, DATABASE_URL, KAFKA_BROKERS or REDIS_URL set)'
      : undefined;
  if (KNOWN_SECRETS.has(value)) return 'is a public development value; generate one, e.g. `openssl rand -hex 32`';
  if (value.length < MIN_PRODUCTION_SECRET) return `must be at least ${MIN_PRODUCTION_SECRET} characters in production`;
  return undefined;
}

const checkedSchema = envSchema.superRefine((e, ctx) => {
  if (!isStrict(e)) return;
  // A JWKS URL alone is enough for user tokens; a secret, if given, must still be a real one.
  const jwt = secretProblem(e.JWT_SECRET, { required: e.JWT_JWKS_URL === undefined });
  if (jwt)
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message: e.JWT_JWKS_URL === undefined ? `${jwt} (or set JWT_JWKS_URL)` : jwt,
    });
  const gateway =
    secretProblem(e.GATEWAY_SECRET) ?? (e.GATEWAY_SECRET === e.JWT_SECRET ? 'must differ from JWT_SECRET' : undefined);
  if (gateway) ctx.addIssue({ code: 'custom', path: ['GATEWAY_SECRET'], message: gateway });
  const sealing = secretProblem(e.PAYMENT_TOKEN_KEY);
  if (sealing) ctx.addIssue({ code: 'custom', path: ['PAYMENT_TOKEN_KEY'], message: sealing });
});

export type ServiceName = 'order' | 'inventory' | 'payment';

export interface Config {
  mode: 'development' | 'test' | 'production';
  /** Production or real infrastructure: secrets are required and demo conveniences are off. */
  strict: boolean;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  host: string;
  ports: { gateway: number } & Record<ServiceName, number>;
  /**
   * Where the gateway reaches each subgraph's GraphQL endpoint: one URL, or the URLs of its
   * replicas separated by commas, which the gateway spreads requests over and fails over between.
   */
  subgraphUrls: Record<ServiceName, string>;
  /** How long the gateway waits for a subgraph before that part of the answer fails. */
  subgraphTimeoutMs: number;
  /** Timeouts and the connection cap of every HTTP server. */
  http: HttpSettings;
  /** Requests per minute the gateway allows, shared across its replicas through Redis. */
  rateLimits: { perAddress: number; perCustomer: number; mutationsPerCustomer: number };
  /** Whether the gateway serves the playground page (not in production unless asked for). */
  playground: boolean;
  /** Other origins whose browser apps may call the gateway (CORS) and open its socket. */
  corsOrigins: string[];
  /** How many proxies in front of the gateway append to X-Forwarded-For (0: the header is ignored). */
  trustedProxies: number;
  /** How long a gateway replica remembers an API key it looked up (a revocation reaches it sooner, as an event). */
  apiKeyCacheMs: number;
  /** What the gateway refuses before asking any subgraph. */
  limits: QueryLimits & { maxBodyBytes: number };
  /** Bounds of the subscription endpoint. */
  live: {
    maxQueue: number;
    maxSubscriptionsPerConnection: number;
    maxConnectionsPerCustomer: number;
    connectionInitTimeoutMs: number;
  };
  /** Absent: the embedded PGlite database in `dataDir`. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Absent: an in-process cache. */
  redisUrl: string | undefined;
  kafka: {
    /** Absent: the in-process transport. */
    brokers: string[] | undefined;
    clientId: string;
    topicPrefix: string;
    partitions: number;
    /** How long a silent consumer keeps its partitions before the group moves them. */
    sessionTimeoutMs: number;
  };
  /** What a user's bearer token must satisfy. */
  auth: TokenPolicy;
  /** What the gateway signs its requests to subgraphs with; subgraphs answer nobody else. */
  gatewaySecret: string;
  /** Keys that seal payment tokens on their way from the order to the payment service; the first seals. */
  paymentTokenKeys: string[];
  dataDir: string;
  outboxPollMs: number;
  /** Published outbox rows are deleted after this long. */
  outboxRetentionHours: number;
  /** Handled inbox entries are deleted after this long; keep it above Kafka's retention. */
  inboxRetentionHours: number;
  /** How long an order saga may run before it compensates. */
  sagaDeadlineMs: number;
  /** How often the saga sweeper looks for passed deadlines and due retries. */
  sagaSweepMs: number;
  /** First backoff of a retried saga step; it doubles per attempt. */
  sagaRetryBackoffMs: number;
  /**
   * When `placeOrder` refuses with SERVICE_UNAVAILABLE: once the sagas in flight would take longer
   * than `waitMs` to drain at the rate they have been finishing, and never below `minInFlight`
   * nor above `maxInFlight` sagas in flight; the shared backlog is sampled every `sampleMs`.
   */
  admission: { waitMs: number; minInFlight: number; maxInFlight: number; sampleMs: number };
  /** What one customer may have in progress at once (admins are not capped). */
  openOrders: { maxOpenOrders: number; maxOpenUnits: number };
  /** The gateway's circuit breaker per subgraph: opens after `failures` in a row, probes after `halfOpenMs`. */
  breaker: { failures: number; halfOpenMs: number };
  /** How often a consumer tries a failing message before it dead-letters it (infrastructure outages retry forever). */
  consumerMaxAttempts: number;
  /** Fault injection for crash tests; empty in production. */
  faults: Faults;
  cacheTtlSeconds: number;
  /** Prepended to every Redis key, so several deployments can share one Redis. */
  cacheKeyPrefix: string;
  seedDemoCatalog: boolean;
}

/** Thrown at start-up when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checkedSchema.safeParse(env);
  if (!parsed.success) {
    // Values are echoed to help, except where they may hold a secret (URLs carry passwords).
    const shown = (name: string) => (/SECRET|PASSWORD|URL|KEY/.test(name) ? '' : ` (got ${JSON.stringify(env[name])})`);
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}${shown(String(i.path[0]))}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const ports = {
    gateway: e.GATEWAY_PORT,
    order: e.ORDER_PORT,
    inventory: e.INVENTORY_PORT,
    payment: e.PAYMENT_PORT,
  };
  const local = (p: number) => `http://127.0.0.1:${p}/graphql`;
  const strict = isStrict(e);
  return {
    mode: e.NODE_ENV,
    strict,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    ports,
    subgraphUrls: {
      order: e.ORDER_URL ?? local(ports.order),
      inventory: e.INVENTORY_URL ?? local(ports.inventory),
      payment: e.PAYMENT_URL ?? local(ports.payment),
    },
    subgraphTimeoutMs: e.SUBGRAPH_TIMEOUT_MS,
    http: {
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    rateLimits: {
      perAddress: e.RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
      perCustomer: e.RATE_LIMIT_PER_CUSTOMER_PER_MINUTE,
      mutationsPerCustomer: e.RATE_LIMIT_MUTATIONS_PER_CUSTOMER_PER_MINUTE,
    },
    playground: e.GATEWAY_PLAYGROUND === undefined ? e.NODE_ENV !== 'production' : e.GATEWAY_PLAYGROUND === 'true',
    apiKeyCacheMs: e.API_KEY_CACHE_SECONDS * 1000,
    corsOrigins: e.GATEWAY_CORS_ORIGINS,
    trustedProxies: e.TRUST_PROXY_HOPS,
    live: {
      maxQueue: e.LIVE_MAX_QUEUE,
      maxSubscriptionsPerConnection: e.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxConnectionsPerCustomer: e.LIVE_MAX_CONNECTIONS_PER_CUSTOMER,
      connectionInitTimeoutMs: e.LIVE_CONNECTION_INIT_TIMEOUT_MS,
    },
    limits: {
      maxDepth: e.GATEWAY_MAX_DEPTH,
      maxAliases: e.GATEWAY_MAX_ALIASES,
      maxListSize: e.GATEWAY_MAX_LIST_SIZE,
      maxBodyBytes: e.GATEWAY_MAX_BODY_BYTES,
      maxCost: e.GATEWAY_MAX_COST,
      // Introspection serves the playground and codegen in development; production answers none.
      introspection:
        e.GATEWAY_INTROSPECTION === undefined ? e.NODE_ENV !== 'production' : e.GATEWAY_INTROSPECTION === 'true',
    },
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      partitions: e.KAFKA_PARTITIONS,
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
    },
    auth: {
      // Outside production the public development secret stands in, so `npm start` just works.
      secret: e.JWT_SECRET ?? (strict || e.JWT_JWKS_URL ? undefined : DEVELOPMENT_JWT_SECRET),
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      maxLifetimeSeconds: e.JWT_MAX_LIFETIME_SECONDS,
    },
    gatewaySecret: e.GATEWAY_SECRET ?? DEVELOPMENT_GATEWAY_SECRET,
    paymentTokenKeys: [e.PAYMENT_TOKEN_KEY ?? DEVELOPMENT_PAYMENT_TOKEN_KEY, ...e.PAYMENT_TOKEN_PREVIOUS_KEYS],
    dataDir: e.DATA_DIR,
    outboxPollMs: e.OUTBOX_POLL_MS,
    outboxRetentionHours: e.OUTBOX_RETENTION_HOURS,
    inboxRetentionHours: e.INBOX_RETENTION_HOURS,
    sagaDeadlineMs: e.SAGA_DEADLINE_MS,
    sagaSweepMs: e.SAGA_SWEEP_MS,
    sagaRetryBackoffMs: e.SAGA_RETRY_BACKOFF_MS,
    admission: {
      waitMs: e.SAGA_ADMISSION_WAIT_MS,
      minInFlight: e.SAGA_ADMISSION_MIN_IN_FLIGHT,
      maxInFlight: e.SAGA_ADMISSION_MAX_IN_FLIGHT,
      sampleMs: e.SAGA_ADMISSION_SAMPLE_MS,
    },
    openOrders: { maxOpenOrders: e.ORDER_MAX_OPEN_PER_CUSTOMER, maxOpenUnits: e.ORDER_MAX_OPEN_UNITS_PER_CUSTOMER },
    breaker: { failures: e.SUBGRAPH_BREAKER_FAILURES, halfOpenMs: e.SUBGRAPH_BREAKER_HALF_OPEN_MS },
    consumerMaxAttempts: e.CONSUMER_MAX_ATTEMPTS,
    faults: parseFaults(e.FAULTS),
    cacheTtlSeconds: e.CACHE_TTL_SECONDS,
    cacheKeyPrefix: e.CACHE_KEY_PREFIX,
    seedDemoCatalog: e.SEED_DEMO_CATALOG,
  };
}

import type { z } from 'zod';
import type { TokenPolicy } from './auth.ts';
import { checkedEnvSchema, type Env, envSchema } from './env.ts';
import type { Faults } from './faults.ts';
import { parseFaults } from './faults.ts';
import type { HttpSettings } from './http.ts';
import type { QueryLimits } from './limits.ts';
import {
  DEVELOPMENT_GATEWAY_SECRET,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_PAYMENT_TOKEN_KEY,
  isStrict,
} from './secrets.ts';

export type ServiceName = 'order' | 'inventory' | 'payment';

export interface Config {
  mode: 'development' | 'test' | 'production';
  /** Production or real infrastructure: secrets are required and demo conveniences are off. */
  strict: boolean;
  logLevel: Env['LOG_LEVEL'];
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
  /** Whether the gateway serves the saga console at /console (not in production unless asked for; its API needs an admin token). */
  console: boolean;
  /** A bearer secret a Prometheus server may scrape `/metrics` with from another machine (unset: none). */
  metricsToken?: string;
  /**
   * Whether @apollo/gateway may send Apollo its hourly usage report (the host's OS, CPU, memory and
   * uptime). Off unless asked for: a gateway of this system sends nothing where it was not told to.
   */
  apolloTelemetry: boolean;
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
  /**
   * How long a process answers unready before it stops serving, once told to shut down: time for
   * an orchestrator's probes and load balancers to move traffic elsewhere.
   */
  shutdownDrainMs: number;
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
  /**
   * The schema version a service writes its messages in (unset: the release's current one); the
   * previous one while replicas of the previous release still read (docs/deployment.md).
   */
  messageSchemaVersion?: number | undefined;
  /** Fault injection for crash tests; empty in production. */
  faults: Faults;
  cacheTtlSeconds: number;
  /** The gateway's response cache (gateway/response-cache.ts). */
  responseCache: {
    enabled: boolean;
    /** How long answers with stock, payments or sagas (changed without an order event) may be served. */
    volatileTtlMs: number;
    /** Bytes of answers kept in each replica's memory in front of Redis. */
    localBytes: number;
  };
  /** Prepended to every Redis key, so several deployments can share one Redis. */
  cacheKeyPrefix: string;
  seedDemoCatalog: boolean;
}

/** Thrown at start-up when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The environment parsed by `schema`, or a ConfigError naming every variable that is wrong. */
function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    // Values are echoed to help, except where they may hold a secret (URLs carry passwords).
    const shown = (name: string) =>
      /SECRET|PASSWORD|TOKEN|URL|KEY/.test(name) ? '' : ` (got ${JSON.stringify(env[name])})`;
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}${shown(String(i.path[0]))}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Where the broker is, alone, for a tool that only talks to Kafka (`npm run dlq`): it needs no secret. */
export function loadKafkaConfig(env: NodeJS.ProcessEnv = process.env): { brokers?: string[]; topicPrefix: string } {
  const e = parseEnv(envSchema.pick({ KAFKA_BROKERS: true, KAFKA_TOPIC_PREFIX: true }), env);
  return { ...(e.KAFKA_BROKERS ? { brokers: e.KAFKA_BROKERS } : {}), topicPrefix: e.KAFKA_TOPIC_PREFIX };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(checkedEnvSchema, env);
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
    console: e.GATEWAY_CONSOLE === undefined ? e.NODE_ENV !== 'production' : e.GATEWAY_CONSOLE === 'true',
    apolloTelemetry: e.GATEWAY_APOLLO_TELEMETRY === 'true',
    metricsToken: e.METRICS_TOKEN,
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
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
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
    messageSchemaVersion: e.MESSAGE_SCHEMA_VERSION,
    faults: parseFaults(e.FAULTS),
    cacheTtlSeconds: e.CACHE_TTL_SECONDS,
    responseCache: {
      enabled: e.GATEWAY_RESPONSE_CACHE === 'true',
      volatileTtlMs: e.GATEWAY_CACHE_VOLATILE_TTL_MS,
      localBytes: e.GATEWAY_CACHE_LOCAL_MB * 1024 * 1024,
    },
    cacheKeyPrefix: e.CACHE_KEY_PREFIX,
    seedDemoCatalog: e.SEED_DEMO_CATALOG,
  };
}

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import postgres from 'postgres';
import { type Client, createClient } from '../client/index.ts';
import { GATEWAY_NODE_FLAGS } from '../gateway/node-flags.ts';
import type { ServiceName } from '../kernel/index.ts';
import { devPolicy, signDevToken } from '../kernel/index.ts';
import { services } from '../system/registry.ts';
import { createTestDatabase, requireKafka, requireRedis } from './infrastructure.ts';
import { builtEntry, freePort, processGroup } from './processes.ts';

const root = path.resolve(import.meta.dirname, '..');
// A secret of this run alone: nothing that signs with a published value is accepted.
const JWT_SECRET = randomBytes(32).toString('hex');
const policy = devPolicy(JWT_SECRET);

export type ServiceProcess = 'gateway' | ServiceName;
/** Each process's entry point: the gateway's, and every service's as the registry lists it. */
const entry = { gateway: 'gateway/index.ts', ...Object.fromEntries(services.map((s) => [s.name, s.entry])) } as Record<
  ServiceProcess,
  string
>;
const portVariable = (name: ServiceProcess) => `${name.toUpperCase()}_PORT`;

export interface SystemOptions {
  /** Environment for every process. */
  env?: Record<string, string>;
  /**
   * Environment for one service's processes (e.g. a fault to inject), or a function of the
   * environment it would get (e.g. its DATABASE_URL through a proxy).
   */
  serviceEnv?: Partial<
    Record<ServiceProcess, Record<string, string> | ((base: Record<string, string>) => Record<string, string>)>
  >;
  /** How many processes of each subgraph service to run (default 1). */
  replicas?: Partial<Record<ServiceProcess, number>>;
  /**
   * Restart a process that dies, as a process supervisor would, without its injected faults.
   * `signal(..., 'SIGTERM')` stops one for good.
   */
  supervise?: boolean;
  /** Extra node flags for every process (a benchmark's `--cpu-prof`). */
  nodeArgs?: string[];
  /** Run the compiled programs in `dist/` (`npm run build`), as production does, instead of tsx. */
  built?: boolean;
}

export interface RunningSystem {
  gatewayUrl: string;
  /** The URL of each gateway replica. */
  gatewayUrls(): string[];
  /** A service's base URL (replica 0), for /health and /stats. */
  serviceUrl(name: ServiceProcess): string;
  topicPrefix: string;
  databaseUrl: string;
  /** Where every process writes its log. */
  logDir: string;
  token(customerId: string, options?: { admin?: boolean }): Promise<string>;
  /** A token with exactly these claims (none added), signed with the system's secret. */
  signClaims(claims: Record<string, unknown>): Promise<string>;
  /** The typed SDK, signed in as `customerId`. */
  client(customerId: string, options?: { admin?: boolean; url?: string }): Promise<Client>;
  /** Sends a signal to every replica of a service (or one) and, for SIGKILL/SIGTERM, waits until it is gone. */
  signal(name: ServiceProcess, signal: NodeJS.Signals, replica?: number): Promise<void>;
  /** Starts a stopped replica again, optionally with different environment; resolves when healthy. */
  restart(name: ServiceProcess, options?: { replica?: number; env?: Record<string, string> }): Promise<void>;
  /** How many times the supervisor restarted each service after it died. */
  restarts: Record<ServiceProcess, number>;
  /** Resolves when every supervised restart so far is up again. */
  settled(): Promise<void>;
  /** The operating-system process id of every running replica (benchmarks read their CPU time). */
  processes(): { name: ServiceProcess; replica: number; pid: number }[];
  /** Runs SQL against the system's database (for checks no API offers, such as the outbox). */
  sql<T extends object>(query: string): Promise<T[]>;
  stop(): Promise<void>;
}

/**
 * Starts every service as its own process, as in production, against real Kafka, PostgreSQL and
 * Redis: a fresh database and a fresh topic prefix per suite, so suites never see each other's data.
 */
export async function startSystem(
  label: string,
  { env = {}, serviceEnv = {}, replicas = {}, supervise = false, nodeArgs = [], built = false }: SystemOptions = {},
): Promise<RunningSystem> {
  const [brokers, redisUrl, database] = await Promise.all([requireKafka(), requireRedis(), createTestDatabase(label)]);
  const ports = { gateway: await freePort() } as Record<ServiceProcess, number>;
  for (const { name } of services) ports[name] = await freePort();
  const logDir = path.join(root, 'tests', 'artifacts', `${label}-${randomUUID().slice(0, 6)}`);
  mkdirSync(logDir, { recursive: true });
  const topicPrefix = `e2e-${label}-${randomUUID().slice(0, 8)}`;
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: redisUrl,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    // Every suite shares the machine's Redis: keys of one system must not answer another's reads.
    CACHE_KEY_PREFIX: `${topicPrefix}:`,
    KAFKA_PARTITIONS: '3',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    JWT_SECRET,
    PAYMENT_TOKEN_KEY: randomBytes(32).toString('hex'),
    GATEWAY_SECRET: randomBytes(32).toString('hex'),
    // Every test client connects from this machine: the per-address limit would count them as one.
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000',
    SEED_DEMO_CATALOG: 'true',
    OUTBOX_POLL_MS: '100',
    SAGA_SWEEP_MS: '250',
    SAGA_RETRY_BACKOFF_MS: '100',
    GATEWAY_PORT: String(ports.gateway),
    ORDER_PORT: String(ports.order),
    INVENTORY_PORT: String(ports.inventory),
    PAYMENT_PORT: String(ports.payment),
    ...env,
  };
  const group = processGroup({
    cwd: root,
    logDir,
    nodeArgs,
    flagsOf: (name) => (name === 'gateway' ? GATEWAY_NODE_FLAGS : []),
    ...(supervise ? { supervise: { restartEnv: { FAULTS: '' } } } : {}),
  });
  const envOf = (name: ServiceProcess, extra: Record<string, string> = {}) => {
    const own = serviceEnv[name];
    return { ...baseEnv, ...(typeof own === 'function' ? own(baseEnv) : own), ...extra };
  };
  const launchAll = async (name: ServiceProcess, extra: Record<string, string> = {}) => {
    const count = replicas[name] ?? 1;
    await Promise.all(
      Array.from({ length: count }, async (_, replica) => {
        const port = replica === 0 ? ports[name] : await freePort();
        await group.launch(
          name,
          replica,
          port,
          built ? builtEntry(entry[name]) : entry[name],
          envOf(name, { ...extra, [portVariable(name)]: String(port) }),
        );
      }),
    );
  };
  const stop = async () => {
    await group.stop();
    await database.drop().catch(() => {});
  };

  try {
    // The first service first (inventory: it seeds the catalog the others price from), then the rest.
    const [first, ...rest] = services;
    await launchAll(first!.name);
    await Promise.all(rest.map((s) => launchAll(s.name)));
    // The gateway spreads requests over every replica of each subgraph and fails over between them.
    const replicaUrls = (name: ServiceProcess) =>
      group
        .instances(name)
        .map((i) => `http://127.0.0.1:${i.port}/graphql`)
        .join(',');
    await launchAll(
      'gateway',
      Object.fromEntries(services.map((s) => [`${s.name.toUpperCase()}_URL`, replicaUrls(s.name)])),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
  const sqlClient = postgres(database.url, { max: 2, onnotice: () => {} });
  return {
    gatewayUrl,
    topicPrefix,
    databaseUrl: database.url,
    logDir,
    token: (customerId, { admin = false } = {}) => signDevToken(policy, customerId, { admin }),
    signClaims: (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET)),
    serviceUrl: (name) => `http://127.0.0.1:${ports[name]}`,
    gatewayUrls: () => group.instances('gateway').map((i) => `http://127.0.0.1:${i.port}/graphql`),
    client: async (customerId, { admin = false, url = gatewayUrl } = {}) =>
      createClient({ url, token: await signDevToken(policy, customerId, { admin }) }),
    signal: (name, signal, replica) => group.signal(name, signal, replica),
    restart: (name, { replica = 0, env: extraEnv } = {}) => group.restart(name, replica, extraEnv),
    restarts: group.restarts as Record<ServiceProcess, number>,
    settled: group.settled,
    processes: () => group.processes() as { name: ServiceProcess; replica: number; pid: number }[],
    sql: async <T extends object>(query: string) => (await sqlClient.unsafe(query)) as unknown as T[],
    async stop() {
      await sqlClient.end();
      await stop();
    },
  };
}

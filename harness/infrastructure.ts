import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import postgres from 'postgres';
import { tcpReachable } from '../kernel/index.ts';

/**
 * The real services the e2e suites need. A missing one fails the suite with how to start it:
 * nothing here is skipped, and nothing is mocked.
 */
export const infraEnv = {
  get kafkaBrokers() {
    return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
  },
  /** A server URL whose database is used only to create one fresh database per suite. */
  get postgresAdminUrl() {
    return process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  },
  get redisUrl() {
    return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  },
  /** The browser the browser tests drive. */
  get chromiumPath() {
    return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  },
};

/** Whether something accepts connections at a URL or host:port. */
export const reachable = (address: string) => {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return tcpReachable(url.hostname, Number(url.port));
};

export async function requireKafka(): Promise<string[]> {
  if (!(await reachable(infraEnv.kafkaBrokers[0]!))) {
    throw new Error(
      `No Kafka broker answers at ${infraEnv.kafkaBrokers.join(',')}. Start the local one with \`npm run kafka:start\` (npm test does this for you) or set KAFKA_BROKERS.`,
    );
  }
  return infraEnv.kafkaBrokers;
}

export async function requireRedis(): Promise<string> {
  if (!(await reachable(infraEnv.redisUrl))) {
    throw new Error(
      `Redis does not answer at ${infraEnv.redisUrl}. Start it with \`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\` or set REDIS_URL.`,
    );
  }
  return infraEnv.redisUrl;
}

/** Creates a fresh, empty database for one suite and returns its URL and how to drop it. */
export async function createTestDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(infraEnv.postgresAdminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  const name = `sagaway_${label}_${randomUUID().slice(0, 8)}`.replace(/[^a-z0-9_]/g, '_');
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (err) {
    await admin.end();
    throw new Error(
      `PostgreSQL does not answer at ${infraEnv.postgresAdminUrl} (${(err as Error).message}). Start it with \`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\` or set TEST_POSTGRES_URL.`,
    );
  }
  await admin.end();
  const url = new URL(infraEnv.postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(infraEnv.postgresAdminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}

/** Runs `fn` with a connected Kafka admin client of the suites' broker, disconnected after. */
export async function withKafkaAdmin<T>(clientId: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId, brokers: infraEnv.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Every run makes its own topics; a long-lived broker would otherwise carry them all, and slow down. */
export const deleteTopics = (prefix: string): Promise<void> =>
  withKafkaAdmin('bench-cleanup', async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  });

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createClient, type Client } from '../../client/index.ts';
import { signDevToken } from '../../platform/auth.ts';
import { createTestDatabase, requireKafka, requireRedis } from './infrastructure.ts';

const root = path.resolve(import.meta.dirname, '../..');
const JWT_SECRET = 'e2e-secret-0123456789abcdef';

type ProcessName = 'gateway' | 'order' | 'inventory' | 'payment';
const entry: Record<ProcessName, string> = {
  gateway: 'gateway/index.ts',
  order: 'subgraphs/order/index.ts',
  inventory: 'subgraphs/inventory/index.ts',
  payment: 'subgraphs/payment/index.ts',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, name: string, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} during start-up; see ${logFile}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not become healthy within ${timeoutMs} ms; see ${logFile}`);
}

export interface RunningSystem {
  gatewayUrl: string;
  token(customerId: string, options?: { admin?: boolean }): Promise<string>;
  /** The typed SDK, signed in as `customerId`. */
  client(customerId: string, options?: { admin?: boolean }): Promise<Client>;
  stop(): Promise<void>;
}

/**
 * Starts every service as its own process, as in production, against real Kafka, PostgreSQL and
 * Redis: a fresh database and a fresh topic prefix per suite, so suites never see each other's data.
 */
export async function startSystem(label: string, env: Record<string, string> = {}): Promise<RunningSystem> {
  const [brokers, redisUrl, database] = await Promise.all([requireKafka(), requireRedis(), createTestDatabase(label)]);
  const ports: Record<ProcessName, number> = { gateway: await freePort(), order: await freePort(), inventory: await freePort(), payment: await freePort() };
  const logDir = path.join(root, 'tests', 'artifacts', `${label}-${randomUUID().slice(0, 6)}`);
  mkdirSync(logDir, { recursive: true });
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: redisUrl,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_PREFIX: `e2e-${label}-${randomUUID().slice(0, 8)}`,
    KAFKA_PARTITIONS: '3',
    JWT_SECRET,
    SEED_DEMO_CATALOG: 'true',
    OUTBOX_POLL_MS: '100',
    GATEWAY_PORT: String(ports.gateway),
    ORDER_PORT: String(ports.order),
    INVENTORY_PORT: String(ports.inventory),
    PAYMENT_PORT: String(ports.payment),
    ...env,
  };
  const children = new Map<ProcessName, ChildProcess>();
  const start = (name: ProcessName) => {
    const logFile = path.join(logDir, `${name}.log`);
    const out = createWriteStream(logFile);
    const child = spawn(process.execPath, ['--import', 'tsx', entry[name]], { cwd: root, env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    children.set(name, child);
    return waitForHealth(`http://127.0.0.1:${ports[name]}/health`, child, name, logFile);
  };
  const stop = async () => {
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await database.drop().catch(() => {});
  };
  try {
    // Inventory first: it seeds the catalog the others read through the graph.
    await start('inventory');
    await Promise.all([start('payment'), start('order')]);
    await start('gateway');
  } catch (err) {
    await stop();
    throw err;
  }
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
  return {
    gatewayUrl,
    token: (customerId, { admin = false } = {}) => signDevToken(JWT_SECRET, customerId, { admin }),
    client: async (customerId, { admin = false } = {}) => createClient({ url: gatewayUrl, token: await signDevToken(JWT_SECRET, customerId, { admin }) }),
    stop,
  };
}

/** Polls until `read` returns a value that satisfies `done`; returns that value. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, { timeoutMs = 30_000, what = 'the condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

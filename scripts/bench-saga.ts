import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { print } from 'graphql';
import { OrdersDocument } from '../client/generated/graphql.ts';
import { type Client, GraphQLClientError, placeWithRetry } from '../client/index.ts';
import {
  deleteTopics,
  demoCatalog,
  orderCounts,
  pgbenchStep,
  type RunningSystem,
  startMeter,
  startSystem,
  UNCAPPED_CUSTOMERS,
} from '../harness/index.ts';
import { type Placement, printRun, statsOf } from './bench-saga-report.ts';
import { startKafka, stopKafka } from './kafka.ts';

/**
 * `npm run bench:saga [-- --mode burst|steady|idle|mixed]`: a benchmark, not a test. It starts the
 * gateway and the three services as separate processes on real Kafka, PostgreSQL and Redis (a fresh
 * database and topic prefix), places `tok_visa` orders for stocked products and prints how fast
 * their sagas complete, what they cost (commits and CPU milliseconds per saga, per process), and —
 * in the same run, on the same database server — what pgbench does with one saga step, as the
 * reference the pipeline is measured against.
 *
 * - burst (default): N orders (1,000) at concurrency C (32);
 * - steady: a fixed offered rate (50/s) for D seconds (30), latency percentiles;
 * - idle: one saga at a time on an otherwise idle system (20 sagas);
 * - mixed: a steady rate (10/s) while autocannon saturates the gateway with order-page reads.
 */
const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'burst' },
    orders: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    rate: { type: 'string' },
    duration: { type: 'string', default: '30' },
    readers: { type: 'string', default: '20' },
    'pgbench-seconds': { type: 'string', default: '10' },
    /** Write a V8 CPU profile of every process to this folder (open in Chrome DevTools). */
    profile: { type: 'string' },
  },
});
const mode = values.mode as 'burst' | 'steady' | 'idle' | 'mixed';
if (!['burst', 'steady', 'idle', 'mixed'].includes(mode)) throw new Error(`unknown --mode ${mode}`);
const ORDERS = Number(values.orders);
const CONCURRENCY = Number(values.concurrency);
const RATE = Number(values.rate ?? (mode === 'mixed' ? 10 : 50));
const DURATION_S = Number(values.duration);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (line = '') => process.stdout.write(`${line}\n`);

/** Places one order; SERVICE_UNAVAILABLE is retried as the SDK's helper does, and counted. */
async function placeOne(client: Client, i: number, stats: Placement, runId: string): Promise<void> {
  const product = demoCatalog[i % demoCatalog.length]!;
  try {
    await placeWithRetry(
      client,
      {
        items: [{ productId: product.id, quantity: 1 }],
        paymentToken: 'tok_visa',
        idempotencyKey: `bench-${runId}-${i}`,
      },
      {
        onRefused: () => void stats.refusals++,
        maxAttempts: 100,
      },
    );
    stats.accepted++;
  } catch (err) {
    const code = err instanceof GraphQLClientError ? err.code : String(err);
    stats.errors.set(code, (stats.errors.get(code) ?? 0) + 1);
  }
}

async function waitUntilFinal(system: RunningSystem, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { final } = await orderCounts(system);
    if (final >= expected || Date.now() > deadline) return final;
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const external = process.env.KAFKA_BROKERS !== undefined;
  const startedBroker = external ? false : await startKafka();
  // Production defaults, not the e2e suites' short intervals.
  const system = await startSystem('bench', {
    nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [],
    env: {
      LOG_LEVEL: 'warn',
      KAFKA_PARTITIONS: '6',
      DATABASE_POOL_SIZE: '10',
      OUTBOX_POLL_MS: '250',
      SAGA_SWEEP_MS: '1000',
      SAGA_RETRY_BACKOFF_MS: '500',
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      // Sixteen customers stand in for thousands.
      ...UNCAPPED_CUSTOMERS,
    },
  });
  try {
    await run(system);
  } finally {
    await system.stop();
    await deleteTopics(system.topicPrefix).catch((err: unknown) =>
      out(`could not delete the run's topics: ${String(err)}`),
    );
    if (startedBroker) await stopKafka();
  }
}

async function run(system: RunningSystem): Promise<void> {
  const runId = Date.now().toString(36);
  out(
    `bench:saga ${mode} on ${availableParallelism()} cores, every process on this machine; database ${new URL(system.databaseUrl).pathname.slice(1)}`,
  );
  const pgbenchTps = pgbenchStep(system.databaseUrl, Number(values['pgbench-seconds']));

  const admin = await system.client('bench-admin', { admin: true });
  const customers = await Promise.all(Array.from({ length: 16 }, (_, i) => system.client(`bench-customer-${i}`)));
  const expected = mode === 'burst' ? ORDERS : mode === 'idle' ? 20 : Math.round(RATE * DURATION_S);
  for (const p of demoCatalog) await admin.restockProduct(p.id, Math.min(10_000, expected));
  // Warm up: one saga through every process, so connection set-up is not measured.
  await placeOne(customers[0]!, 0, { accepted: 0, refusals: 0, errors: new Map() }, `${runId}-warm`);
  await waitUntilFinal(system, 1, 30_000);

  // What the system burns doing nothing (polling, heartbeats), the floor under every figure below.
  const idleMeter = await startMeter(system);
  await sleep(5000);
  const idle = (await idleMeter()).processes.map((p) => `${p.name} ${((p.cpuSeconds * 1000) / 5).toFixed(0)}`);
  const meter = await startMeter(system);
  const statsBefore = await statsOf(system);
  const stats: Placement = { accepted: 0, refusals: 0, errors: new Map() };
  const started = Date.now();
  let reads: autocannon.Result | undefined;

  if (mode === 'burst') {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        for (let i = next++; i < ORDERS; i = next++)
          await placeOne(customers[worker % customers.length]!, i + 1, stats, runId);
      }),
    );
  } else if (mode === 'idle') {
    for (let i = 0; i < expected; i++) {
      await placeOne(customers[0]!, i + 1, stats, runId);
      await waitUntilFinal(system, i + 2, 30_000);
    }
  } else {
    const readerToken = await system.token('bench-admin', { admin: true });
    const reading =
      mode === 'mixed'
        ? autocannon({
            url: system.gatewayUrl,
            connections: Number(values.readers),
            duration: DURATION_S + 2,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${readerToken}` },
            body: JSON.stringify({ query: print(OrdersDocument), variables: { first: 20 } }),
          })
        : undefined;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < expected; i++) {
      const due = started + (i * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      inFlight.push(placeOne(customers[i % customers.length]!, i + 1, stats, runId));
    }
    await Promise.all(inFlight);
    reads = await reading;
  }
  const placedMs = Date.now() - started;
  const finalCount = await waitUntilFinal(system, stats.accepted + 1, 180_000);
  const finishedMs = Date.now() - started;
  const cost = await meter();
  const statsAfter = await statsOf(system);

  await printRun(system, {
    runId,
    mode,
    offered:
      mode === 'burst'
        ? `placed ${ORDERS} orders at concurrency ${CONCURRENCY}`
        : mode === 'idle'
          ? `placed ${expected} orders one at a time, each after the previous one finished`
          : `offered ${RATE} orders/s for ${DURATION_S} s${mode === 'mixed' ? ` while ${values.readers} connections read order pages` : ''}`,
    placement: stats,
    placedMs,
    finishedMs,
    finalCount,
    idle,
    cost,
    counters: { before: statsBefore, after: statsAfter },
    reads,
    pgbenchTps,
  });
}

await main();
process.exit(0);

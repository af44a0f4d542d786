import type { Client } from '../client/index.ts';
import { percentile, type RunningSystem, startSystem } from '../harness/index.ts';
import { startKafka } from './kafka.ts';

/**
 * `npm run bench:live`: measures the live status pipeline on real Kafka, PostgreSQL and Redis.
 * 1. Delay from commit to delivery: 200 subscribers on 50 orders (four each) watch the sagas run;
 *    for every event after the snapshot, the delay is its arrival time minus its `at`, the moment
 *    the status change was written, a few milliseconds before its commit. Once with only the
 *    event's own fields, once with the order resolved through the federated graph.
 * 2. Gateway memory with 1,000 open subscriptions (100 connections of 10), from its /stats.
 * It prints numbers; it asserts nothing.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';

async function delays(
  system: RunningSystem,
  customers: Client[],
  subscribers: Client[],
  federated: boolean,
): Promise<number[]> {
  const samples: number[] = [];
  await system.signal('inventory', 'SIGSTOP');
  let watching: Promise<void>[];
  try {
    const orders = await Promise.all(
      Array.from(
        { length: 50 },
        async (_, i) =>
          (
            await customers[i % 10]!.placeOrder({
              items: [{ productId: NOTEBOOK, quantity: 1 }],
              paymentToken: 'tok_visa',
            })
          ).id,
      ),
    );
    watching = subscribers.map(async (client, i) => {
      const orderId = orders[(i % 10) + 10 * (Math.floor(i / 10) % 5)]!;
      let first = true;
      const stream = federated ? client.orderStatusChanged(orderId) : client.orderStatusOnly(orderId);
      for await (const event of stream) {
        if (!first) samples.push(Date.now() - Date.parse(event.at));
        first = false;
      }
    });
    await sleep(4000);
  } finally {
    await system.signal('inventory', 'SIGCONT');
  }
  await Promise.all(watching!);
  return samples.sort((a, b) => a - b);
}

const gatewayStats = async (system: RunningSystem) =>
  (await fetch(`${system.serviceUrl('gateway')}/stats`).then((r) => r.json())) as {
    memory: NodeJS.MemoryUsage;
    subscriptions: number;
  };
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main() {
  if (process.env.KAFKA_BROKERS === undefined) await startKafka();
  const system = await startSystem('bench-live', { env: { SAGA_DEADLINE_MS: '600000', LOG_LEVEL: 'warn' } });
  const all: Client[] = [];
  try {
    const customers = await Promise.all(Array.from({ length: 10 }, (_, i) => system.client(`buyer-${i}`)));
    const subscribers = await Promise.all(Array.from({ length: 200 }, (_, i) => system.client(`buyer-${i % 10}`)));
    all.push(...customers, ...subscribers);
    for (const federated of [false, true]) {
      const samples = await delays(system, customers, subscribers, federated);
      process.stdout.write(
        `commit → delivery, 200 subscribers, ${federated ? 'order resolved through the graph' : 'event fields only'}: ${samples.length} events, p50 ${percentile(samples, 50)} ms, p99 ${percentile(samples, 99)} ms, max ${samples.at(-1)} ms\n`,
      );
    }

    // 1,000 open subscriptions: orders that wait for a payment answer that never comes.
    await Promise.all(all.map((c) => c.dispose()));
    all.length = 0;
    await sleep(1000);
    const before = await gatewayStats(system);
    const ids = await Promise.all(
      Array.from(
        { length: 250 },
        async (_, i) =>
          (
            await (
              await system.client(`buyer-${i % 10}`)
            ).placeOrder({ items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken: 'tok_timeout' })
          ).id,
      ),
    );
    const watchers = await Promise.all(Array.from({ length: 100 }, (_, i) => system.client(`buyer-${i % 10}`)));
    all.push(...watchers);
    let snapshots = 0;
    let failures = 0;
    for (let i = 0; i < 1000; i++) {
      // Connection c serves customer c % 10; its ten subscriptions watch that customer's orders.
      const c = i % 100;
      const order = ids[(c % 10) + 10 * (Math.floor(i / 100) % 25)]!;
      void (async () => {
        for await (const _event of watchers[c]!.orderStatusOnly(order)) snapshots++;
      })().catch(() => failures++);
    }
    const deadline = Date.now() + 120_000;
    while (snapshots + failures < 1000 && Date.now() < deadline) await sleep(200);
    if (failures > 0) process.stdout.write(`${failures} subscriptions failed\n`);
    await sleep(2000);
    const after = await gatewayStats(system);
    process.stdout.write(
      `gateway with ${after.subscriptions} open subscriptions on 100 connections: rss ${mb(after.memory.rss)} (idle ${mb(before.memory.rss)}, +${mb(after.memory.rss - before.memory.rss)}), heap used ${mb(after.memory.heapUsed)} (idle ${mb(before.memory.heapUsed)})\n`,
    );
  } finally {
    await Promise.all(all.map((c) => c.dispose()));
    await system.stop();
  }
}

await main();
process.exit(0);

import { parseArgs } from 'node:util';
import { type Client, placeWithRetry } from '../client/index.ts';
import { percentile, type RunningSystem, startSystem, untilSteady, waitFor } from '../harness/index.ts';
import { build } from './build.ts';
import { startKafka } from './kafka.ts';

/**
 * `npm run bench:live`: measures the live status pipeline on real Kafka, PostgreSQL and Redis.
 * 1. Delay from commit to delivery: 200 subscribers on 50 orders (four each) watch the sagas run;
 *    for every event after the snapshot, the delay is its arrival time minus its `at`, the moment
 *    the status change was written, a few milliseconds before its commit. Once with only the
 *    event's own fields, once with the order resolved through the federated graph.
 * 2. Gateway memory (RSS and heap after a forced GC, from its /stats) idle and with 10,000 open
 *    subscriptions (1,000 connections of 10; `--connections`, `--per-connection`), and per subscription.
 * Every program runs built (`npm run build`), as production runs it (`--source`: through tsx).
 * It prints numbers; it asserts nothing.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    'per-connection': { type: 'string', default: '10' },
    /** A directory for every process's CPU profile (node --cpu-prof). */
    profile: { type: 'string' },
    /** Only the memory figures, or only the delays. */
    'memory-only': { type: 'boolean', default: false },
    'delays-only': { type: 'boolean', default: false },
    /** Run every program from its TypeScript source through tsx instead of built (`npm run build`). */
    source: { type: 'boolean', default: false },
  },
});
const CONNECTIONS = Number(values.connections);
const PER_CONNECTION = Number(values['per-connection']);
/** Customers of the memory run: a customer may hold 20 connections per replica. */
const CUSTOMERS = Math.ceil(CONNECTIONS / 10);

const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';

/** An order of one notebook, placed again while admission control holds new sagas back. */
const place = (client: Client, paymentToken: string) =>
  placeWithRetry(client, { items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken }, { maxAttempts: 100 });

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
      Array.from({ length: 50 }, async (_, i) => (await place(customers[i % 10]!, 'tok_visa')).id),
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

/**
 * The gateway's /stats once its memory has settled: collected (it runs with --expose-gc here) every
 * half second until RSS moves less than 1 MB three times running — V8 hands freed pages back to the
 * system over a few collections, not at the first.
 */
const gatewayStats = (system: RunningSystem) =>
  untilSteady(
    async () =>
      (await fetch(`${system.serviceUrl('gateway')}/stats?gc=1`).then((r) => r.json())) as {
        memory: NodeJS.MemoryUsage;
        subscriptions: number;
      },
    (stats) => [stats.memory.rss],
    { tolerance: 1024 * 1024 },
  );
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main() {
  if (process.env.KAFKA_BROKERS === undefined) await startKafka();
  if (!values.source) await build();
  const system = await startSystem('bench-live', {
    built: !values.source,
    env: { SAGA_DEADLINE_MS: '600000', LOG_LEVEL: 'warn' },
    nodeArgs: ['--expose-gc', ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [])],
  });
  const all: Client[] = [];
  try {
    const customers = await Promise.all(Array.from({ length: 10 }, (_, i) => system.client(`buyer-${i}`)));
    const subscribers = await Promise.all(Array.from({ length: 200 }, (_, i) => system.client(`buyer-${i % 10}`)));
    all.push(...customers, ...subscribers);
    for (const federated of values['memory-only'] ? [] : [false, true]) {
      const samples = await delays(system, customers, subscribers, federated);
      process.stdout.write(
        `commit → delivery, 200 subscribers, ${federated ? 'order resolved through the graph' : 'event fields only'}: ${samples.length} events, p50 ${percentile(samples, 50)} ms, p99 ${percentile(samples, 99)} ms, max ${samples.at(-1)} ms\n`,
      );
    }

    if (values['delays-only']) return;
    // 10,000 open subscriptions, 10 per connection: each connection watches its customer's order,
    // which waits for a payment answer that never comes. Memory is read after a forced GC.
    await Promise.all(all.map((c) => c.dispose()));
    all.length = 0;
    const idle = await gatewayStats(system);
    const ids = await Promise.all(
      Array.from({ length: CUSTOMERS }, async (_, c) => {
        const client = await system.client(`watcher-${c}`);
        all.push(client);
        return (await place(client, 'tok_timeout')).id;
      }),
    );
    const watchers: Client[] = [];
    for (let i = 0; i < CONNECTIONS; i += 50)
      watchers.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, CONNECTIONS - i) }, (_, j) =>
            system.client(`watcher-${(i + j) % CUSTOMERS}`),
          ),
        )),
      );
    all.push(...watchers);
    let snapshots = 0;
    let failures = 0;
    const total = CONNECTIONS * PER_CONNECTION;
    for (let i = 0; i < total; i++) {
      const c = i % CONNECTIONS;
      void (async () => {
        for await (const _event of watchers[c]!.orderStatusOnly(ids[c % CUSTOMERS]!)) snapshots++;
      })().catch(() => failures++);
      if (i % 500 === 499)
        await waitFor(
          async () => snapshots + failures,
          (n) => n > i - 250,
          { what: 'the subscriptions opened so far', timeoutMs: 120_000 },
        );
    }
    await waitFor(
      async () => snapshots + failures,
      (n) => n >= total,
      { what: `${total} subscriptions`, timeoutMs: 300_000 },
    );
    if (failures > 0) process.stdout.write(`${failures} subscriptions failed\n`);
    const held = await gatewayStats(system);
    const perSubscription = (held.memory.rss - idle.memory.rss) / Math.max(1, held.subscriptions);
    process.stdout.write(
      `gateway, after a forced GC: idle rss ${mb(idle.memory.rss)} (heap ${mb(idle.memory.heapUsed)}); with ${held.subscriptions} open subscriptions on ${CONNECTIONS} connections rss ${mb(held.memory.rss)} (heap ${mb(held.memory.heapUsed)}), ${(perSubscription / 1024).toFixed(1)} KB per subscription\n`,
    );
  } finally {
    await Promise.all(all.map((c) => c.dispose()));
    await system.stop();
  }
}

await main();
process.exit(0);

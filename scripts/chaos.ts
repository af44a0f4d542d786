import { parseArgs } from 'node:util';
import { type Client, GraphQLClientError } from '../client/index.ts';
import {
  checkInvariants,
  demoCatalog,
  formatInvariants,
  type RunningSystem,
  type ServiceProcess,
  startSystem,
  withKafkaAdmin,
} from '../harness/index.ts';
import { finalOrderStatuses } from '../messaging/index.ts';
import { startKafka, stopKafka } from './kafka.ts';

/**
 * `npm run chaos [-- --orders 500 --duration 90 --kill-every 4]`: runs many sagas with mixed
 * payment tokens and cancellations through the gateway on real Kafka, PostgreSQL and Redis, with
 * two replicas of the order service and of inventory, while killing (SIGKILL) a random process every
 * few seconds and restarting the Kafka broker once. Then it checks the invariants and prints them;
 * it exits non-zero if any is broken or a saga did not finish in time.
 */
const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '500' },
    duration: { type: 'string', default: '90' },
    'kill-every': { type: 'string', default: '4' },
    'deadline-ms': { type: 'string', default: '30000' },
    seed: { type: 'string', default: String(Date.now()) },
  },
});
const ORDERS = Number(values.orders);
const DURATION_MS = Number(values.duration) * 1000;
const KILL_EVERY_MS = Number(values['kill-every']) * 1000;
const DEADLINE_MS = Number(values['deadline-ms']);
const FINAL_BOUND_MS = DEADLINE_MS + 90_000;

// A small seeded generator, so a failing run can be repeated with --seed.
let state = Number(values.seed) % 2 ** 31 || 1;
const random = () => {
  state = (state * 48271) % 2147483647;
  return state / 2147483647;
};
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (message: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const tokens = [
  ...Array(12).fill('tok_visa'),
  ...Array(4).fill('tok_chargeDeclined'),
  'tok_timeout',
  'tok_timeout',
  'tok_unknown',
  'tok_visa',
];

/** What the clients were answered while the system was killed under them, by code. */
const retried = new Map<string, number>();

/** Retries a call while the system is being killed under it; domain errors end the retry. */
async function surely<T>(call: () => Promise<T>, { until = Date.now() + FINAL_BOUND_MS } = {}): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const code = err instanceof GraphQLClientError ? err.code : 'NETWORK';
      if (err instanceof GraphQLClientError && code !== 'INTERNAL_SERVER_ERROR' && code !== 'SERVICE_UNAVAILABLE')
        throw err;
      retried.set(code, (retried.get(code) ?? 0) + 1);
      if (Date.now() > until) throw err;
      await sleep(250 + random() * 500);
    }
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const external = process.env.KAFKA_BROKERS !== undefined;
  if (!external) await startKafka();
  log(
    `seed ${values.seed}; ${ORDERS} orders over ${DURATION_MS / 1000} s, a kill every ${KILL_EVERY_MS / 1000} s, saga deadline ${DEADLINE_MS} ms`,
  );
  const system = await startSystem('chaos', {
    supervise: true,
    replicas: { order: 2, inventory: 2 },
    // Eight customers stand in for many: the per-customer caps must not be what is tested.
    env: {
      SAGA_DEADLINE_MS: String(DEADLINE_MS),
      LOG_LEVEL: 'warn',
      ORDER_MAX_OPEN_PER_CUSTOMER: '100000',
      ORDER_MAX_OPEN_UNITS_PER_CUSTOMER: '1000000',
      RATE_LIMIT_PER_CUSTOMER_PER_MINUTE: '1000000',
      RATE_LIMIT_MUTATIONS_PER_CUSTOMER_PER_MINUTE: '1000000',
    },
  });
  let exitCode = 1;
  try {
    exitCode = await run(system, external, started);
  } finally {
    await system.stop();
  }
  return exitCode;
}

async function run(system: RunningSystem, external: boolean, started: number): Promise<number> {
  const customers: Client[] = await Promise.all(Array.from({ length: 8 }, (_, i) => system.client(`customer-${i}`)));
  const admin = await system.client('chaos-admin', { admin: true });
  const placed: { id: string; client: Client }[] = [];
  let restocked = 0;
  let cancels = 0;
  let kills = 0;
  let brokerRestarts = 0;
  let lastDisturbance = Date.now();
  let loadDone = false;

  const monkey = (async () => {
    const targets: [ServiceProcess, number][] = [
      ['gateway', 0],
      ['order', 0],
      ['order', 1],
      ['inventory', 0],
      ['inventory', 1],
      ['payment', 0],
    ];
    const brokerAt = Date.now() + DURATION_MS / 2;
    while (!loadDone) {
      await sleep(KILL_EVERY_MS * (0.5 + random()));
      if (loadDone) break;
      if (!external && brokerRestarts === 0 && Date.now() >= brokerAt) {
        log('restarting the Kafka broker');
        await stopKafka();
        await startKafka();
        brokerRestarts++;
      } else {
        const [name, replica] = pick(targets);
        log(`SIGKILL ${name}-${replica}`);
        await system.signal(name, 'SIGKILL', replica);
        kills++;
      }
      lastDisturbance = Date.now();
    }
  })();

  const interval = DURATION_MS / ORDERS;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const client = pick(customers);
    const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(demoCatalog));
    const items = [
      ...new Map(lines.map((p) => [p.id, { productId: p.id, quantity: 1 + Math.floor(random() * 3) }])).values(),
    ];
    const input = { items, paymentToken: pick(tokens), idempotencyKey: `chaos-${i}` };
    inFlight.push(
      (async () => {
        const order = await surely(() => client.placeOrder(input));
        placed.push({ id: order.id, client });
        if (random() < 0.06) {
          await sleep(random() * 300);
          cancels++;
          await surely(() => client.cancelOrder(order.id)).catch(() => {}); // BAD_USER_INPUT: it finished first
        }
      })(),
    );
    if (i % 50 === 25) {
      inFlight.push(
        surely(() => admin.restockProduct(pick(demoCatalog).id, 20)).then(
          () => {
            restocked += 20;
          },
          () => {},
        ),
      );
    }
    await sleep(interval);
  }
  await Promise.all(inFlight);
  loadDone = true;
  await monkey;
  await system.settled();
  log(
    `placed ${placed.length} orders (${cancels} cancellations, ${restocked} units restocked), ${kills} kills, ${brokerRestarts} broker restart(s); waiting for every saga to finish`,
  );

  const deadline = lastDisturbance + FINAL_BOUND_MS;
  let open = placed.length;
  let lastFinalAt = Date.now();
  while (Date.now() < deadline) {
    const [row] = await system.sql<{ n: number }>(
      `select count(*)::int as n from orders.orders where status not in (${finalOrderStatuses.map((s) => `'${s}'`).join(',')})`,
    );
    open = row!.n;
    if (open === 0) break;
    lastFinalAt = Date.now();
    await sleep(1000);
  }
  // Let relays drain what the last transitions wrote.
  await sleep(2000);
  const settleMs = Math.max(0, lastFinalAt - lastDisturbance);

  const invariants = await checkInvariants(system.sql);
  const deadLetters = await countDeadLetters(system.topicPrefix);
  const [orders] = await system.sql<{ n: number }>(`select count(*)::int as n from orders.orders`);
  const rows = [
    {
      name: 'orders accepted = orders placed',
      ok: orders!.n === placed.length,
      detail: `${orders!.n} stored, ${placed.length} placed (${ORDERS} attempted)`,
    },
    {
      name: `every saga final within ${FINAL_BOUND_MS / 1000} s of the last kill`,
      ok: open === 0,
      detail:
        open === 0 ? `last saga final ${(settleMs / 1000).toFixed(1)} s after the last kill` : `${open} still open`,
    },
    ...invariants,
    { name: 'dead letters', ok: true, detail: `${deadLetters} (informational)` },
  ];
  process.stdout.write(`\n${formatInvariants(rows)}\n\n`);
  const reasons = await system.sql<{ status: string; reason: string; n: number }>(
    `select status, regexp_replace(coalesce(failure_reason, ''), '(for |product ).*$', '\\1…') as reason, count(*)::int as n from orders.orders where status <> 'COMPLETED' group by 1, 2 order by n desc`,
  );
  process.stdout.write(
    `why orders did not complete:\n${reasons.map((r) => `  ${String(r.n).padStart(5)}  ${r.status}  ${r.reason}`).join('\n')}\n\n`,
  );
  process.stdout.write(`answers retried by the clients: ${JSON.stringify(Object.fromEntries(retried))}\n`);
  process.stdout.write(
    `kills: ${kills}, broker restarts: ${brokerRestarts}, restarts by service: ${JSON.stringify(system.restarts)}\n`,
  );
  process.stdout.write(`wall time: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const failed = rows.filter((r) => !r.ok);
  process.stdout.write(
    failed.length === 0 ? 'chaos: every invariant holds\n' : `chaos: ${failed.length} invariant(s) broken\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

/** Messages in the run's dead-letter topics. */
const countDeadLetters = (prefix: string): Promise<number> =>
  withKafkaAdmin('chaos-audit', async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`) && t.endsWith('.dlq'));
    let total = 0;
    for (const topic of topics)
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    return total;
  });

process.exit(await main());

import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, placeWithRetry } from '../client/index.ts';
import {
  checkInvariants,
  formatInvariants,
  infraEnv,
  type RunningSystem,
  startSystem,
  UNCAPPED_CUSTOMERS,
  waitFor,
} from '../harness/index.ts';
import { isFinalOrderStatus } from '../messaging/index.ts';

/**
 * Proof by fault: services die with SIGKILL at the worst moments — between a database commit and
 * the publish, after a publish before it is recorded, after an effect before the Kafka offset is
 * committed, and at random under load with two replicas — and every saga still ends final, with
 * nothing reserved, charged or published twice.
 */
const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';
const CABLE = '7a1c0e52-0002-4000-8000-000000000002';
const MOUSE = '7a1c0e52-0007-4000-8000-000000000007';

const expectInvariants = async (system: RunningSystem) => {
  const invariants = await checkInvariants(system.sql);
  expect(
    invariants.filter((i) => !i.ok),
    formatInvariants(invariants),
  ).toEqual([]);
};

/** Places an order the way a careful client does: with an idempotency key, retried until it answers. */
async function placeSurely(client: Client, input: Parameters<Client['placeOrder']>[0]) {
  // A refusal is kept as the last value, so a timeout says what the system answered.
  return waitFor(
    () => client.placeOrder(input).catch((err: unknown) => String(err)),
    (order) => typeof order !== 'string',
    { timeoutMs: 60_000, what: 'the order to be accepted' },
  ) as ReturnType<Client['placeOrder']>;
}

describe('a crash at each dangerous point of one saga', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem('crash', {
      supervise: true,
      serviceEnv: {
        order: { FAULTS: 'outbox.crashBeforePublish:1' },
        inventory: { FAULTS: 'inbox.crashAfterCommit:1' },
        payment: { FAULTS: 'outbox.crashAfterPublish:1' },
      },
    });
  });
  afterAll(() => system?.stop());

  it('completes the order once: reserved once, charged once, every outbox drained', async () => {
    const alice = await system.client('alice');
    const before = (await alice.product(NOTEBOOK))!;
    const placed = await placeSurely(alice, {
      items: [{ productId: NOTEBOOK, quantity: 3 }],
      paymentToken: 'tok_visa',
      idempotencyKey: 'crash-1',
    });
    const order = await waitFor(
      async () => await alice.orderStatus(placed.id).catch(() => null),
      (o) => o?.status === 'COMPLETED',
      { timeoutMs: 90_000, what: 'the order to complete' },
    );
    await system.settled();

    // Each service died once, at its fault point, and was restarted.
    expect(system.restarts).toMatchObject({ order: 1, inventory: 1, payment: 1 });
    expect(order!.saga.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'reserveInventory:SUCCEEDED',
      'chargePayment:SUCCEEDED',
      'commitInventory:SUCCEEDED',
      'completeOrder:SUCCEEDED',
    ]);
    const after = (await alice.product(NOTEBOOK))!;
    expect(after.available).toBe(before.available - 3);
    expect(after.reserved).toBe(0);
    expect(
      await system.sql(
        `select count(*)::int as n from payments.simulated_provider_ledger where order_id = '${placed.id}'`,
      ),
    ).toEqual([{ n: 1 }]);
    await expectInvariants(system);
  });

  it('saw the duplicate publish the payment crash caused, and handled it once', async () => {
    const kafka = new Kafka({ clientId: 'crash-test', brokers: infraEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `${system.topicPrefix}.crash-test` });
    const ids: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: `${system.topicPrefix}.saga.replies`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void ids.push(message.headers!['message-id']!.toString()),
      });
      await waitFor(
        async () => ids.length,
        (n) => n >= 4,
        { what: 'the replies' },
      );
    } finally {
      await consumer.disconnect();
    }
    const duplicated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(duplicated.length).toBeGreaterThanOrEqual(1);
    const handled = await system.sql<{ n: number }>(
      `select count(*)::int as n from orders.inbox where message_id in (${[...new Set(duplicated)].map((id) => `'${id}'`).join(',')})`,
    );
    expect(handled).toEqual([{ n: new Set(duplicated).size }]);
  });
});

describe('two replicas of the orchestrator and of inventory, killed under load', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    // Three customers stand in for many: retried placements of ten orders each would otherwise
    // spend a customer's mutations per minute while a subgraph is briefly unreachable.
    system = await startSystem('replicas', {
      supervise: true,
      replicas: { order: 2, inventory: 2 },
      env: UNCAPPED_CUSTOMERS,
    });
  });
  afterAll(() => system?.stop());

  it('ends every saga final, with stock and money balanced', async () => {
    const customers = await Promise.all(['ann', 'ben', 'cat'].map((c) => system.client(c)));
    const tokens = ['tok_visa', 'tok_visa', 'tok_chargeDeclined'];
    const products = [NOTEBOOK, CABLE, MOUSE];
    const placing = Array.from({ length: 30 }, (_, i) =>
      placeSurely(customers[i % 3]!, {
        items: [{ productId: products[i % 3]!, quantity: 1 + (i % 2) }],
        paymentToken: tokens[i % 3]!,
        idempotencyKey: `load-${i}`,
      }),
    );
    // Kill one replica of each while the orders flow (some stored, others still coming); the
    // supervisor brings them back.
    await waitFor(
      () => system.sql<{ n: number }>(`select count(*)::int as n from orders.orders`),
      ([row]) => row!.n >= 5,
      { what: 'the first orders' },
    );
    await Promise.all([system.signal('order', 'SIGKILL', 1), system.signal('inventory', 'SIGKILL', 1)]);
    const orders = await Promise.all(placing);
    await system.settled();

    const client = await system.client('auditor', { admin: true });
    const finals = await Promise.all(
      orders.map((o) =>
        waitFor(
          () => client.orderStatus(o.id).catch(() => null),
          (s) => isFinalOrderStatus(s?.status ?? ''),
          { timeoutMs: 90_000, what: `order ${o.id}` },
        ),
      ),
    );
    expect(system.restarts.order + system.restarts.inventory).toBeGreaterThanOrEqual(2);
    expect(finals.filter((o, i) => tokens[i % 3] === 'tok_visa' && o!.status !== 'COMPLETED')).toEqual([]);
    expect(finals.filter((o, i) => tokens[i % 3] === 'tok_chargeDeclined' && o!.status !== 'FAILED')).toEqual([]);
    await expectInvariants(system);
  });
});

describe('the order service down', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem('down', { env: { SUBGRAPH_BREAKER_HALF_OPEN_MS: '500' } });
  });
  afterAll(() => system?.stop());

  it('answers placements with a retriable 503 while it is down, and the SDK retry places the order once when it is back', async () => {
    const alice = await system.client('alice');
    await system.signal('order', 'SIGKILL');

    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await system.token('alice')}` },
      body: JSON.stringify({
        query: `mutation { placeOrder(input: { items: [{ productId: "${NOTEBOOK}", quantity: 1 }], paymentToken: "tok_visa" }) { order { id } } }`,
      }),
    });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await response.json()) as { errors: { extensions: { code: string; retryAfterMs: number } }[] };
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterMs: expect.any(Number) });

    let refusals = 0;
    const placing = placeWithRetry(
      alice,
      { items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken: 'tok_visa', idempotencyKey: 'while-down' },
      {
        maxAttempts: 200,
        maxDelayMs: 500,
        onRefused: () => void refusals++,
      },
    );
    await waitFor(
      async () => refusals,
      (n) => n >= 2,
      { what: 'the SDK to be refused twice' },
    );
    await system.restart('order');
    const order = await placing;
    expect(order.status).toBe('PENDING');
    expect(
      await system.sql(`select count(*)::int as n from orders.orders where idempotency_key = 'while-down'`),
    ).toEqual([{ n: 1 }]);
    await waitFor(
      () => alice.orderStatus(order.id),
      (o) => o?.status === 'COMPLETED',
      { timeoutMs: 60_000, what: 'the order to complete' },
    );
  });
});

import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, GraphQLClientError, OrderFieldsFragment } from '../client/index.ts';
import { checkInvariants, infraEnv, type RunningSystem, startSystem, waitFor } from '../harness/index.ts';
import { isFinalOrderStatus } from '../messaging/index.ts';

/**
 * Deadlines, cancellation at each step, idempotent placement and the dead-letter path, on real
 * Kafka, PostgreSQL and Redis. Participants are paused with SIGSTOP to hold a saga at a step.
 */
const DEADLINE_MS = 8000;
const SWEEP_MS = 250;
const PRODUCT = {
  headphones: '7a1c0e52-0003-4000-8000-000000000003',
  keyboard: '7a1c0e52-0004-4000-8000-000000000004',
  monitor: '7a1c0e52-0006-4000-8000-000000000006',
  mouse: '7a1c0e52-0007-4000-8000-000000000007',
  notebook: '7a1c0e52-0009-4000-8000-000000000009',
};

let system: RunningSystem;
let alice: Client;

beforeAll(async () => {
  system = await startSystem('recovery', {
    env: { SAGA_DEADLINE_MS: String(DEADLINE_MS), SAGA_SWEEP_MS: String(SWEEP_MS) },
  });
  alice = await system.client('alice');
});
afterAll(async () => {
  await system?.stop();
});

const stock = async (id: string) => {
  const p = (await alice.product(id))!;
  return { available: p.available, reserved: p.reserved };
};
const statusOf = async (id: string) => (await alice.orderStatus(id))!.status;
/** Polls the order service alone, so a paused participant cannot hold the answer up. */
const until = (id: string, status: string, timeoutMs = 30_000) =>
  waitFor(
    async () => (await alice.orderStatus(id))!,
    (o) => o.status === status,
    { timeoutMs, what: `order ${id} to be ${status}` },
  );

const final = (id: string, timeoutMs = 30_000) =>
  waitFor(
    async () => (await alice.order(id))!,
    (o) => isFinalOrderStatus(o.status),
    { timeoutMs, what: `order ${id} to finish` },
  );
const steps = (o: OrderFieldsFragment) => o.saga.steps.map((s) => `${s.name}:${s.status}`);
const ledger = (orderId: string) =>
  system.sql<{ kind: string; outcome: string; amount_cents: string }>(
    `select kind, outcome, amount_cents from payments.simulated_provider_ledger where order_id = '${orderId}' order by created_at`,
  );

describe('a saga that cannot finish in time', () => {
  it('fails a tok_timeout order after its deadline, says the payment timed out, and puts the stock back', async () => {
    const before = await stock(PRODUCT.headphones);
    const started = Date.now();
    const placed = await alice.placeOrder({
      items: [{ productId: PRODUCT.headphones, quantity: 1 }],
      paymentToken: 'tok_timeout',
    });
    const order = await final(placed.id, DEADLINE_MS + 20_000);
    const elapsed = Date.now() - started;
    expect(order.status).toBe('FAILED');
    expect(order.failureReason).toMatch(/payment timed out/i);
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 500);
    expect(order.saga.status).toBe('COMPENSATED');
    expect(steps(order)).toEqual([
      'reserveInventory:COMPENSATED',
      'chargePayment:COMPENSATED',
      'refundPayment:SUCCEEDED',
      'releaseInventory:SUCCEEDED',
    ]);
    expect(order.payment).toMatchObject({ status: 'FAILED' });
    expect(await ledger(placed.id)).toEqual([]);
    expect(await stock(PRODUCT.headphones)).toEqual(before);
  });
});

describe('placing the same order twice', () => {
  it('returns the same order for the same idempotency key, with one saga and one charge', async () => {
    const input = {
      items: [{ productId: PRODUCT.notebook, quantity: 2 }],
      paymentToken: 'tok_visa',
      idempotencyKey: 'checkout-7f3a',
    };
    const [first, second] = await Promise.all([alice.placeOrder(input), alice.placeOrder(input)]);
    const third = await alice.placeOrder(input);
    expect(second.id).toBe(first.id);
    expect(third.id).toBe(first.id);
    expect((await final(first.id)).status).toBe('COMPLETED');
    expect(
      await system.sql(`select count(*)::int as n from saga.instances where business_key = '${first.id}'`),
    ).toEqual([{ n: 1 }]);
    expect(
      await system.sql(`select count(*)::int as n from orders.orders where idempotency_key = 'checkout-7f3a'`),
    ).toEqual([{ n: 1 }]);
    expect(await ledger(first.id)).toEqual([{ kind: 'CHARGE', outcome: 'APPROVED', amount_cents: '1998' }]);
    const other = await (await system.client('bob')).placeOrder(input);
    expect(other.id).not.toBe(first.id);
  });
});

describe('cancelling an order', () => {
  it('while its stock is being reserved: nothing is charged and the stock is unchanged', async () => {
    // The order service prices orders from its own catalog: placing one needs no answer from inventory.
    const before = await stock(PRODUCT.keyboard);
    await system.signal('inventory', 'SIGSTOP');
    let id = '';
    try {
      id = (await alice.placeOrder({ items: [{ productId: PRODUCT.keyboard, quantity: 2 }], paymentToken: 'tok_visa' }))
        .id;
      await alice.cancelOrder(id);
      expect(await alice.orderStatus(id)).toMatchObject({
        status: 'PENDING',
        saga: { status: 'COMPENSATING', currentStep: 'releaseInventory' },
      });
    } finally {
      await system.signal('inventory', 'SIGCONT');
    }
    const order = await final(id);
    expect(order.status).toBe('CANCELLED');
    expect(order.failureReason).toBe('Cancelled by the customer');
    expect(steps(order)).toEqual(['reserveInventory:COMPENSATED', 'releaseInventory:SUCCEEDED']);
    expect(order.payment).toBeNull();
    expect(await stock(PRODUCT.keyboard)).toEqual(before);
  });

  it('while it is being charged: the charge that went through is refunded and the stock released', async () => {
    const before = await stock(PRODUCT.mouse);
    await system.signal('payment', 'SIGSTOP');
    let id = '';
    try {
      id = (await alice.placeOrder({ items: [{ productId: PRODUCT.mouse, quantity: 1 }], paymentToken: 'tok_visa' }))
        .id;
      await until(id, 'INVENTORY_CONFIRMED');
      await alice.cancelOrder(id);
    } finally {
      await system.signal('payment', 'SIGCONT');
    }
    const order = await final(id);
    expect(order.status).toBe('CANCELLED');
    expect(steps(order)).toEqual([
      'reserveInventory:COMPENSATED',
      'chargePayment:COMPENSATED',
      'refundPayment:SUCCEEDED',
      'releaseInventory:SUCCEEDED',
    ]);
    expect(order.payment).toMatchObject({ status: 'REFUNDED' });
    expect((await ledger(id)).map((l) => l.kind)).toEqual(['CHARGE', 'REFUND']);
    expect(await stock(PRODUCT.mouse)).toEqual(before);
  });

  it('while its stock is being committed: the sold stock goes back, the payment is refunded', async () => {
    const before = await stock(PRODUCT.monitor);
    await system.signal('payment', 'SIGSTOP');
    let id = '';
    try {
      id = (await alice.placeOrder({ items: [{ productId: PRODUCT.monitor, quantity: 1 }], paymentToken: 'tok_visa' }))
        .id;
      await until(id, 'INVENTORY_CONFIRMED');
      await system.signal('inventory', 'SIGSTOP');
      await system.signal('payment', 'SIGCONT');
      await until(id, 'PAYMENT_CONFIRMED');
      await alice.cancelOrder(id);
    } finally {
      await system.signal('payment', 'SIGCONT');
      await system.signal('inventory', 'SIGCONT');
    }
    const order = await final(id);
    expect(order.status).toBe('CANCELLED');
    expect(steps(order)).toEqual([
      'reserveInventory:COMPENSATED',
      'chargePayment:COMPENSATED',
      'commitInventory:COMPENSATED',
      'returnInventory:SUCCEEDED',
      'refundPayment:SUCCEEDED',
      'releaseInventory:SUCCEEDED',
    ]);
    expect(order.payment).toMatchObject({ status: 'REFUNDED' });
    expect(await stock(PRODUCT.monitor)).toEqual(before);
  });

  it('refuses to cancel a final order, or another customer’s', async () => {
    const placed = await alice.placeOrder({
      items: [{ productId: PRODUCT.notebook, quantity: 1 }],
      paymentToken: 'tok_visa',
    });
    expect(await (await system.client('mallory')).cancelOrder(placed.id).catch((e: GraphQLClientError) => e.code)).toBe(
      'FORBIDDEN',
    );
    expect((await final(placed.id)).status).toBe('COMPLETED');
    expect(await alice.cancelOrder(placed.id).catch((e: GraphQLClientError) => e.code)).toBe('BAD_USER_INPUT');
    expect(await statusOf(placed.id)).toBe('COMPLETED');
  });
});

describe('a message no consumer can handle', () => {
  it('goes to the dead-letter topic with the reason, and the consumer moves on', async () => {
    const kafka = new Kafka({ clientId: 'dlq-test', brokers: infraEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `${system.topicPrefix}.dlq-test` });
    const dead: { value: string; reason: string }[] = [];
    await Promise.all([producer.connect(), consumer.connect()]);
    try {
      await consumer.subscribe({ topic: `${system.topicPrefix}.inventory.commands.dlq`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) =>
          void dead.push({ value: message.value!.toString(), reason: message.headers!['dlq-reason']!.toString() }),
      });
      await producer.send({
        topic: `${system.topicPrefix}.inventory.commands`,
        messages: [
          { key: 'poison-1', value: 'not json at all' },
          {
            key: 'poison-2',
            value: JSON.stringify({
              id: 'x',
              type: 'ReserveInventory',
              schemaVersion: 1,
              correlationId: 'c',
              causationId: null,
              occurredAt: new Date().toISOString(),
              key: 'k',
              payload: {},
            }),
          },
        ],
      });
      await waitFor(
        async () => dead.length,
        (n) => n >= 2,
        { what: 'two dead letters' },
      );
      expect(dead.map((d) => d.value)).toContain('not json at all');
      expect(dead.find((d) => d.value === 'not json at all')!.reason).toBe('message is not JSON');
      expect(dead.find((d) => d.value !== 'not json at all')!.reason).toMatch(/invalid envelope/);
      const order = await alice.placeOrder({
        items: [{ productId: PRODUCT.notebook, quantity: 1 }],
        paymentToken: 'tok_visa',
      });
      expect((await final(order.id)).status).toBe('COMPLETED');
    } finally {
      await Promise.all([producer.disconnect(), consumer.disconnect()]);
    }
  });
});

describe('the system at rest', () => {
  it('keeps every invariant after all of the above', async () => {
    const failed = (await checkInvariants(system.sql)).filter((i) => !i.ok);
    expect(failed).toEqual([]);
  });
});

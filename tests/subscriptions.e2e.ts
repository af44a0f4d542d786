import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, GraphQLClientError } from '../client/index.ts';
import { type RunningSystem, startSystem, waitFor } from '../harness/index.ts';

/**
 * Live order status through the gateway's graphql-ws endpoint, fed by Kafka: two gateway replicas,
 * real PostgreSQL and Redis. Inventory is paused with SIGSTOP to hold new orders at their first
 * step while subscribers connect, so every subscriber must see the whole saga.
 */
const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';
const CABLE = '7a1c0e52-0002-4000-8000-000000000002';

let system: RunningSystem;
let alice: Client;
const clients: Client[] = [];

beforeAll(async () => {
  system = await startSystem('live', { replicas: { gateway: 2 } });
  alice = await system.client('alice');
  clients.push(alice);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await system?.stop();
});

type Event = {
  status: string;
  version: number;
  reason: string | null;
  orderStatus: string;
  orderVersion: number;
  sku: string | undefined;
  payment: string | null | undefined;
};
async function collect(client: Client, orderId: string): Promise<Event[]> {
  const events: Event[] = [];
  for await (const e of client.orderStatusChanged(orderId)) {
    events.push({
      status: e.status,
      version: e.version,
      reason: e.reason,
      orderStatus: e.order.status,
      orderVersion: e.order.version ?? 0,
      sku: e.order.items[0]?.product.sku,
      payment: e.order.payment?.status,
    });
  }
  return events;
}

/** Subscriptions open on every gateway replica, as each reports at /stats. */
const openSubscriptions = async () => {
  const stats = await Promise.all(
    system
      .gatewayUrls()
      .map((url) =>
        fetch(url.replace(/\/graphql$/, '/stats')).then((r) => r.json() as Promise<{ subscriptions: number }>),
      ),
  );
  return stats.reduce((sum, s) => sum + s.subscriptions, 0);
};

/**
 * Places orders while inventory is paused, subscribes, and lets the sagas run once the gateways
 * hold all `expected` new subscriptions. A subscription listens before it reads its snapshot, and
 * the first event reaches the client only once inventory answers again (the `order` payload
 * includes products), so every subscriber sees the whole saga.
 */
async function heldOrders<T>(
  place: () => Promise<string[]>,
  subscribe: (ids: string[]) => Promise<T>,
  expected: number,
): Promise<T> {
  const before = await openSubscriptions();
  await system.signal('inventory', 'SIGSTOP');
  let result: Promise<T>;
  try {
    const ids = await place();
    result = subscribe(ids);
    await waitFor(openSubscriptions, (n) => n >= before + expected, { what: `${expected} subscriptions to be open` });
  } finally {
    await system.signal('inventory', 'SIGCONT');
  }
  return result!;
}

const statuses = (events: Event[]) => events.map((e) => e.status);

describe('orderStatusChanged', () => {
  it('streams PENDING … COMPLETED in order, with consecutive versions and the whole order as of each event, then completes', async () => {
    const events = await heldOrders(
      async () => [
        (await alice.placeOrder({ items: [{ productId: BOOK, quantity: 1 }], paymentToken: 'tok_visa' })).id,
      ],
      ([id]) => collect(alice, id!),
      1,
    );
    expect(statuses(events)).toEqual(['PENDING', 'INVENTORY_CONFIRMED', 'PAYMENT_CONFIRMED', 'COMPLETED']);
    expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    for (const e of events) {
      expect(e.sku).toBe('BOOK-DDD');
      expect([e.orderStatus, e.orderVersion]).toEqual([e.status, e.version]);
    }
    expect(events.at(-1)).toMatchObject({ orderStatus: 'COMPLETED', payment: 'APPROVED' });
  });

  it('ends with FAILED and the reason for a declined payment', async () => {
    const events = await heldOrders(
      async () => [
        (await alice.placeOrder({ items: [{ productId: CABLE, quantity: 1 }], paymentToken: 'tok_chargeDeclined' })).id,
      ],
      ([id]) => collect(alice, id!),
      1,
    );
    expect(statuses(events)).toEqual(['PENDING', 'INVENTORY_CONFIRMED', 'FAILED']);
    expect(events.at(-1)!.reason).toMatch(/declined/);
  });

  it('never lets a client that has seen an event read an older state afterwards (read-your-events)', async () => {
    const order = await alice.placeOrder({ items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken: 'tok_visa' });
    await alice.orderStatus(order.id); // a cached view of an early version
    const reads: [number, number][] = [];
    for await (const event of alice.orderStatusChanged(order.id)) {
      reads.push([event.version, (await alice.orderStatus(order.id))!.version]);
    }
    expect(reads.length).toBeGreaterThan(0);
    for (const [seen, read] of reads) expect(read).toBeGreaterThanOrEqual(seen);
    const stats = (await fetch(`${system.serviceUrl('order')}/stats`).then((r) => r.json())) as {
      orderCache: { hits: number; misses: number };
    };
    expect(stats.orderCache.hits + stats.orderCache.misses).toBeGreaterThan(0);
  });

  it('gives a late subscriber the final state at once, and completes', async () => {
    const order = await alice.placeOrder({ items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken: 'tok_visa' });
    await collect(alice, order.id); // until it is final
    const late = await collect(await system.client('alice'), order.id);
    expect(late).toEqual([expect.objectContaining({ status: 'COMPLETED', version: 4, orderStatus: 'COMPLETED' })]);
  });

  it('delivers through each gateway replica to its own subscribers', async () => {
    const [first, second] = system.gatewayUrls();
    const viaFirst = await system.client('alice', { url: first });
    const viaSecond = await system.client('alice', { url: second });
    clients.push(viaFirst, viaSecond);
    const [a, b] = await heldOrders(
      async () => [
        (await alice.placeOrder({ items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken: 'tok_visa' })).id,
      ],
      ([id]) => Promise.all([collect(viaFirst, id!), collect(viaSecond, id!)]),
      2,
    );
    // The same events through both replicas, and the same payloads: the order's own fields as of
    // each event, the rest (here the payment) as the first replica to read it found it.
    expect(a).toEqual(b);
    expect(statuses(a!)).toEqual(['PENDING', 'INVENTORY_CONFIRMED', 'PAYMENT_CONFIRMED', 'COMPLETED']);
    expect(a!.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    for (const e of a!) expect([e.orderStatus, e.orderVersion]).toEqual([e.status, e.version]);
    expect(a!.at(-1)).toMatchObject({ orderStatus: 'COMPLETED', payment: 'APPROVED', sku: 'NOTEBOOK-A5' });
  });

  it('gives 200 concurrent subscribers on 50 orders each their complete sequence', async () => {
    // Subscriber i watches order orderOf(i): four subscribers per order, each of its customer.
    const orderOf = (i: number) => (i % 10) + 10 * (Math.floor(i / 10) % 5);
    const customers = await Promise.all(Array.from({ length: 10 }, (_, i) => system.client(`buyer-${i}`)));
    const subscribers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const c = await system.client(`buyer-${i % 10}`, { url: system.gatewayUrls()[i % 2] });
        clients.push(c);
        return c;
      }),
    );
    const results = await heldOrders(
      () =>
        Promise.all(
          Array.from(
            { length: 50 },
            async (_, i) =>
              (
                await customers[i % 10]!.placeOrder({
                  items: [{ productId: NOTEBOOK, quantity: 1 }],
                  paymentToken: i % 5 === 0 ? 'tok_chargeDeclined' : 'tok_visa',
                })
              ).id,
          ),
        ),
      (ids) =>
        Promise.all(
          subscribers.map((s, i) => collect(s, ids[orderOf(i)]!).then((events) => ({ order: orderOf(i), events }))),
        ),
      200,
    );
    expect(results).toHaveLength(200);
    for (const { order, events } of results) {
      const expected =
        order % 5 === 0
          ? ['PENDING', 'INVENTORY_CONFIRMED', 'FAILED']
          : ['PENDING', 'INVENTORY_CONFIRMED', 'PAYMENT_CONFIRMED', 'COMPLETED'];
      expect(statuses(events)).toEqual(expected);
      expect(events.map((e) => e.version)).toEqual(expected.map((_, v) => v + 1));
    }
  });

  it('refuses another customer’s order with FORBIDDEN and sends no event; admins may watch any', async () => {
    const order = await alice.placeOrder({ items: [{ productId: NOTEBOOK, quantity: 1 }], paymentToken: 'tok_visa' });
    const mallory = await system.client('mallory');
    clients.push(mallory);
    const refused = await collect(mallory, order.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GraphQLClientError);
    expect((refused as GraphQLClientError).code).toBe('FORBIDDEN');
    const admin = await system.client('ops', { admin: true });
    clients.push(admin);
    expect((await collect(admin, order.id)).at(-1)!.status).toBe('COMPLETED');
  });

  it('closes a connection with a bad token before any subscription', async () => {
    const forged = createClient({ url: system.gatewayUrl, token: 'forged' });
    clients.push(forged);
    const refused = await collect(forged, '7a1c0e52-0000-4000-8000-00000000dead').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GraphQLClientError);
    expect((refused as GraphQLClientError).code).toBe('UNAUTHENTICATED');
  });
});

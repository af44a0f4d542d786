import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCache, createReadModel } from '../../cache/index.ts';
import { rowsOf } from '../../db/index.ts';
import type { IncomingMessage } from '../../messaging/index.ts';
import { decode, topics } from '../../messaging/index.ts';
import { codeOf, startSubgraphForTest } from '../../runtime/testing.ts';
import { createOrderSagaEngine } from './saga-host.ts';
import { createOrderService, orderMigrations, warmOrderViews } from './server.ts';
import { orders } from './tables.ts';
import { announcePrices } from './testing.ts';
import type { OrderView } from './views.ts';

const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
const MUG = '7a1c0e52-0008-4000-8000-000000000008';

let subgraph: Awaited<ReturnType<typeof startSubgraphForTest>>;
const commands: IncomingMessage[] = [];
beforeAll(async () => {
  subgraph = await startSubgraphForTest([orderMigrations], createOrderService);
  // The prices inventory would have announced.
  await announcePrices(subgraph.deps, [
    { id: BOOK, sku: 'BOOK-DDD', price: '54.99' },
    { id: MUG, sku: 'MUG-SAGA', price: '14.99' },
  ]);
  await subgraph.deps.transport.subscribe({
    groupId: 'test-inventory',
    topics: [topics.inventoryCommands],
    fromBeginning: true,
    handle: async (m) => void commands.push(m),
  });
});
afterAll(() => subgraph?.stop());

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order {
  id customerId status totalAmount currency items { quantity unitPrice subtotal product { id } }
  saga { status currentStep steps { name status attempts isCompensation } deadlineAt } } } }`;
type Placed = {
  placeOrder: {
    order: {
      id: string;
      customerId: string;
      status: string;
      totalAmount: string;
      saga: { status: string; currentStep: string; steps: unknown[] };
    };
  };
};
const input = (items: { productId: string; quantity: number }[], extra: Record<string, unknown> = {}) => ({
  input: { items, paymentToken: 'tok_visa', ...extra },
});

describe('order resolvers', () => {
  it('stores a priced PENDING order, starts its saga and publishes the reservation command through the outbox', async () => {
    const res = await subgraph.request<Placed>(
      PLACE,
      input([
        { productId: BOOK, quantity: 2 },
        { productId: MUG, quantity: 1 },
      ]),
      'alice',
    );
    expect(res.errors).toBeUndefined();
    const order = res.data!.placeOrder.order;
    expect(order).toMatchObject({ customerId: 'alice', status: 'PENDING', totalAmount: '124.97', currency: 'USD' });
    expect(order.saga).toMatchObject({
      status: 'RUNNING',
      currentStep: 'reserveInventory',
      steps: [{ name: 'reserveInventory', status: 'RUNNING', attempts: 1, isCompensation: false }],
    });

    await expect.poll(() => commands.filter((m) => m.key === order.id).length, { timeout: 5000 }).toBe(1);
    const envelope = decode(commands.find((m) => m.key === order.id)!);
    expect(envelope.type).toBe('ReserveInventory');
    expect(envelope.payload).toMatchObject({
      orderId: order.id,
      lines: [
        { productId: BOOK, quantity: 2 },
        { productId: MUG, quantity: 1 },
      ],
    });
    expect(envelope.correlationId).toBeTruthy();
    // The payment token is kept only sealed to its order: not readable in the saga's row.
    const [saga] = rowsOf<{ data: { paymentToken: string } }>(
      await subgraph.deps.db.execute(sql`select data from saga.instances where correlation_id = ${order.id}`),
    );
    expect(saga!.data.paymentToken).toMatch(/^sealed\.v1\./);
    expect(JSON.stringify(saga)).not.toContain('tok_visa');
  });

  it.each([
    ['no items', input([])],
    ['a quantity of 0', input([{ productId: BOOK, quantity: 0 }])],
    ['a quantity above 1000', input([{ productId: BOOK, quantity: 1001 }])],
    [
      'the same product twice',
      input([
        { productId: BOOK, quantity: 1 },
        { productId: BOOK, quantity: 1 },
      ]),
    ],
    [
      'a product the catalog does not know',
      input([{ productId: '7a1c0e52-0000-4000-8000-00000000dead', quantity: 1 }]),
    ],
    ['a payment token of 250 KB', input([{ productId: BOOK, quantity: 1 }], { paymentToken: 't'.repeat(250_000) })],
    [
      'a payment token with spaces and quotes',
      input([{ productId: BOOK, quantity: 1 }], { paymentToken: "tok_visa' or 1=1" }),
    ],
    ['an idempotency key with a NUL byte', input([{ productId: BOOK, quantity: 1 }], { idempotencyKey: 'k\u0000' })],
    [
      'more than 50 lines',
      input(
        Array.from({ length: 51 }, (_, i) => ({
          productId: `7a1c0e52-0000-4000-8000-${String(i).padStart(12, '0')}`,
          quantity: 1,
        })),
      ),
    ],
  ])('rejects %s with BAD_USER_INPUT and stores nothing', async (_name, variables) => {
    const before = commands.length;
    expect(codeOf(await subgraph.request(PLACE, variables, 'bob'))).toBe('BAD_USER_INPUT');
    const orders = rowsOf(
      await subgraph.deps.db.execute(sql`select count(*)::int as n from orders.orders where customer_id = 'bob'`),
    );
    expect(orders).toEqual([{ n: 0 }]);
    await new Promise((r) => setTimeout(r, 100));
    expect(commands.length).toBe(before);
  });

  it('accepts a product id in upper case as the product it names', async () => {
    const res = await subgraph.request<Placed>(
      PLACE,
      input([{ productId: BOOK.toUpperCase(), quantity: 1 }]),
      'ursula',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.placeOrder.order.totalAmount).toBe('54.99');
  });

  it('refuses an idempotency key re-used for a different order, and writes nothing', async () => {
    const first = await subgraph.request<Placed>(
      PLACE,
      input([{ productId: MUG, quantity: 1 }], { idempotencyKey: 'k-reuse' }),
      'victor',
    );
    expect(first.errors).toBeUndefined();
    const count = async () =>
      rowsOf<{ n: number }>(
        await subgraph.deps.db.execute(sql`select count(*)::int as n from orders.orders where customer_id = 'victor'`),
      )[0]!.n;
    for (const other of [
      input([{ productId: MUG, quantity: 2 }], { idempotencyKey: 'k-reuse' }),
      input([{ productId: MUG, quantity: 1 }], { idempotencyKey: 'k-reuse', paymentToken: 'tok_mastercard' }),
    ]) {
      const res = await subgraph.request<Placed>(PLACE, other, 'victor');
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'idempotencyKey',
        reason: 'IDEMPOTENCY_KEY_REUSED',
      });
    }
    expect(await count()).toBe(1);
  });

  it('returns the same order for the same idempotency key from the same customer, and starts one saga', async () => {
    const first = await subgraph.request<Placed>(
      PLACE,
      input([{ productId: MUG, quantity: 1 }], { idempotencyKey: 'k-1' }),
      'carol',
    );
    const again = await subgraph.request<Placed>(
      PLACE,
      input([{ productId: MUG, quantity: 1 }], { idempotencyKey: 'k-1' }),
      'carol',
    );
    const otherCustomer = await subgraph.request<Placed>(
      PLACE,
      input([{ productId: MUG, quantity: 1 }], { idempotencyKey: 'k-1' }),
      'dave',
    );
    const id = first.data!.placeOrder.order.id;
    expect(again.data!.placeOrder.order.id).toBe(id);
    expect(otherCustomer.data!.placeOrder.order.id).not.toBe(id);
    await new Promise((r) => setTimeout(r, 300));
    expect(commands.filter((m) => m.key === id)).toHaveLength(1);
  });

  it('shows an order to its customer and admins, FORBIDDEN to others, null when unknown', async () => {
    const placed = await subgraph.request<Placed>(PLACE, input([{ productId: BOOK, quantity: 1 }]), 'erin');
    const id = placed.data!.placeOrder.order.id;
    const ORDER = 'query($id: ID!) { order(id: $id) { id status } }';
    expect((await subgraph.request<{ order: { id: string } }>(ORDER, { id }, 'erin')).data!.order.id).toBe(id);
    expect((await subgraph.request<{ order: { id: string } }>(ORDER, { id }, { admin: 'root' })).data!.order.id).toBe(
      id,
    );
    const other = await subgraph.request(ORDER, { id }, 'mallory');
    expect(other.data).toEqual({ order: null });
    expect(codeOf(other)).toBe('FORBIDDEN');
    expect(await subgraph.request(ORDER, { id: '7a1c0e52-0000-4000-8000-00000000dead' }, 'erin')).toEqual({
      data: { order: null },
    });
  });
});

describe('API key lookups', () => {
  it('answer the gateway alone: a person’s token, even an admin’s, is refused', async () => {
    const LOOKUP = `{ _apiKeyPrincipal(digest: "${'a'.repeat(43)}") { id } }`;
    expect(codeOf(await subgraph.request(LOOKUP, {}, 'alice'))).toBe('FORBIDDEN');
    expect(codeOf(await subgraph.request(LOOKUP, {}, { admin: 'root' }))).toBe('FORBIDDEN');
  });
});

describe('paging through orders', () => {
  const ORDERS =
    'query($first: Int, $after: String, $status: OrderStatus) { orders(first: $first, after: $after, status: $status) { edges { cursor node { id customerId status } } pageInfo { hasNextPage endCursor } } }';
  type Page = {
    orders: {
      edges: { node: { id: string; customerId: string; status: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };
  const expected: { id: string; createdAt: Date; customerId: string; status: 'COMPLETED' | 'FAILED' }[] = [];

  beforeAll(async () => {
    // 1,000 orders of one customer and 50 of another; groups of five share a timestamp, so the id breaks ties.
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    const rows = Array.from({ length: 1050 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      customerId: i < 1000 ? 'pager' : 'other-pager',
      status: (i % 3 === 0 ? 'FAILED' : 'COMPLETED') as 'COMPLETED' | 'FAILED',
      totalCents: 100,
      currency: 'USD',
      version: 1,
      createdAt: new Date(base + Math.floor(i / 5) * 1000),
      updatedAt: new Date(base),
    }));
    await subgraph.deps.db.insert(orders).values(rows);
    expected.push(
      ...rows
        .filter((r) => r.customerId === 'pager')
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)),
    );
  });

  const pageThrough = async (as: string | { admin: string }, variables: Record<string, unknown>) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res: { data?: Page | null; errors?: unknown } = await subgraph.request<Page>(
        ORDERS,
        { ...variables, after },
        as,
      );
      expect(res.errors).toBeUndefined();
      seen.push(...res.data!.orders.edges.map((e) => e.node.id));
      if (!res.data!.orders.pageInfo.hasNextPage) return { seen, pages: pages + 1 };
      after = res.data!.orders.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  };

  it('sees each of 1,000 orders exactly once, newest first, a page of 100 at a time', async () => {
    const { seen, pages } = await pageThrough('pager', { first: 100 });
    expect(pages).toBe(10);
    expect(seen).toEqual(expected.map((o) => o.id));
  });

  it('filters by status, and shows admins everyone’s orders', async () => {
    const failed = await pageThrough('pager', { first: 100, status: 'FAILED' });
    expect(failed.seen).toEqual(expected.filter((o) => o.status === 'FAILED').map((o) => o.id));
    const all = await pageThrough({ admin: 'root' }, { first: 100 });
    expect(all.seen.filter((id) => id.startsWith('00000000-0000-4000-8000-'))).toHaveLength(1050);
  });

  it('answers first: 0 with no edges, and first outside 0..100 or a forged cursor with BAD_USER_INPUT', async () => {
    const empty = await subgraph.request<Page>(ORDERS, { first: 0 }, 'pager');
    expect(empty.data!.orders).toEqual({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    expect(codeOf(await subgraph.request(ORDERS, { first: 101 }, 'pager'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await subgraph.request(ORDERS, { first: -1 }, 'pager'))).toBe('BAD_USER_INPUT');
    expect(
      codeOf(await subgraph.request(ORDERS, { after: Buffer.from('{"id":1}').toString('base64url') }, 'pager')),
    ).toBe('BAD_USER_INPUT');
    expect(codeOf(await subgraph.request(ORDERS, { after: '%%%' }, 'pager'))).toBe('BAD_USER_INPUT');
  });

  it('warms the read model with the newest orders that have a saga', async () => {
    const placed = await subgraph.request<Placed>(PLACE, input([{ productId: BOOK, quantity: 1 }]), 'warm');
    const id = placed.data!.placeOrder.order.id;
    const views = createReadModel<OrderView>(createMemoryCache(), 'order', 60);
    await warmOrderViews(subgraph.deps.db, createOrderSagaEngine({ deadlineMs: 1000, backoffMs: 10 }), views, 5);
    expect((await views.get(id))?.order.id).toBe(id);
  });

  it('shows a customer with no orders an empty page', async () => {
    const res = await subgraph.request<Page>(ORDERS, {}, 'nobody');
    expect(res.data!.orders).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });
});

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db/index.ts';
import type { IncomingMessage } from '../../messaging/index.ts';
import { decode } from '../../messaging/index.ts';
import { codeOf } from '../../runtime/testing.ts';
import { BOOK, input, MUG, type OrderSubgraph, PLACE, type Placed, startOrderSubgraph } from './testing.ts';

let subgraph: OrderSubgraph;
const commands: IncomingMessage[] = [];
beforeAll(async () => {
  subgraph = await startOrderSubgraph(commands);
});
afterAll(() => subgraph?.stop());

/** Messages of one type for one key in the order service's outbox. */
const outboxRows = async (key: string, type: string) =>
  rowsOf<{ n: number }>(
    await subgraph.deps.db.execute(
      sql`select count(*)::int as n from orders.outbox where key = ${key} and type = ${type}`,
    ),
  )[0]!.n;

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
      await subgraph.deps.db.execute(sql`select data from saga.instances where business_key = ${order.id}`),
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
    expect(codeOf(await subgraph.request(PLACE, variables, 'bob'))).toBe('BAD_USER_INPUT');
    const written = rowsOf(
      await subgraph.deps.db.execute(
        // A message of an order that was not stored would be a half-written placement.
        sql`select (select count(*)::int from orders.orders where customer_id = 'bob') as orders,
                   (select count(*)::int from orders.outbox o
                     where not exists (select 1 from orders.orders r where r.id::text = o.key)) as orphans`,
      ),
    );
    expect(written).toEqual([{ orders: 0, orphans: 0 }]);
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
    // One saga, one reservation command: the outbox holds every message the placements wrote.
    expect(await outboxRows(id, 'ReserveInventory')).toBe(1);
    await expect.poll(() => commands.filter((m) => m.key === id).length, { timeout: 5000 }).toBe(1);
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, GraphQLClientError } from '../client/index.ts';
import { type RunningSystem, startSystem, waitFor } from '../harness/index.ts';
import { devPolicy, signDevToken } from '../kernel/index.ts';
import { isFinalOrderStatus } from '../messaging/index.ts';

/**
 * The walking skeleton end to end: every service in its own process on real Kafka, PostgreSQL and
 * Redis, driven only through the gateway.
 */
const PRODUCT = {
  book: '7a1c0e52-0001-4000-8000-000000000001',
  cable: '7a1c0e52-0002-4000-8000-000000000002',
  lamp: '7a1c0e52-0005-4000-8000-000000000005',
  stickers: '7a1c0e52-0010-4000-8000-000000000010',
};

let system: RunningSystem;
let alice: Client;
let admin: Client;

beforeAll(async () => {
  system = await startSystem('saga');
  alice = await system.client('alice');
  admin = await system.client('root', { admin: true });
});
afterAll(async () => {
  await system?.stop();
});

const product = async (id: string) => (await alice.product(id))!;
const place = (items: { productId: string; quantity: number }[], paymentToken: string) =>
  alice.placeOrder({ items, paymentToken });
const final = (id: string) =>
  waitFor(
    async () => (await alice.order(id))!,
    (o) => isFinalOrderStatus(o.status),
    { what: `order ${id} to reach a final status` },
  );

/** The code of the GraphQL error `call` fails with. */
const codeOf = (call: Promise<unknown>) =>
  call.then(
    () => 'no error',
    (err: unknown) => (err instanceof GraphQLClientError ? err.code : `not a GraphQL error: ${String(err)}`),
  );

describe('placing an order through the gateway', () => {
  it('refuses a request without a valid token', async () => {
    expect(await codeOf(createClient({ url: system.gatewayUrl }).products())).toBe('UNAUTHENTICATED');
    expect(await codeOf(createClient({ url: system.gatewayUrl, token: 'not-a-jwt' }).products())).toBe(
      'UNAUTHENTICATED',
    );
    const otherSecret = await signDevToken(devPolicy('another-secret-0123456789'), 'alice');
    expect(await codeOf(createClient({ url: system.gatewayUrl, token: otherSecret }).products())).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('lists the seeded catalog by sku', async () => {
    const page = await alice.products({ first: 50 });
    const skus = page.edges.map((e) => e.node.sku);
    expect(skus.length).toBeGreaterThanOrEqual(8);
    expect(skus).toEqual([...skus].sort());
  });

  it('completes an order paid with tok_visa: stock committed, payment approved, every step succeeded', async () => {
    const before = await product(PRODUCT.book);
    const placed = await place([{ productId: PRODUCT.book, quantity: 2 }], 'tok_visa');
    expect(placed.status).toBe('PENDING');
    expect(placed.customerId).toBe('alice');
    expect(placed.totalAmount).toBe('109.98');

    const order = await final(placed.id);
    expect(order.status).toBe('COMPLETED');
    expect(order.failureReason).toBeNull();
    expect(order.items).toEqual([
      {
        quantity: 2,
        unitPrice: '54.99',
        subtotal: '109.98',
        product: expect.objectContaining({ id: PRODUCT.book, sku: 'BOOK-DDD' }),
      },
    ]);
    expect(order.payment!.orderId).toBe(order.id);
    expect(order.payment).toMatchObject({ status: 'APPROVED', amount: '109.98' });
    expect(order.payment!.transactionId).toMatch(/^txn_/);
    expect(order.saga.status).toBe('COMPLETED');
    expect(order.saga.steps.map((s) => [s.name, s.status])).toEqual([
      ['reserveInventory', 'SUCCEEDED'],
      ['chargePayment', 'SUCCEEDED'],
      ['commitInventory', 'SUCCEEDED'],
      ['completeOrder', 'SUCCEEDED'],
    ]);
    const after = await product(PRODUCT.book);
    expect(after.available).toBe(before.available - 2);
    expect(after.reserved).toBe(0);
  });

  it('fails an order paid with tok_chargeDeclined and puts the reserved stock back', async () => {
    const before = await product(PRODUCT.cable);
    const placed = await place([{ productId: PRODUCT.cable, quantity: 3 }], 'tok_chargeDeclined');
    const order = await final(placed.id);
    expect(order.status).toBe('FAILED');
    expect(order.failureReason).toMatch(/declined/i);
    expect(order.payment).toMatchObject({ status: 'DECLINED' });
    expect(order.saga.status).toBe('COMPENSATED');
    expect(order.saga.steps.map((s) => [s.name, s.status, s.isCompensation])).toEqual([
      ['reserveInventory', 'COMPENSATED', false],
      ['chargePayment', 'FAILED', false],
      ['releaseInventory', 'SUCCEEDED', true],
    ]);
    const after = await product(PRODUCT.cable);
    expect(after.available).toBe(before.available);
    expect(after.reserved).toBe(0);
  });

  it('fails an order larger than the stock without attempting a payment', async () => {
    const before = await product(PRODUCT.stickers);
    const placed = await place(
      [
        { productId: PRODUCT.lamp, quantity: 1 },
        { productId: PRODUCT.stickers, quantity: before.available + 1 },
      ],
      'tok_visa',
    );
    const order = await final(placed.id);
    expect(order.status).toBe('FAILED');
    expect(order.failureReason).toContain('Not enough stock for STICKERS-LTD');
    expect(order.payment).toBeNull();
    expect(order.saga.steps.map((s) => [s.name, s.status])).toEqual([['reserveInventory', 'FAILED']]);
    expect(await product(PRODUCT.stickers)).toMatchObject({ available: before.available, reserved: 0 });
  });

  it('rejects invalid input with BAD_USER_INPUT before anything starts', async () => {
    expect(await codeOf(place([{ productId: '7a1c0e52-9999-4000-8000-000000000999', quantity: 1 }], 'tok_visa'))).toBe(
      'BAD_USER_INPUT',
    );
    expect(await codeOf(place([{ productId: PRODUCT.book, quantity: 1001 }], 'tok_visa'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(place([], 'tok_visa'))).toBe('BAD_USER_INPUT');
  });

  it('shows an order only to its customer and to admins', async () => {
    const placed = await place([{ productId: PRODUCT.lamp, quantity: 1 }], 'tok_visa');
    const mallory = await system.client('mallory');
    const refused = await mallory.order(placed.id).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(GraphQLClientError);
    expect((refused as GraphQLClientError).code).toBe('FORBIDDEN');
    expect((refused as GraphQLClientError).data).toEqual({ order: null });
    expect((await admin.order(placed.id))?.id).toBe(placed.id);
    expect(await alice.order('7a1c0e52-0000-4000-8000-00000000dead')).toBeNull();
  });

  it('lists the caller’s orders newest first, by status, and everyone’s for an admin', async () => {
    const bob = await system.client('bob');
    const first = await bob.placeOrder({ items: [{ productId: PRODUCT.book, quantity: 1 }], paymentToken: 'tok_visa' });
    const second = await bob.placeOrder({
      items: [{ productId: PRODUCT.book, quantity: 1 }],
      paymentToken: 'tok_chargeDeclined',
    });
    await waitFor(
      async () => (await bob.orderStatus(first.id))!.status,
      (s) => s === 'COMPLETED',
      { what: 'the paid order' },
    );
    await waitFor(
      async () => (await bob.orderStatus(second.id))!.status,
      (s) => s === 'FAILED',
      { what: 'the declined order' },
    );

    const mine = await bob.orders({ first: 10 });
    expect(mine.edges.map((e) => e.node.id)).toEqual([second.id, first.id]);
    expect(mine.pageInfo.hasNextPage).toBe(false);
    const onePage = await bob.orders({ first: 1 });
    expect(onePage.pageInfo.hasNextPage).toBe(true);
    const next = await bob.orders({ first: 1, after: onePage.pageInfo.endCursor });
    expect(next.edges.map((e) => e.node.id)).toEqual([first.id]);
    expect((await bob.orders({ status: 'FAILED' })).edges.map((e) => e.node.id)).toEqual([second.id]);
    expect((await alice.orders({ first: 100 })).edges.some((e) => e.node.customerId !== 'alice')).toBe(false);
    const everyone = await admin.orders({ first: 100 });
    expect(everyone.edges.map((e) => e.node.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(await codeOf(bob.orders({ first: 101 }))).toBe('BAD_USER_INPUT');
  });

  it('lets only an admin restock a product', async () => {
    expect(await codeOf(alice.restockProduct(PRODUCT.lamp, 10))).toBe('FORBIDDEN');
    const before = await product(PRODUCT.lamp);
    expect((await admin.restockProduct(PRODUCT.lamp, 10)).available).toBe(before.available + 10);
    expect(await codeOf(admin.restockProduct(PRODUCT.lamp, 0))).toBe('BAD_USER_INPUT');
    expect(await codeOf(admin.restockProduct('7a1c0e52-0000-4000-8000-00000000dead', 1))).toBe('NOT_FOUND');
    expect(await product(PRODUCT.lamp)).toMatchObject({ available: before.available + 10 });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, waitFor, type RunningSystem } from './support/system.ts';

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

interface Product {
  id: string;
  sku: string;
  price: string;
  available: number;
  reserved: number;
}
interface Order {
  id: string;
  customerId: string;
  status: string;
  totalAmount: string;
  failureReason: string | null;
  items: { quantity: number; unitPrice: string; subtotal: string; product: Product }[];
  payment: { status: string; amount: string; transactionId: string | null; failureReason: string | null } | null;
  saga: { status: string; currentStep: string | null; steps: { name: string; status: string; isCompensation: boolean; error: string | null }[] };
}

const ORDER_FIELDS = `id customerId status totalAmount failureReason
  items { quantity unitPrice subtotal product { id sku price available reserved } }
  payment { status amount transactionId failureReason }
  saga { status currentStep steps { name status isCompensation error } }`;

let system: RunningSystem;
let alice: string;

beforeAll(async () => {
  system = await startSystem('saga');
  alice = await system.token('alice');
});
afterAll(async () => {
  await system?.stop();
});

const product = async (id: string) => {
  const res = await system.graphql<{ product: Product }>(alice, 'query($id: ID!) { product(id: $id) { id sku price available reserved } }', { id });
  return res.data!.product;
};

const place = async (items: { productId: string; quantity: number }[], paymentToken: string, token = alice) => {
  const res = await system.graphql<{ placeOrder: { order: Order } }>(
    token,
    `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { ${ORDER_FIELDS} } } }`,
    { input: { items, paymentToken } },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.placeOrder.order;
};

const readOrder = async (id: string, token = alice) => system.graphql<{ order: Order | null }>(token, `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id });

const final = (id: string) =>
  waitFor(
    async () => (await readOrder(id)).data!.order!,
    (o) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(o.status),
    { what: `order ${id} to reach a final status` },
  );

describe('placing an order through the gateway', () => {
  it('refuses a request without a valid token', async () => {
    const res = await system.graphql(undefined, '{ products { edges { node { id } } } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await system.graphql('not-a-jwt', '{ products { edges { node { id } } } }');
    expect(forged.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lists the seeded catalog by sku', async () => {
    const res = await system.graphql<{ products: { edges: { node: Product }[] } }>(alice, '{ products(first: 50) { edges { node { sku price available } } } }');
    const skus = res.data!.products.edges.map((e) => e.node.sku);
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
    expect(order.items).toEqual([{ quantity: 2, unitPrice: '54.99', subtotal: '109.98', product: expect.objectContaining({ id: PRODUCT.book, sku: 'BOOK-DDD' }) }]);
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
    const placed = await place([{ productId: PRODUCT.lamp, quantity: 1 }, { productId: PRODUCT.stickers, quantity: before.available + 1 }], 'tok_visa');
    const order = await final(placed.id);
    expect(order.status).toBe('FAILED');
    expect(order.failureReason).toContain('Not enough stock for STICKERS-LTD');
    expect(order.payment).toBeNull();
    expect(order.saga.steps.map((s) => [s.name, s.status])).toEqual([['reserveInventory', 'FAILED']]);
    expect(await product(PRODUCT.stickers)).toMatchObject({ available: before.available, reserved: 0 });
  });

  it('rejects invalid input with BAD_USER_INPUT before anything starts', async () => {
    const unknown = await system.graphql(alice, 'mutation { placeOrder(input: { items: [{ productId: "7a1c0e52-9999-4000-8000-000000000999", quantity: 1 }], paymentToken: "tok_visa" }) { order { id } } }');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await system.graphql(alice, `mutation { placeOrder(input: { items: [{ productId: "${PRODUCT.book}", quantity: 1001 }], paymentToken: "tok_visa" }) { order { id } } }`);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('shows an order only to its customer and to admins', async () => {
    const placed = await place([{ productId: PRODUCT.lamp, quantity: 1 }], 'tok_visa');
    const mallory = await readOrder(placed.id, await system.token('mallory'));
    expect(mallory.data?.order).toBeNull();
    expect(mallory.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await readOrder(placed.id, await system.token('root', { admin: true }));
    expect(admin.data?.order?.id).toBe(placed.id);
  });

  it('lets only an admin restock a product', async () => {
    const mutation = `mutation { restockProduct(productId: "${PRODUCT.lamp}", quantity: 10) { available } }`;
    const refused = await system.graphql(alice, mutation);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const before = await product(PRODUCT.lamp);
    const res = await system.graphql<{ restockProduct: { available: number } }>(await system.token('root', { admin: true }), mutation);
    expect(res.data!.restockProduct.available).toBe(before.available + 10);
  });
});

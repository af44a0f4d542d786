import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, startSubgraphForTest } from '../../runtime/testing.ts';
import { createOrderService, orderMigrations } from './server.ts';
import { orders } from './tables.ts';
import { announcePrices } from './testing.ts';

const BOOK = '7a1c0e52-0001-4000-8000-000000000001';

/**
 * The order service alone, whose sagas never finish (no participant answers): with room for two
 * sagas in flight, the third placement is refused before anything is written.
 */
let subgraph: Awaited<ReturnType<typeof startSubgraphForTest>>;
beforeAll(async () => {
  subgraph = await startSubgraphForTest([orderMigrations], createOrderService, {
    SAGA_ADMISSION_MIN_IN_FLIGHT: '2',
    SAGA_ADMISSION_MAX_IN_FLIGHT: '2',
    ORDER_MAX_OPEN_PER_CUSTOMER: '1',
    ORDER_MAX_OPEN_UNITS_PER_CUSTOMER: '3',
  });
  await announcePrices(subgraph.deps, [{ id: BOOK, sku: 'BOOK-DDD', price: '54.99' }]);
});
afterAll(() => subgraph?.stop());

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status } } }`;
const place = (key: string, customer = 'alice', quantity = 1) =>
  subgraph.request<{ placeOrder: { order: { id: string } } }>(
    PLACE,
    { input: { items: [{ productId: BOOK, quantity }], paymentToken: 'tok_visa', idempotencyKey: key } },
    customer,
  );

describe('placeOrder under admission control', () => {
  it('refuses with SERVICE_UNAVAILABLE and a retry delay once the sagas in flight fill the limit, writing nothing', async () => {
    expect((await place('a')).errors).toBeUndefined();
    expect((await place('b', 'bob')).errors).toBeUndefined();
    const refused = await place('c', 'carol');
    expect(codeOf(refused)).toBe('SERVICE_UNAVAILABLE');
    expect(refused.errors![0]!.extensions!.retryAfterMs).toBeGreaterThan(0);
    expect(refused.data?.placeOrder ?? null).toBeNull();
    expect(await subgraph.deps.db.select().from(orders)).toHaveLength(2);
  });

  it('still answers a placement it already accepted, by its idempotency key', async () => {
    const again = await place('a');
    expect(again.errors).toBeUndefined();
    expect(await subgraph.deps.db.select().from(orders)).toHaveLength(2);
  });

  it('refuses a customer with as many orders or units in progress as one may have, RATE_LIMITED, writing nothing', async () => {
    const tooMany = await place('d', 'alice');
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'openOrders' });
    const tooMuch = await place('e', 'dave', 4);
    expect(tooMuch.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'openOrders' });
    expect(await subgraph.deps.db.select().from(orders)).toHaveLength(2);
  });
});

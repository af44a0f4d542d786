import type { Db } from '../../db/index.ts';
import type { IncomingMessage, Transport } from '../../messaging/index.ts';
import { createEnvelope, encode, topics } from '../../messaging/index.ts';
import { startSubgraphForTest } from '../../runtime/testing.ts';
import { createOrderService, orderMigrations } from './server.ts';
import { catalog } from './tables.ts';

/** For the order service's tests: the prices inventory would have announced, once the service has them. */
export async function announcePrices(
  { transport, db }: { transport: Transport; db: Db },
  products: { id: string; sku: string; price: string }[],
): Promise<void> {
  await transport.publish(
    topics.inventoryEvents,
    products.map(({ id, sku, price }) =>
      encode(
        createEnvelope(
          'ProductPriced',
          id,
          { productId: id, sku, price, currency: 'USD' },
          { correlationId: 'seed', causationId: null },
        ),
      ),
    ),
  );
  for (let tries = 0; (await db.select().from(catalog)).length < products.length; tries++) {
    if (tries > 100) throw new Error('the prices never arrived');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const BOOK = '7a1c0e52-0001-4000-8000-000000000001';
export const MUG = '7a1c0e52-0008-4000-8000-000000000008';

export type OrderSubgraph = Awaited<ReturnType<typeof startSubgraphForTest>>;

/**
 * The order service for resolver tests (PGlite, the in-process transport), with BOOK and MUG
 * priced; the commands it sends inventory are pushed to `commands`.
 */
export async function startOrderSubgraph(commands: IncomingMessage[]): Promise<OrderSubgraph> {
  const subgraph = await startSubgraphForTest([orderMigrations], createOrderService);
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
  return subgraph;
}

export const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order {
  id customerId status totalAmount currency items { quantity unitPrice subtotal product { id } }
  saga { status currentStep steps { name status attempts isCompensation } deadlineAt } } } }`;
export type Placed = {
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
/** placeOrder's variables: these lines, paid with tok_visa unless `extra` says otherwise. */
export const input = (items: { productId: string; quantity: number }[], extra: Record<string, unknown> = {}) => ({
  input: { items, paymentToken: 'tok_visa', ...extra },
});

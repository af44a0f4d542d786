import type { Db } from '../../db/index.ts';
import type { Transport } from '../../messaging/index.ts';
import { createEnvelope, encode, topics } from '../../messaging/index.ts';
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

import type { Db } from '../../db/index.ts';
import { announceProducts } from './announcements.ts';
import { products } from './tables.ts';

/** The demo catalog: fixed ids so tokens, examples and tests can name products. */
export const demoCatalog = [
  {
    id: '7a1c0e52-0001-4000-8000-000000000001',
    sku: 'BOOK-DDD',
    name: 'Domain-Driven Design (hardcover)',
    priceCents: 5499,
    available: 100,
  },
  {
    id: '7a1c0e52-0002-4000-8000-000000000002',
    sku: 'CABLE-USBC',
    name: 'USB-C cable, 2 m',
    priceCents: 1299,
    available: 500,
  },
  {
    id: '7a1c0e52-0003-4000-8000-000000000003',
    sku: 'HEADPHONES-NC',
    name: 'Noise-cancelling headphones',
    priceCents: 19900,
    available: 40,
  },
  {
    id: '7a1c0e52-0004-4000-8000-000000000004',
    sku: 'KEYBOARD-MECH',
    name: 'Mechanical keyboard',
    priceCents: 12950,
    available: 60,
  },
  {
    id: '7a1c0e52-0005-4000-8000-000000000005',
    sku: 'LAMP-DESK',
    name: 'LED desk lamp',
    priceCents: 3999,
    available: 80,
  },
  {
    id: '7a1c0e52-0006-4000-8000-000000000006',
    sku: 'MONITOR-27',
    name: '27" 4K monitor',
    priceCents: 32900,
    available: 25,
  },
  {
    id: '7a1c0e52-0007-4000-8000-000000000007',
    sku: 'MOUSE-WL',
    name: 'Wireless mouse',
    priceCents: 2999,
    available: 200,
  },
  {
    id: '7a1c0e52-0008-4000-8000-000000000008',
    sku: 'MUG-SAGA',
    name: 'Sagaway mug',
    priceCents: 1499,
    available: 300,
  },
  {
    id: '7a1c0e52-0009-4000-8000-000000000009',
    sku: 'NOTEBOOK-A5',
    name: 'Dotted notebook, A5',
    priceCents: 999,
    available: 1000,
  },
  {
    id: '7a1c0e52-0010-4000-8000-000000000010',
    sku: 'STICKERS-LTD',
    name: 'Limited sticker pack',
    priceCents: 499,
    available: 3,
  },
] as const;

/** Inserts the demo catalog and announces each new product; products that exist keep their stock. */
export async function seedDemoCatalog(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    const inserted = await tx
      .insert(products)
      .values(demoCatalog.map((p) => ({ ...p, received: p.available })))
      .onConflictDoNothing()
      .returning();
    await announceProducts(tx, inserted);
  });
}

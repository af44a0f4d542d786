import { sql } from 'drizzle-orm';
import { bigint, check, integer, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { messagingTables } from '../../messaging/index.ts';

export const inventorySchema = pgSchema('inventory');

export const products = inventorySchema.table(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sku: text('sku').notNull().unique(),
    name: text('name').notNull(),
    priceCents: bigint('price_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull().default('USD'),
    available: integer('available').notNull(),
    reserved: integer('reserved').notNull().default(0),
    sold: integer('sold').notNull().default(0),
    /** Every unit ever put on the shelf (initial stock plus restocks): received = available + reserved + sold. */
    received: integer('received').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    check('products_stock_non_negative', sql`${t.available} >= 0 and ${t.reserved} >= 0 and ${t.sold} >= 0`),
    check('products_stock_balanced', sql`${t.received} = ${t.available} + ${t.reserved} + ${t.sold}`),
    check('products_price_positive', sql`${t.priceCents} > 0`),
  ],
);

export type ReservationStatus = 'RESERVED' | 'COMMITTED' | 'RELEASED';

/** Stock held for one order line; its status makes reserve, commit and release idempotent. */
export const reservations = inventorySchema.table(
  'reservations',
  {
    orderId: uuid('order_id').notNull(),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    status: text('status').$type<ReservationStatus>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);

export const { outbox, inbox } = messagingTables(inventorySchema);

export type ProductRow = typeof products.$inferSelect;

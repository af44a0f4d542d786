import { sql } from 'drizzle-orm';
import { bigint, index, integer, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { messagingTables } from '../../messaging/tables.ts';
import type { OrderStatus } from './order.ts';

export const ordersSchema = pgSchema('orders');

export const orders = ordersSchema.table(
  'orders',
  {
    id: uuid('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    totalCents: bigint('total_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    failureReason: text('failure_reason'),
    idempotencyKey: text('idempotency_key'),
    /** What the request asked for (items, payment token), hashed: a key re-used for another request is refused. */
    requestHash: text('request_hash'),
    /** Bumped with every status change; subscribers see strictly increasing versions. */
    version: integer('version').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    uniqueIndex('orders_customer_idempotency_idx').on(t.customerId, t.idempotencyKey),
    index('orders_customer_created_idx').on(t.customerId, t.createdAt.desc(), t.id.desc()),
    index('orders_created_idx').on(t.createdAt.desc(), t.id.desc()),
    // A customer's orders still running: what the cap on open orders and units counts.
    index('orders_customer_open_idx')
      .on(t.customerId)
      .where(sql`${t.status} not in ('COMPLETED', 'FAILED', 'CANCELLED')`),
  ],
);

export const orderItems = ordersSchema.table(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    lineNo: integer('line_no').notNull(),
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceCents: bigint('unit_price_cents', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.lineNo] })],
);

/** Product prices as inventory announced them; the order service prices orders from here. */
export const catalog = ordersSchema.table('catalog', {
  productId: uuid('product_id').primaryKey(),
  sku: text('sku').notNull(),
  priceCents: bigint('price_cents', { mode: 'number' }).notNull(),
  currency: text('currency').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export const { outbox, inbox } = messagingTables(ordersSchema);

export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;

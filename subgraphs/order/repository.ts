import { and, asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { olderThan } from '../../db/index.ts';
import { type OrderStatus, type PricedLine, statusesBefore } from './order.ts';
import { finalStatusList, type OrderItemRow, type OrderRow, orderItems, orders } from './tables.ts';

export const findOrder = async (db: Db, id: string): Promise<OrderRow | undefined> =>
  (await db.select().from(orders).where(eq(orders.id, id)))[0];

export const findOrders = (db: Db, ids: string[]): Promise<OrderRow[]> =>
  ids.length === 0 ? Promise.resolve([]) : db.select().from(orders).where(inArray(orders.id, ids));

export const lockOrder = async (tx: Db, id: string): Promise<OrderRow | undefined> =>
  (await tx.select().from(orders).where(eq(orders.id, id)).for('update'))[0];

export const findByIdempotencyKey = async (db: Db, customerId: string, key: string): Promise<OrderRow | undefined> =>
  (
    await db
      .select()
      .from(orders)
      .where(and(eq(orders.customerId, customerId), eq(orders.idempotencyKey, key)))
  )[0];

export const itemsOfOrders = (db: Db, orderIds: string[]): Promise<OrderItemRow[]> =>
  orderIds.length === 0
    ? Promise.resolve([])
    : db
        .select()
        .from(orderItems)
        .where(inArray(orderItems.orderId, orderIds))
        .orderBy(asc(orderItems.orderId), asc(orderItems.lineNo));

/** How many orders a customer has running, and how many units they hold (see `orders_customer_open_idx`). */
export async function openLoad(db: Db, customerId: string): Promise<{ orders: number; units: number }> {
  const [row] = await db
    .select({
      orders: sql<number>`count(distinct ${orders.id})::int`,
      units: sql<number>`coalesce(sum(${orderItems.quantity}), 0)::int`,
    })
    .from(orders)
    .innerJoin(orderItems, eq(orderItems.orderId, orders.id))
    .where(and(eq(orders.customerId, customerId), sql`${orders.status} not in (${finalStatusList})`));
  return { orders: Number(row?.orders ?? 0), units: Number(row?.units ?? 0) };
}

/** Stores the order and its lines; returns the lines as stored. */
export async function insertOrder(
  tx: Db,
  order: typeof orders.$inferInsert,
  lines: PricedLine[],
): Promise<OrderItemRow[]> {
  const items: OrderItemRow[] = lines.map((l, i) => ({
    orderId: order.id,
    lineNo: i + 1,
    productId: l.productId,
    quantity: l.quantity,
    unitPriceCents: l.unitPriceCents,
  }));
  // Sent together: the server runs them in order, so the lines find their order.
  await Promise.all([tx.insert(orders).values(order), tx.insert(orderItems).values(items)]);
  return items;
}

/**
 * Moves the order to `status` if its current status allows it, in one statement (the row lock it
 * takes serialises concurrent moves); returns the updated row, or undefined when the move is not allowed.
 */
export async function moveStatus(
  tx: Db,
  id: string,
  status: OrderStatus,
  reason: string | null,
  at: Date,
): Promise<OrderRow | undefined> {
  const [updated] = await tx
    .update(orders)
    .set({ status, failureReason: reason, version: sql`${orders.version} + 1`, updatedAt: at })
    .where(and(eq(orders.id, id), inArray(orders.status, statusesBefore(status))))
    .returning();
  return updated;
}

/** Where a page of orders starts: after this (createdAt, id), newest first. */
export interface OrderCursor {
  createdAt: string;
  id: string;
}

/**
 * One page of orders, newest first, as a keyset query on (created_at, id) — an index range scan
 * however deep the page — with one row more than asked, to tell whether another page follows.
 */
export function listOrders(
  db: Db,
  {
    customerId,
    status,
    ids,
    after,
    limit,
  }: { customerId?: string; status?: OrderStatus; ids?: string[]; after?: OrderCursor; limit: number },
): Promise<OrderRow[]> {
  const where: SQL[] = [];
  if (customerId !== undefined) where.push(eq(orders.customerId, customerId));
  if (ids !== undefined) where.push(inArray(orders.id, ids));
  if (status !== undefined) where.push(eq(orders.status, status));
  if (after) where.push(olderThan(orders.createdAt, orders.id, { at: after.createdAt, id: after.id }));
  return db
    .select()
    .from(orders)
    .where(and(...where))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(limit + 1);
}

import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { decideReservation, type Line, type ReserveDecision } from './inventory.ts';
import { type ProductRow, products, type ReservationStatus, reservations } from './tables.ts';

export function listProducts(
  db: Db,
  { limit, afterSku }: { limit: number; afterSku: string | undefined },
): Promise<ProductRow[]> {
  return db
    .select()
    .from(products)
    .where(afterSku === undefined ? undefined : gt(products.sku, afterSku))
    .orderBy(asc(products.sku))
    .limit(limit + 1);
}

export function productsByIds(db: Db, ids: string[]): Promise<ProductRow[]> {
  return ids.length === 0 ? Promise.resolve([]) : db.select().from(products).where(inArray(products.id, ids));
}

export async function restock(db: Db, productId: string, quantity: number): Promise<ProductRow | undefined> {
  const [row] = await db
    .update(products)
    .set({
      available: sql`${products.available} + ${quantity}`,
      received: sql`${products.received} + ${quantity}`,
      updatedAt: new Date(),
    })
    .where(eq(products.id, productId))
    .returning();
  return row;
}

/** Locks the order's products in id order, so concurrent reservations cannot deadlock. */
const lockProducts = (tx: Db, ids: string[]) =>
  tx.select().from(products).where(inArray(products.id, ids)).orderBy(asc(products.id)).for('update');

/**
 * Locks, in id order, every product that these orders' commands may touch: the lines of the
 * reservations asked for and the products the others' orders hold. Run first in a batch's
 * transaction, so two batches that touch the same products wait for each other instead of
 * deadlocking; the handlers' own locks are then already held.
 */
export async function lockProductsFor(
  tx: Db,
  { reserve, settle }: { reserve: string[]; settle: string[] },
): Promise<void> {
  const held =
    settle.length === 0
      ? []
      : await tx
          .selectDistinct({ productId: reservations.productId })
          .from(reservations)
          .where(inArray(reservations.orderId, settle));
  const ids = [...new Set([...reserve, ...held.map((r) => r.productId)])];
  if (ids.length > 1) await lockProducts(tx, ids);
}

/**
 * Reserves every line of an order or none. Idempotent: an order that already holds reservations
 * gets the same answer again without touching stock.
 */
export async function reserveForOrder(tx: Db, orderId: string, lines: Line[]): Promise<ReserveDecision> {
  // One round trip: the products are locked even when the order turns out to hold its stock already.
  const [existing, locked] = await Promise.all([
    tx.select().from(reservations).where(eq(reservations.orderId, orderId)),
    lockProducts(
      tx,
      lines.map((l) => l.productId),
    ),
  ]);
  if (existing.length > 0)
    return existing.every((r) => r.status !== 'RELEASED')
      ? { ok: true }
      : { ok: false, reason: 'The reservation was already released' };
  const decision = decideReservation(
    locked.map((p) => ({ productId: p.id, sku: p.sku, available: p.available })),
    lines,
  );
  if (!decision.ok) return decision;
  const now = new Date();
  // The rows are locked: the statements go out together, in one round trip.
  await Promise.all([
    ...lines.map((line) =>
      tx
        .update(products)
        .set({
          available: sql`${products.available} - ${line.quantity}`,
          reserved: sql`${products.reserved} + ${line.quantity}`,
          updatedAt: now,
        })
        .where(eq(products.id, line.productId)),
    ),
    tx
      .insert(reservations)
      .values(
        lines.map((l) => ({ orderId, productId: l.productId, quantity: l.quantity, status: 'RESERVED' as const })),
      ),
  ]);
  return decision;
}

/**
 * Moves an order's reserved stock to sold (`COMMITTED`), or puts everything the order holds back on
 * the shelf (`RELEASED`): reserved stock and, when a cancellation reaches back past the commit, sold
 * stock too. A second call finds nothing left to move.
 */
export async function settleReservations(tx: Db, orderId: string, to: 'COMMITTED' | 'RELEASED'): Promise<string[]> {
  const from: ReservationStatus[] = to === 'COMMITTED' ? ['RESERVED'] : ['RESERVED', 'COMMITTED'];
  const held = await tx
    .select()
    .from(reservations)
    .where(and(eq(reservations.orderId, orderId), inArray(reservations.status, from)))
    .orderBy(asc(reservations.productId))
    .for('update');
  if (held.length === 0) return [];
  await lockProducts(
    tx,
    held.map((r) => r.productId),
  );
  const now = new Date();
  const change = (r: (typeof held)[number]) =>
    to === 'COMMITTED'
      ? { reserved: sql`${products.reserved} - ${r.quantity}`, sold: sql`${products.sold} + ${r.quantity}` }
      : r.status === 'RESERVED'
        ? { reserved: sql`${products.reserved} - ${r.quantity}`, available: sql`${products.available} + ${r.quantity}` }
        : { sold: sql`${products.sold} - ${r.quantity}`, available: sql`${products.available} + ${r.quantity}` };
  await Promise.all([
    ...held.map((r) =>
      tx
        .update(products)
        .set({ ...change(r), updatedAt: now })
        .where(eq(products.id, r.productId)),
    ),
    tx
      .update(reservations)
      .set({ status: to, updatedAt: now })
      .where(and(eq(reservations.orderId, orderId), inArray(reservations.status, from))),
  ]);
  return held.map((r) => r.productId);
}

import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { type PaymentRow, payments } from './tables.ts';

/** The order's payment, locked for the caller's transaction unless `lock` is false. */
export async function paymentByOrder(db: Db, orderId: string, { lock = true } = {}): Promise<PaymentRow | undefined> {
  const query = db.select().from(payments).where(eq(payments.orderId, orderId));
  return (await (lock ? query.for('update') : query))[0];
}

export const paymentsByOrders = (db: Db, orderIds: string[]): Promise<PaymentRow[]> =>
  orderIds.length === 0 ? Promise.resolve([]) : db.select().from(payments).where(inArray(payments.orderId, orderIds));

export async function insertPayment(db: Db, row: typeof payments.$inferInsert): Promise<void> {
  await db.insert(payments).values(row);
}

export async function updatePayment(db: Db, id: string, change: Partial<typeof payments.$inferInsert>): Promise<void> {
  await db
    .update(payments)
    .set({ ...change, updatedAt: new Date() })
    .where(eq(payments.id, id));
}

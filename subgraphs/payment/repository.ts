import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { payments, type PaymentRow } from './tables.ts';

export const paymentByOrder = async (db: Db, orderId: string): Promise<PaymentRow | undefined> =>
  (await db.select().from(payments).where(eq(payments.orderId, orderId)).for('update'))[0];

export const paymentsByOrders = (db: Db, orderIds: string[]): Promise<PaymentRow[]> =>
  orderIds.length === 0 ? Promise.resolve([]) : db.select().from(payments).where(inArray(payments.orderId, orderIds));

export async function insertPayment(db: Db, row: typeof payments.$inferInsert): Promise<void> {
  await db.insert(payments).values(row);
}

export async function updatePayment(db: Db, id: string, change: Partial<typeof payments.$inferInsert>): Promise<void> {
  await db.update(payments).set({ ...change, updatedAt: new Date() }).where(eq(payments.id, id));
}

import type { Db } from '../../db/index.ts';
import type { AuditEntry } from '../../kernel/index.ts';
import { formatCents } from '../../kernel/index.ts';
import type { Envelope, Handlers } from '../../messaging/index.ts';
import { createEnvelope, failedWith, replyToSaga, succeeded, writeOutbox } from '../../messaging/index.ts';
import { lockProductsFor, reserveForOrder, settleReservations } from './repository.ts';
import { outbox, type ProductRow } from './tables.ts';

/** Tells other services about products (the order service prices orders from these), in the caller's transaction. */
export async function announceProducts(tx: Db, rows: ProductRow[]): Promise<void> {
  await writeOutbox(
    tx,
    outbox,
    rows.map((p) =>
      createEnvelope(
        'ProductPriced',
        p.id,
        { productId: p.id, sku: p.sku, price: formatCents(p.priceCents), currency: p.currency },
        { correlationId: `product:${p.id}`, causationId: null },
      ),
    ),
  );
}

/** Sends an admin action to the audit log (kept by the order service), in the caller's transaction. */
export async function recordAudit(tx: Db, entry: AuditEntry): Promise<void> {
  await writeOutbox(tx, outbox, [
    createEnvelope('AuditRecorded', entry.id, entry, { correlationId: entry.correlationId, causationId: null }),
  ]);
}

/**
 * Inventory's part in the order saga: every command answers with a reply, in the same transaction.
 * The products whose stock may have changed go into `touched`, for the cache to forget after commit.
 */
export const inventoryHandlers = (touched: Set<string>): Handlers => ({
  async ReserveInventory(command, tx) {
    const decision = await reserveForOrder(tx, command.payload.orderId, command.payload.lines);
    if (decision.ok) for (const line of command.payload.lines) touched.add(line.productId);
    await replyToSaga(tx, outbox, command, decision.ok ? succeeded : failedWith(decision.reason));
  },
  async CommitInventory(command, tx) {
    for (const id of await settleReservations(tx, command.payload.orderId, 'COMMITTED')) touched.add(id);
    await replyToSaga(tx, outbox, command, succeeded);
  },
  async ReleaseInventory(command, tx) {
    for (const id of await settleReservations(tx, command.payload.orderId, 'RELEASED')) touched.add(id);
    await replyToSaga(tx, outbox, command, succeeded);
  },
});

/** Before a batch of inventory commands: its products locked in one order (see `lockProductsFor`). */
export async function lockBatchProducts(tx: Db, envelopes: Envelope[]): Promise<void> {
  if (envelopes.length < 2) return;
  const reserve: string[] = [];
  const settle: string[] = [];
  for (const e of envelopes) {
    if (e.type === 'ReserveInventory')
      reserve.push(...(e as Envelope<'ReserveInventory'>).payload.lines.map((l) => l.productId));
    else if (e.type === 'CommitInventory' || e.type === 'ReleaseInventory')
      settle.push((e as Envelope<'CommitInventory'>).payload.orderId);
  }
  await lockProductsFor(tx, { reserve, settle });
}

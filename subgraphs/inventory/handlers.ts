import type { Db } from '../../db/index.ts';
import type { Envelope, Handlers } from '../../messaging/index.ts';
import { failedWith, replyToSaga, succeeded } from '../../messaging/index.ts';
import { lockProductsFor, reserveForOrder, settleReservations } from './repository.ts';
import { outbox } from './tables.ts';

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

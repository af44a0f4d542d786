import type { Handlers } from '../../messaging/inbox.ts';
import { failedWith, replyToSaga, succeeded } from '../../messaging/participant.ts';
import { reserveForOrder, settleReservations } from './repository.ts';
import { outbox } from './tables.ts';

/** Inventory's part in the order saga: every command answers with a reply, in the same transaction. */
export const inventoryHandlers: Handlers = {
  async ReserveInventory(command, tx) {
    const decision = await reserveForOrder(tx, command.payload.orderId, command.payload.lines);
    await replyToSaga(tx, outbox, command, decision.ok ? succeeded : failedWith(decision.reason));
  },
  async CommitInventory(command, tx) {
    await settleReservations(tx, command.payload.orderId, 'COMMITTED');
    await replyToSaga(tx, outbox, command, succeeded);
  },
  async ReleaseInventory(command, tx) {
    await settleReservations(tx, command.payload.orderId, 'RELEASED');
    await replyToSaga(tx, outbox, command, succeeded);
  },
};

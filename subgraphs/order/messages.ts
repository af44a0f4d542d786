import type { Handlers } from '../../messaging/inbox.ts';
import type { SagaEngine } from '../../saga/engine.ts';
import type { OrderSagaData } from '../../saga/order-saga.ts';

/** The order service runs the order saga: participants' replies move it on. */
export const orderHandlers = (engine: SagaEngine<OrderSagaData>): Handlers => ({
  SagaStepReplied: (reply, tx) => engine.handleReply(tx, reply),
});

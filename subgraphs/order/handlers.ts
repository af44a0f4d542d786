import type { Handlers } from '../../messaging/index.ts';
import type { SagaEngine } from '../../saga/index.ts';
import { recordAudit } from './access.ts';
import { recordPrice } from './catalog.ts';
import type { OrderSagaData } from './saga.ts';

/** The order service runs the order saga (participants' replies move it on) and keeps a copy of prices. */
export const orderHandlers = (engine: SagaEngine<OrderSagaData>): Handlers => ({
  SagaStepReplied: (reply, tx) => engine.handleReply(tx, reply),
  ProductPriced: (event, tx) => recordPrice(tx, event),
  // The audit log is kept here: other services send what their admins did.
  AuditRecorded: (event, tx) => recordAudit(tx, event.payload),
});

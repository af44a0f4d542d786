import type { Db } from '../../db/index.ts';
import type { Logger } from '../../kernel/index.ts';
import { type Causation, createEnvelope, writeOutbox } from '../../messaging/index.ts';
import { createSagaEngine, type SagaEngine, type SagaObservation } from '../../saga/index.ts';
import type { OrderStatus } from './order.ts';
import { moveStatus } from './repository.ts';
import { type OrderSagaData, orderSaga, orderStatusAfter } from './saga.ts';
import { type OrderRow, outbox } from './tables.ts';

/**
 * Writes the status change and its event in the caller's transaction; answers whether it moved.
 * A move the order's status does not allow (a late step after a cancellation, or a redelivered
 * one) changes nothing: the saga, not the order, is the authority on what happens next.
 */
export async function changeOrderStatus(
  tx: Db,
  orderId: string,
  status: OrderStatus,
  reason: string | null,
  causation: Causation,
  now = new Date(),
): Promise<boolean> {
  const updated = await moveStatus(tx, orderId, status, reason, now);
  if (updated) await writeOutbox(tx, outbox, [statusEvent(updated, causation)]);
  return updated !== undefined;
}

export const statusEvent = (o: OrderRow, causation: Causation) =>
  createEnvelope(
    'OrderStatusChanged',
    o.id,
    {
      orderId: o.id,
      customerId: o.customerId,
      status: o.status,
      version: o.version,
      reason: o.failureReason,
      at: o.updatedAt.toISOString(),
    },
    causation,
    o.updatedAt,
  );

/** The order saga, run by this service: its local step completes the order; its progress moves the status. */
export function createOrderSagaEngine({
  deadlineMs,
  backoffMs,
  touched,
  logger,
  observe,
}: {
  deadlineMs: number;
  backoffMs: number;
  touched?: Set<string>;
  logger?: Logger;
  /** Told what each committed transition did (`sagaObserver`). */
  observe?: (observation: SagaObservation) => void;
}): SagaEngine<OrderSagaData> {
  /** A status the order's own transitions refuse is not an error, but it is said. */
  const move = async (tx: Db, orderId: string, status: OrderStatus, reason: string | null, causation: Causation) => {
    if (!(await changeOrderStatus(tx, orderId, status, reason, causation)))
      logger?.info(
        { orderId, status, correlationId: causation.correlationId },
        'order status not moved: its current status does not lead there',
      );
  };
  return createSagaEngine<OrderSagaData>({
    definition: orderSaga({ deadlineMs, backoffMs }),
    outbox,
    observe,
    hooks: {
      local: {
        completeOrder: (tx, saga, causation) => move(tx, saga.data.orderId, 'COMPLETED', null, causation),
      },
      async onChange(tx, saga, effects, causation) {
        touched?.add(saga.businessKey);
        const change = orderStatusAfter(effects);
        if (change) await move(tx, saga.data.orderId, change.status, change.reason, causation);
      },
    },
  });
}

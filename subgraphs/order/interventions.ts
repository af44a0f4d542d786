import { type Db, transaction } from '../../db/index.ts';
import {
  auditEntry,
  badInput,
  forbidden,
  type Identity,
  mayChangeOrders,
  notFound,
  uuidOf,
} from '../../kernel/index.ts';
import type { SagaEngine } from '../../saga/index.ts';
import { recordAudit } from './access.ts';
import { isFinal } from './order.ts';
import { findOrder, lockOrder } from './repository.ts';
import type { OrderSagaData } from './saga.ts';
import type { OrderRow } from './tables.ts';

/** An order the caller may act on: their own, or any for an admin. */
async function ownOrder(db: Db, identity: Identity, id: string): Promise<OrderRow> {
  const key = uuidOf(id);
  const order = key ? await findOrder(db, key) : undefined;
  if (!order) throw notFound(`No order ${id}`);
  if (!identity.isAdmin && order.customerId !== identity.customerId)
    throw forbidden('This order belongs to another customer');
  return order;
}

/**
 * Asks the order's saga to stop: the steps that took (or may yet take) effect are compensated and
 * the order ends CANCELLED. A final order cannot be cancelled.
 */
export async function cancelOrder(
  { db, engine }: { db: Db; engine: SagaEngine<OrderSagaData> },
  identity: Identity,
  id: string,
  request: { correlationId: string },
): Promise<OrderRow> {
  if (!mayChangeOrders(identity))
    throw forbidden('This API key may not cancel orders (it lacks the PLACE_ORDERS scope)');
  const order = await ownOrder(db, identity, id);
  const byOwner = identity.customerId === order.customerId;
  const reason = byOwner ? 'Cancelled by the customer' : 'Cancelled by an administrator';
  await transaction(db, async (tx) => {
    const locked = (await lockOrder(tx, order.id))!;
    if (isFinal(locked.status)) throw badInput(`The order is already ${locked.status}`, { status: locked.status });
    await engine.signal(
      tx,
      order.id,
      { kind: 'cancelRequested', reason },
      { correlationId: request.correlationId, causationId: null },
    );
    if (!byOwner || identity.apiKeyId)
      await recordAudit(
        tx,
        auditEntry(
          identity,
          'order.cancelled',
          `order:${order.id}`,
          { customerId: order.customerId, status: locked.status },
          request.correlationId,
        ),
      );
  });
  return (await findOrder(db, order.id))!;
}

/** Admin only: sends a STUCK saga's failed compensation again. */
export async function retrySaga(
  { db, engine }: { db: Db; engine: SagaEngine<OrderSagaData> },
  identity: Identity,
  orderId: string,
  request: { correlationId: string },
): Promise<OrderRow> {
  if (!identity.isAdmin) throw forbidden('Only an admin may resume a saga');
  const order = await ownOrder(db, identity, orderId);
  await transaction(db, async (tx) => {
    const result = await engine.signal(
      tx,
      order.id,
      { kind: 'resumeRequested' },
      { correlationId: request.correlationId, causationId: null },
    );
    if (!result?.changed)
      throw badInput(`The saga is ${result?.saga.status ?? 'missing'}; only a STUCK saga can be resumed`, {
        status: result?.saga.status,
      });
    await recordAudit(
      tx,
      auditEntry(
        identity,
        'saga.retried',
        `order:${order.id}`,
        { sagaId: result.saga.id, customerId: order.customerId },
        request.correlationId,
      ),
    );
  });
  return (await findOrder(db, order.id))!;
}

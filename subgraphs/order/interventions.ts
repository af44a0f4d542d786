import { type Db, transaction } from '../../db/index.ts';
import {
  auditEntry,
  badInput,
  forbidden,
  type Identity,
  MAX_PAGE_SIZE,
  mayChangeOrders,
  notFound,
  uuidOf,
} from '../../kernel/index.ts';
import type { SagaEngine, SagaEvent, SagaFilter, SagaRow, SagaState, SagaStatus } from '../../saga/index.ts';
import { recordAudit, requireAdmin } from './access.ts';
import { isFinal } from './order.ts';
import { findOrder, findOrders, lockOrder } from './repository.ts';
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

type Engine = { db: Db; engine: SagaEngine<OrderSagaData> };
type Intervention = Extract<SagaEvent, { kind: 'resumeRequested' | 'compensationForced' }>;

/**
 * Applies an operator's event to the saga of an order in one transaction with its audit entry;
 * answers the saga as it is after, or, when the event changes nothing in the saga's status now,
 * `refused` with that status (nothing is written).
 */
async function intervene(
  { db, engine }: Engine,
  identity: Identity,
  order: OrderRow,
  event: Intervention,
  action: string,
  request: { correlationId: string },
): Promise<{ saga: SagaState<OrderSagaData> } | { refused: SagaStatus | undefined }> {
  return transaction(db, async (tx) => {
    const result = await engine.signal(tx, order.id, event, {
      correlationId: request.correlationId,
      causationId: null,
    });
    if (!result?.changed) return { refused: result?.saga.status };
    const details: Record<string, unknown> = { sagaId: result.saga.id, customerId: order.customerId };
    if (event.kind === 'compensationForced') details.reason = event.reason;
    await recordAudit(tx, auditEntry(identity, action, `order:${order.id}`, details, request.correlationId));
    return { saga: result.saga };
  });
}

/** Admin only: sends a STUCK saga's failed compensation again. */
export async function retrySaga(
  deps: Engine,
  identity: Identity,
  orderId: string,
  request: { correlationId: string },
): Promise<OrderRow> {
  if (!identity.isAdmin) throw forbidden('Only an admin may resume a saga');
  const order = await ownOrder(deps.db, identity, orderId);
  const outcome = await intervene(deps, identity, order, { kind: 'resumeRequested' }, 'saga.retried', request);
  if ('refused' in outcome)
    throw badInput(`The saga is ${outcome.refused ?? 'missing'}; only a STUCK saga can be resumed`, {
      status: outcome.refused,
    });
  return (await findOrder(deps.db, order.id))!;
}

export const MAX_REASON = 200;

/** Admin only: makes a running saga compensate now, resumes a STUCK one, sends a waiting compensation at once. */
export async function compensateSaga(
  deps: Engine,
  identity: Identity,
  orderId: string,
  reason: string | undefined,
  request: { correlationId: string },
): Promise<OrderRow> {
  requireAdmin(identity, 'force a compensation');
  const why = reason?.trim() || 'Stopped by an administrator';
  if (why.length > MAX_REASON) throw badInput(`reason is longer than ${MAX_REASON} characters`, { field: 'reason' });
  const order = await ownOrder(deps.db, identity, orderId);
  const outcome = await intervene(
    deps,
    identity,
    order,
    { kind: 'compensationForced', reason: why },
    'saga.compensated',
    request,
  );
  if ('refused' in outcome)
    throw badInput(
      outcome.refused === 'COMPENSATING'
        ? 'The saga is already compensating'
        : `The saga is ${outcome.refused ?? 'missing'}; only a RUNNING, COMPENSATING or STUCK saga can be compensated`,
      { status: outcome.refused },
    );
  return (await findOrder(deps.db, order.id))!;
}

/**
 * Admin only: resumes the newest `limit` STUCK sagas a filter selects (the oldest of them first),
 * one transaction each (a saga another admin resumed meanwhile is skipped, the others still go).
 */
export async function retrySagas(
  deps: Engine,
  identity: Identity,
  filter: SagaFilter,
  limit: number,
  request: { correlationId: string },
): Promise<{ retried: SagaRow[]; hasMore: boolean }> {
  requireAdmin(identity, 'resume sagas');
  if (filter.status !== undefined && filter.status !== 'STUCK')
    throw badInput('Only STUCK sagas can be resumed: filter on status STUCK or none', { field: 'status' });
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw badInput(`limit must be between 1 and ${MAX_PAGE_SIZE}`, { field: 'limit' });
  const found = await deps.engine.list(deps.db, { ...filter, status: 'STUCK' }, { limit });
  const chosen = found.slice(0, limit).reverse();
  const orders = new Map(
    (
      await findOrders(
        deps.db,
        chosen.map((s) => s.businessKey),
      )
    ).map((o) => [o.id, o]),
  );
  const retried: string[] = [];
  for (const saga of chosen) {
    const order = orders.get(saga.businessKey);
    if (!order) continue;
    const outcome = await intervene(deps, identity, order, { kind: 'resumeRequested' }, 'saga.retried', request);
    if ('saga' in outcome) retried.push(order.id);
  }
  // As they are now, in one read.
  const now = new Map((await deps.engine.findManyByKeys(deps.db, retried)).map((s) => [s.businessKey, s.row]));
  return { retried: retried.flatMap((key) => now.get(key) ?? []), hasMore: found.length > limit };
}

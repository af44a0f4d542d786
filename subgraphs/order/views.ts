// How the order service reads orders: per-request loaders and the order read model in Redis.
import DataLoader from 'dataloader';
import type { ReadModel } from '../../cache/index.ts';
import type { Db } from '../../db/index.ts';
import type { SubgraphContext } from '../../runtime/subgraph/index.ts';
import type { SagaRow } from '../../saga/index.ts';
import { type SagaEngine, type SagaView, sagaView } from '../../saga/index.ts';
import { findOrder, findOrders, itemsOfOrders } from './repository.ts';
import type { OrderSagaData } from './saga.ts';
import type { OrderItemRow, OrderRow } from './tables.ts';

export interface OrderContext extends SubgraphContext {
  items: DataLoader<string, OrderItemRow[]>;
  sagas: DataLoader<string, SagaView<OrderSagaData> | null>;
  /** Orders by id from the database, in one statement per request (an admin's page of sagas with their orders). */
  orders: DataLoader<string, OrderRow | null>;
}

export const itemsLoader = (db: Db) =>
  new DataLoader<string, OrderItemRow[]>(async (orderIds) => {
    const rows = await itemsOfOrders(db, [...orderIds]);
    return orderIds.map((id) => rows.filter((r) => r.orderId === id));
  });

export const orderLoader = (db: Db) =>
  new DataLoader<string, OrderRow | null>(async (ids) => {
    const byId = new Map((await findOrders(db, [...ids])).map((o) => [o.id, o]));
    return ids.map((id) => byId.get(id) ?? null);
  });

export const sagaLoader = (db: Db, engine: SagaEngine<OrderSagaData>) =>
  new DataLoader<string, SagaView<OrderSagaData> | null>(async (orderIds) => {
    const sagas = await engine.findManyByKeys(db, [...orderIds]);
    const byOrder = new Map(sagas.map((s) => [s.businessKey, s]));
    return orderIds.map((id) => byOrder.get(id) ?? null);
  });

/** What the order read model holds for one order: the order, its lines and its saga. */
export interface OrderView {
  order: OrderRow;
  items: OrderItemRow[];
  saga: SagaRow;
}

const reviveView = (v: OrderView): OrderView => ({
  order: { ...v.order, createdAt: new Date(v.order.createdAt), updatedAt: new Date(v.order.updatedAt) },
  items: v.items,
  saga: {
    ...v.saga,
    deadlineAt: new Date(v.saga.deadlineAt),
    startedAt: new Date(v.saga.startedAt),
    updatedAt: new Date(v.saga.updatedAt),
    retryAt: v.saga.retryAt ? new Date(v.saga.retryAt) : null,
  },
});

/** Reads an order through the read model; a miss loads it with its lines and saga and caches the view. */
export async function loadOrderView(
  db: Db,
  views: ReadModel<OrderView>,
  ctx: OrderContext,
  id: string,
): Promise<OrderRow | undefined> {
  const cached = await views.get(id);
  if (cached) {
    const view = reviveView(cached);
    ctx.items.prime(id, view.items);
    ctx.sagas.prime(id, sagaView<OrderSagaData>(view.saga));
    return view.order;
  }
  const order = await findOrder(db, id);
  if (!order) return undefined;
  const [items, saga] = await Promise.all([ctx.items.load(id), ctx.sagas.load(id)]);
  if (saga) await views.put(id, order.version, { order, items, saga: saga.row });
  return order;
}

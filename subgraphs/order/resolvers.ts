import type { ReadModel } from '../../cache/index.ts';
import type { Db } from '../../db/index.ts';
import type { Sealer } from '../../kernel/index.ts';
import {
  badInput,
  connection,
  forbidden,
  formatCents,
  MAX_PAGE_SIZE,
  pageArgs,
  timeAndIdKey,
  uuidOf,
} from '../../kernel/index.ts';
import type { SubgraphContext } from '../../runtime/subgraph/index.ts';
import type { Admission, SagaCursor, SagaEngine, SagaFilter, SagaStatus } from '../../saga/index.ts';
import {
  createApiKey,
  isTimeCursor,
  listApiKeys,
  listAudit,
  requireAdmin,
  resolveApiKey,
  revokeApiKey,
} from './access.ts';
import type { Catalog } from './catalog.ts';
import type { Resolvers } from './generated/resolvers.ts';
import { cancelOrder, compensateSaga, retrySaga, retrySagas } from './interventions.ts';
import { type OpenOrderCaps, placeOrder } from './placement.ts';
import { listOrders, type OrderCursor } from './repository.ts';
import type { OrderSagaData } from './saga.ts';
import type { OrderRow } from './tables.ts';

import { loadOrderView, type OrderContext, type OrderView } from './views.ts';

const isOrderCursor: (v: unknown) => v is OrderCursor = timeAndIdKey('createdAt');
const isSagaCursor: (v: unknown) => v is SagaCursor = timeAndIdKey('startedAt');

/** An operator's saga filter from GraphQL arguments (null: no filter on that field). */
const sagaFilter = (f: {
  status?: SagaStatus | null;
  step?: string | null;
  startedBefore?: Date | null;
  startedAfter?: Date | null;
  pastDeadline?: boolean | null;
}): SagaFilter => ({
  status: f.status ?? undefined,
  step: f.step ?? undefined,
  startedBefore: f.startedBefore ?? undefined,
  startedAfter: f.startedAfter ?? undefined,
  pastDeadline: f.pastDeadline ?? undefined,
});

const mayRead = (ctx: SubgraphContext, order: OrderRow) =>
  ctx.identity.isAdmin || order.customerId === ctx.identity.customerId;

/** A product as the order subgraph knows it: a reference the inventory subgraph resolves. */
export type ProductReference = { __typename: 'Product'; id: string };

export function orderResolvers({
  db,
  catalog,
  engine,
  admission,
  caps,
  sealer,
  views,
  afterCommit,
}: {
  db: Db;
  catalog: Catalog;
  engine: SagaEngine<OrderSagaData>;
  admission: Admission;
  caps: OpenOrderCaps;
  sealer: Sealer;
  views: ReadModel<OrderView>;
  afterCommit: () => void;
}): Resolvers {
  const readable = async (id: string, ctx: OrderContext) => {
    const key = uuidOf(id);
    const order = key ? await loadOrderView(db, views, ctx, key) : undefined;
    if (!order) return null;
    if (!mayRead(ctx, order)) throw forbidden('This order belongs to another customer');
    return order;
  };
  return {
    Query: {
      order: (_, { id }, ctx) => readable(id, ctx),
      orders: async (_, args, ctx) => {
        const { limit, after } = pageArgs(args.first, args.after, isOrderCursor);
        if (args.ids && args.ids.length > MAX_PAGE_SIZE)
          throw badInput(`ids may name at most ${MAX_PAGE_SIZE} orders`, { field: 'ids' });
        const rows = await listOrders(db, {
          customerId: ctx.identity.isAdmin ? undefined : ctx.identity.customerId,
          status: args.status ?? undefined,
          // An id that is no UUID names no order.
          ids: args.ids ? args.ids.flatMap((id) => uuidOf(id) ?? []) : undefined,
          after,
          limit,
        });
        return connection(
          rows,
          limit,
          (o) => ({ createdAt: o.createdAt.toISOString(), id: o.id }),
          (o) => o,
        );
      },
      apiKeys: async (_, args, ctx) => {
        const { limit, after } = pageArgs(args.first, args.after, isTimeCursor);
        const rows = await listApiKeys(db, ctx.identity, { customerId: args.customerId ?? undefined, after, limit });
        return connection(
          rows,
          limit,
          (k) => ({ at: k.createdAt.toISOString(), id: k.id }),
          (k) => k,
        );
      },
      auditLog: async (_, args, ctx) => {
        const { limit, after } = pageArgs(args.first, args.after, isTimeCursor);
        const rows = await listAudit(db, ctx.identity, {
          actor: args.actor ?? undefined,
          action: args.action ?? undefined,
          apiKeyId: args.apiKeyId ?? undefined,
          after,
          limit,
        });
        return connection(
          rows,
          limit,
          (e) => ({ at: e.at.toISOString(), id: e.id }),
          (e) => e,
        );
      },
      sagas: async (_, args, ctx) => {
        requireAdmin(ctx.identity, 'search sagas');
        const { limit, after } = pageArgs(args.first, args.after, isSagaCursor);
        const sagas = await engine.list(db, sagaFilter(args), { after, limit });
        return connection(
          sagas,
          limit,
          (s) => ({ startedAt: s.row.startedAt.toISOString(), id: s.id }),
          (s) => s.row,
        );
      },
      saga: async (_, { id }, ctx) => {
        requireAdmin(ctx.identity, 'read sagas');
        const key = uuidOf(id);
        return (key && (await engine.findById(db, key))?.row) || null;
      },
      sagaCounts: async (_, { startedAfter }, ctx) => {
        requireAdmin(ctx.identity, 'count sagas');
        const counts = await engine.counts(db, startedAfter ?? undefined);
        return Object.entries(counts).map(([status, count]) => ({ status: status as SagaStatus, count }));
      },
      _apiKeyPrincipal: async (_, { digest }, ctx) => {
        if (ctx.identity.service !== 'gateway') throw forbidden('Only the gateway looks up API keys');
        return (await resolveApiKey(db, digest)) ?? null;
      },
    },
    Mutation: {
      placeOrder: async (_, { input }, ctx) => {
        const placed = await placeOrder({ db, catalog, engine, admission, caps, sealer }, ctx.identity, input, ctx);
        if (placed.created) {
          afterCommit();
          // The answer's lines and saga are what was just stored: no need to read them back.
          ctx.items.prime(placed.order.id, placed.items);
          ctx.sagas.prime(placed.order.id, placed.saga);
        }
        return { order: placed.order };
      },
      cancelOrder: async (_, { id }, ctx) => {
        const order = await cancelOrder({ db, engine }, ctx.identity, id, ctx);
        afterCommit();
        return order;
      },
      retrySaga: async (_, { orderId }, ctx) => {
        const order = await retrySaga({ db, engine }, ctx.identity, orderId, ctx);
        afterCommit();
        return order;
      },
      compensateSaga: async (_, { orderId, reason }, ctx) => {
        const order = await compensateSaga({ db, engine }, ctx.identity, orderId, reason ?? undefined, ctx);
        afterCommit();
        return order;
      },
      retrySagas: async (_, { filter, limit }, ctx) => {
        const { retried, hasMore } = await retrySagas(
          { db, engine },
          ctx.identity,
          sagaFilter(filter),
          limit ?? 100,
          ctx,
        );
        afterCommit();
        return { retried: retried.length, sagas: retried, hasMore };
      },
      createApiKey: async (_, { input }, ctx) => {
        const { row, key } = await createApiKey(
          db,
          ctx.identity,
          { ...input, expiresAt: input.expiresAt ? new Date(input.expiresAt) : null },
          ctx.correlationId,
        );
        return { apiKey: row, key };
      },
      revokeApiKey: async (_, { id }, ctx) => {
        const row = await revokeApiKey(db, ctx.identity, id, ctx.correlationId);
        afterCommit();
        return row;
      },
    },
    Order: {
      __resolveReference: (ref, ctx) => readable(ref.id, ctx),
      items: (o, _, ctx) => ctx.items.load(o.id),
      totalAmount: (o) => formatCents(o.totalCents),
      saga: async (o, _, ctx) => {
        const saga = await ctx.sagas.load(o.id);
        if (!saga) throw new Error(`order ${o.id} has no saga`);
        return saga.row;
      },
    },
    Saga: {
      orderId: (s) => s.businessKey,
      // Batched: a page of 100 sagas with their orders is one statement, not 100.
      order: async (s, _, ctx) => {
        const order = await ctx.orders.load(s.businessKey);
        if (order && !mayRead(ctx, order)) throw forbidden('This order belongs to another customer');
        return order;
      },
    },
    AuditEntry: {
      details: (e) => JSON.stringify(e.details),
    },
    OrderItem: {
      product: (i) => ({ __typename: 'Product', id: i.productId }),
      unitPrice: (i) => formatCents(i.unitPriceCents),
      subtotal: (i) => formatCents(i.unitPriceCents * i.quantity),
    },
  };
}

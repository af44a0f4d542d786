import DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { Db } from '../../db/client.ts';
import { formatCents } from '../../platform/money.ts';
import { isUuid } from '../../platform/pagination.ts';
import type { SubgraphContext } from '../../platform/subgraph.ts';
import { paymentsByOrders } from './repository.ts';
import type { PaymentRow } from './tables.ts';

export interface PaymentContext extends SubgraphContext {
  paymentsByOrder: DataLoader<string, PaymentRow | null>;
}

export const paymentLoader = (db: Db) =>
  new DataLoader<string, PaymentRow | null>(async (orderIds) => {
    const rows = await paymentsByOrders(db, orderIds.filter(isUuid));
    const byOrder = new Map(rows.map((r) => [r.orderId, r]));
    return orderIds.map((id) => byOrder.get(id) ?? null);
  });

export function paymentResolvers(): GraphQLResolverMap<PaymentContext> {
  return {
    Order: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      // The order subgraph decides who may see an order; a payment is shown only to the same customer or an admin.
      payment: async (order: { id: string }, _: unknown, ctx: PaymentContext) => {
        const payment = await ctx.paymentsByOrder.load(order.id);
        if (!payment) return null;
        return ctx.identity.isAdmin || payment.customerId === ctx.identity.customerId ? payment : null;
      },
    },
    Payment: {
      amount: (p: PaymentRow) => formatCents(p.amountCents),
    },
  };
}

import DataLoader from 'dataloader';
import type { Db } from '../../db/index.ts';
import { formatCents, isUuid } from '../../kernel/index.ts';
import type { SubgraphContext } from '../../runtime/subgraph/index.ts';
import type { Resolvers } from './generated/resolvers.ts';
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

/** An order as the payment subgraph knows it: by id alone. */
export type OrderReference = { id: string };

export function paymentResolvers(): Resolvers {
  return {
    Order: {
      __resolveReference: (ref) => ({ id: ref.id }),
      // The order subgraph decides who may see an order; a payment is shown only to the same customer or an admin.
      payment: async (order, _, ctx) => {
        const payment = await ctx.paymentsByOrder.load(order.id);
        if (!payment) return null;
        return ctx.identity.isAdmin || payment.customerId === ctx.identity.customerId ? payment : null;
      },
    },
    Payment: {
      amount: (p) => formatCents(p.amountCents),
    },
  };
}

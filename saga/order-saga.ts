import type { SagaDefinition } from './definition.ts';
import type { SagaEffect } from './core.ts';

/** What the order saga carries from step to step. */
export interface OrderSagaData {
  orderId: string;
  customerId: string;
  lines: { productId: string; quantity: number }[];
  amount: string;
  currency: string;
  paymentToken: string;
}

export const ORDER_SAGA = 'order';

/**
 * The order saga, as the business reads it: reserve the stock, charge the customer, commit the
 * stock, complete the order. A failure undoes what was done, in reverse: refund, release.
 */
export function orderSaga({ deadlineMs }: { deadlineMs: number }): SagaDefinition<OrderSagaData> {
  return {
    type: ORDER_SAGA,
    version: 1,
    deadlineMs,
    steps: [
      {
        name: 'reserveInventory',
        action: {
          kind: 'remote',
          command: (d, { sagaId, step }) => ({ type: 'ReserveInventory', payload: { sagaId, step, orderId: d.orderId, lines: d.lines } }),
        },
        compensation: {
          name: 'releaseInventory',
          command: (d, { sagaId, step }) => ({ type: 'ReleaseInventory', payload: { sagaId, step, orderId: d.orderId } }),
        },
      },
      {
        name: 'chargePayment',
        action: {
          kind: 'remote',
          command: (d, { sagaId, step, idempotencyKey }) => ({
            type: 'ChargePayment',
            payload: { sagaId, step, orderId: d.orderId, customerId: d.customerId, amount: d.amount, currency: d.currency, paymentToken: d.paymentToken, idempotencyKey },
          }),
        },
        compensation: {
          name: 'refundPayment',
          command: (d, { sagaId, step, idempotencyKey }) => ({ type: 'RefundPayment', payload: { sagaId, step, orderId: d.orderId, idempotencyKey } }),
        },
      },
      {
        name: 'commitInventory',
        action: {
          kind: 'remote',
          command: (d, { sagaId, step }) => ({ type: 'CommitInventory', payload: { sagaId, step, orderId: d.orderId } }),
        },
      },
      { name: 'completeOrder', action: { kind: 'local' } },
    ],
  };
}

export type OrderStatusChange = { status: 'INVENTORY_CONFIRMED' | 'PAYMENT_CONFIRMED' | 'FAILED'; reason: string | null };

/**
 * The order status a saga change leads to, besides COMPLETED, which the local `completeOrder`
 * step sets itself. `null`: the order's status stays.
 */
export function orderStatusAfter(effects: SagaEffect[]): OrderStatusChange | null {
  for (const effect of effects) {
    if (effect.kind === 'send' && !effect.compensation) {
      if (effect.step === 'chargePayment') return { status: 'INVENTORY_CONFIRMED', reason: null };
      if (effect.step === 'commitInventory') return { status: 'PAYMENT_CONFIRMED', reason: null };
    }
    if (effect.kind === 'finished' && effect.status === 'COMPENSATED') return { status: 'FAILED', reason: effect.reason };
  }
  return null;
}

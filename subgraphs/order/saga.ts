import type { SagaEffect } from '../../saga/index.ts';
import { defaultCompensationRetry, defaultRetry, type RetryPolicy, type SagaDefinition } from '../../saga/index.ts';

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
 * stock, complete the order. When a step fails, times out or the customer cancels, what was done
 * is undone in reverse: return committed stock, refund, release reserved stock.
 */
export function orderSaga({
  deadlineMs,
  backoffMs,
}: {
  deadlineMs: number;
  backoffMs?: number;
}): SagaDefinition<OrderSagaData> {
  const retry: RetryPolicy = { ...defaultRetry, ...(backoffMs ? { backoffMs } : {}) };
  return {
    type: ORDER_SAGA,
    version: 1,
    deadlineMs,
    compensationRetry: { ...defaultCompensationRetry, ...(backoffMs ? { backoffMs } : {}) },
    steps: [
      {
        name: 'reserveInventory',
        action: {
          kind: 'remote',
          command: (d, { sagaId, step }) => ({
            type: 'ReserveInventory',
            payload: { sagaId, step, orderId: d.orderId, lines: d.lines },
          }),
        },
        compensation: {
          name: 'releaseInventory',
          command: (d, { sagaId, step }) => ({
            type: 'ReleaseInventory',
            payload: { sagaId, step, orderId: d.orderId },
          }),
        },
        retry,
        timeoutReason: 'The stock could not be reserved in time',
      },
      {
        name: 'chargePayment',
        action: {
          kind: 'remote',
          command: (d, { sagaId, step, idempotencyKey }) => ({
            type: 'ChargePayment',
            payload: {
              sagaId,
              step,
              orderId: d.orderId,
              customerId: d.customerId,
              amount: d.amount,
              currency: d.currency,
              paymentToken: d.paymentToken,
              idempotencyKey,
            },
          }),
        },
        compensation: {
          name: 'refundPayment',
          command: (d, { sagaId, step, idempotencyKey }) => ({
            type: 'RefundPayment',
            payload: { sagaId, step, orderId: d.orderId, idempotencyKey },
          }),
        },
        retry,
        timeoutReason: 'The payment timed out: the payment provider did not answer in time',
      },
      {
        name: 'commitInventory',
        action: {
          kind: 'remote',
          command: (d, { sagaId, step }) => ({
            type: 'CommitInventory',
            payload: { sagaId, step, orderId: d.orderId },
          }),
        },
        // Only a cancellation can reach back past this step: the sold stock goes back on the shelf.
        compensation: {
          name: 'returnInventory',
          command: (d, { sagaId, step }) => ({
            type: 'ReleaseInventory',
            payload: { sagaId, step, orderId: d.orderId },
          }),
        },
        retry,
        timeoutReason: 'The stock could not be committed in time',
      },
      { name: 'completeOrder', action: { kind: 'local' } },
    ],
  };
}

export type OrderStatusChange = {
  status: 'INVENTORY_CONFIRMED' | 'PAYMENT_CONFIRMED' | 'FAILED' | 'CANCELLED';
  reason: string | null;
};

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
    if (effect.kind === 'finished' && effect.status === 'COMPENSATED')
      return { status: effect.cancelled ? 'CANCELLED' : 'FAILED', reason: effect.reason };
  }
  return null;
}

import type { Handlers } from '../../messaging/inbox.ts';
import { replyToSaga, succeeded } from '../../messaging/participant.ts';
import { parseCents } from '../../platform/money.ts';
import { chargeOutcome, simulateCharge } from './payment.ts';
import { insertPayment, paymentByOrder, updatePayment } from './repository.ts';
import { outbox } from './tables.ts';

/**
 * Payment's part in the order saga. A redelivered charge finds the stored payment and answers
 * from it, so the provider is asked at most once per order.
 */
export const paymentHandlers: Handlers = {
  async ChargePayment(command, tx) {
    const { orderId, customerId, amount, currency, paymentToken, idempotencyKey } = command.payload;
    const existing = await paymentByOrder(tx, orderId);
    if (existing) {
      const outcome = chargeOutcome(existing.status, existing.failureReason);
      if (outcome) await replyToSaga(tx, outbox, command, outcome);
      return;
    }
    const result = simulateCharge(paymentToken, idempotencyKey);
    const base = { orderId, customerId, amountCents: parseCents(amount), currency, idempotencyKey };
    switch (result.kind) {
      case 'approved':
        await insertPayment(tx, { ...base, status: 'APPROVED', transactionId: result.transactionId, processedAt: new Date() });
        return replyToSaga(tx, outbox, command, succeeded);
      case 'declined':
        await insertPayment(tx, { ...base, status: 'DECLINED', failureReason: result.reason, processedAt: new Date() });
        return replyToSaga(tx, outbox, command, chargeOutcome('DECLINED', result.reason)!);
      case 'no-answer':
        // No reply: the saga waits until its deadline, then compensates.
        await insertPayment(tx, { ...base, status: 'PENDING' });
        return;
    }
  },

  async RefundPayment(command, tx) {
    const payment = await paymentByOrder(tx, command.payload.orderId);
    if (payment?.status === 'APPROVED') {
      await updatePayment(tx, payment.id, { status: 'REFUNDED', processedAt: new Date() });
    } else if (payment?.status === 'PENDING') {
      await updatePayment(tx, payment.id, { status: 'FAILED', failureReason: 'The payment provider did not answer in time', processedAt: new Date() });
    }
    await replyToSaga(tx, outbox, command, succeeded);
  },
};

import type { Db } from '../../db/index.ts';
import type { Faults } from '../../kernel/index.ts';
import { isSealed, parseCents, type Sealer } from '../../kernel/index.ts';
import type { Handlers } from '../../messaging/index.ts';
import { replyToSaga, succeeded } from '../../messaging/index.ts';
import { type ChargeResult, chargeOutcome } from './payment.ts';
import type { PaymentProvider } from './provider.ts';
import { insertPayment, paymentByOrder, updatePayment } from './repository.ts';
import { outbox, type PaymentRow } from './tables.ts';

/**
 * Payment's part in the order saga. The provider is called before the inbox transaction (a
 * provider call must not hold a transaction open) with the saga's idempotency key, so however
 * often a command is delivered the provider charges once; the stored payment then answers the saga.
 */
export function paymentHandlers({
  db,
  provider,
  faults,
  sealer,
}: {
  db: Db;
  provider: PaymentProvider;
  faults: Faults;
  sealer: Sealer;
}): Handlers {
  return {
    ChargePayment: {
      // The provider answers a key it has seen with its first answer and charges nothing, so a
      // redelivered command may ask it again; `handle` then answers from the stored payment.
      async prepare(command): Promise<ChargeResult> {
        const { orderId, paymentToken, amount, idempotencyKey } = command.payload;
        // The token travels sealed to its order; one that does not open is dead-lettered (SealError
        // is not retriable). A plain token is one sealed by nobody: from before sealing existed.
        const token = isSealed(paymentToken) ? sealer.open(paymentToken, orderId) : paymentToken;
        return provider.charge({ idempotencyKey, orderId, paymentToken: token, amountCents: parseCents(amount) });
      },
      async handle(command, tx, result: ChargeResult) {
        const { orderId, customerId, amount, currency, idempotencyKey } = command.payload;
        const existing = await paymentByOrder(tx, orderId);
        if (existing) {
          const outcome = existing ? chargeOutcome(existing.status, existing.failureReason) : null;
          if (outcome) await replyToSaga(tx, outbox, command, outcome);
          return;
        }
        const base = { orderId, customerId, amountCents: parseCents(amount), currency, idempotencyKey };
        switch (result.kind) {
          case 'approved':
            await insertPayment(tx, {
              ...base,
              status: 'APPROVED',
              transactionId: result.transactionId,
              processedAt: new Date(),
            });
            return replyToSaga(tx, outbox, command, succeeded);
          case 'declined':
            await insertPayment(tx, {
              ...base,
              status: 'DECLINED',
              failureReason: result.reason,
              processedAt: new Date(),
            });
            return replyToSaga(tx, outbox, command, chargeOutcome('DECLINED', result.reason)!);
          case 'no-answer':
            // No reply: the saga waits until its deadline, then compensates.
            await insertPayment(tx, { ...base, status: 'PENDING' });
            return;
        }
      },
    },

    RefundPayment: {
      async prepare(command): Promise<{ refused: true } | { refused: false; payment: PaymentRow | undefined }> {
        if (faults.fire('payment.refund.fail')) return { refused: true };
        const payment = await paymentByOrder(db, command.payload.orderId, { lock: false });
        if (payment?.status === 'APPROVED')
          await provider.refund({
            idempotencyKey: command.payload.idempotencyKey,
            orderId: payment.orderId,
            amountCents: payment.amountCents,
          });
        return { refused: false, payment };
      },
      async handle(command, tx, prepared: { refused: true } | { refused: false; payment: PaymentRow | undefined }) {
        if (prepared.refused) {
          return replyToSaga(tx, outbox, command, {
            outcome: 'FAILED',
            reason: 'The payment provider refused the refund',
            retriable: true,
          });
        }
        const payment = await paymentByOrder(tx, command.payload.orderId);
        if (payment?.status === 'APPROVED') {
          // The provider refunded in `prepare` only if the payment was approved then; if it was
          // approved since, go round again so that `prepare` refunds it.
          if (prepared.payment?.status !== 'APPROVED')
            throw new Error(`payment ${payment.id} was approved after the refund was prepared`);
          await updatePayment(tx, payment.id, { status: 'REFUNDED', processedAt: new Date() });
        } else if (payment?.status === 'PENDING') {
          await updatePayment(tx, payment.id, {
            status: 'FAILED',
            failureReason: 'The payment provider did not answer in time',
            processedAt: new Date(),
          });
        }
        await replyToSaga(tx, outbox, command, succeeded);
      },
    },
  };
}

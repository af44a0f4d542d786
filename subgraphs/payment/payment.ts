import { createHash } from 'node:crypto';

export type PaymentStatus = 'PENDING' | 'APPROVED' | 'DECLINED' | 'REFUNDED' | 'FAILED';

/** What the payment provider answered to a charge. */
export type ChargeResult =
  | { kind: 'approved'; transactionId: string }
  | { kind: 'declined'; reason: string }
  /** The provider never answered: the saga's deadline decides. */
  | { kind: 'no-answer' };

/**
 * The built-in simulated provider: `tok_visa` approves, `tok_chargeDeclined` declines,
 * `tok_timeout` never answers, anything else is declined. Idempotent per key, as real providers
 * are: the same key always yields the same transaction id.
 */
export function simulateCharge(paymentToken: string, idempotencyKey: string): ChargeResult {
  switch (paymentToken) {
    case 'tok_visa':
      return {
        kind: 'approved',
        transactionId: `txn_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`,
      };
    case 'tok_chargeDeclined':
      return { kind: 'declined', reason: 'Your card was declined' };
    case 'tok_timeout':
      return { kind: 'no-answer' };
    default:
      return { kind: 'declined', reason: 'The payment method is not accepted' };
  }
}

/** The saga's view of a stored payment: did the step succeed, fail, or is it still waiting? */
export function chargeOutcome(
  status: PaymentStatus,
  failureReason: string | null,
): { outcome: 'SUCCEEDED' } | { outcome: 'FAILED'; reason: string } | null {
  switch (status) {
    case 'APPROVED':
      return { outcome: 'SUCCEEDED' };
    case 'DECLINED':
    case 'FAILED':
      return { outcome: 'FAILED', reason: `Payment failed: ${failureReason ?? 'declined'}` };
    case 'REFUNDED':
      return { outcome: 'FAILED', reason: 'The payment was already refunded' };
    case 'PENDING':
      return null;
    default: {
      const never: never = status;
      throw new Error(`unknown payment status ${String(never)}`);
    }
  }
}

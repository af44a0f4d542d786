import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { type ChargeResult, simulateCharge } from './payment.ts';
import { providerLedger } from './tables.ts';

/** A payment provider: charges and refunds at most once per idempotency key. */
export interface PaymentProvider {
  charge(request: {
    idempotencyKey: string;
    orderId: string;
    paymentToken: string;
    amountCents: number;
  }): Promise<ChargeResult>;
  refund(request: { idempotencyKey: string; orderId: string; amountCents: number }): Promise<{ transactionId: string }>;
}

/**
 * The built-in simulated provider (tokens as in the contract). Like a real one it remembers every
 * idempotency key: a second call with a key answers what the first did and charges nothing.
 * `tok_timeout` never answers; nothing is recorded for it.
 */
export function createSimulatedProvider(db: Db): PaymentProvider {
  const remembered = async (key: string) =>
    (await db.select().from(providerLedger).where(eq(providerLedger.idempotencyKey, key)))[0];
  return {
    async charge({ idempotencyKey, orderId, paymentToken, amountCents }) {
      const result = simulateCharge(paymentToken, idempotencyKey);
      if (result.kind === 'no-answer') return result;
      // The first call with a key records its answer; any later (or concurrent) one reads it back.
      const [stored] = await db
        .insert(providerLedger)
        .values({
          idempotencyKey,
          orderId,
          kind: 'CHARGE',
          outcome: result.kind === 'approved' ? 'APPROVED' : 'DECLINED',
          amountCents,
          transactionId: result.kind === 'approved' ? result.transactionId : null,
          reason: result.kind === 'declined' ? result.reason : null,
        })
        .onConflictDoNothing()
        .returning();
      const answer = stored ?? (await remembered(idempotencyKey))!;
      return answer.outcome === 'APPROVED'
        ? { kind: 'approved', transactionId: answer.transactionId! }
        : { kind: 'declined', reason: answer.reason ?? 'declined' };
    },
    async refund({ idempotencyKey, orderId, amountCents }) {
      const transactionId = `rf_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
      await db
        .insert(providerLedger)
        .values({ idempotencyKey, orderId, kind: 'REFUND', outcome: 'APPROVED', amountCents, transactionId })
        .onConflictDoNothing();
      return { transactionId };
    },
  };
}
